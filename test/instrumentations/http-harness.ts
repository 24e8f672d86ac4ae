// In-process set-up for the http instrumentation tests: a test tracer with a reporter that can be
// waited on, and the definitions patched onto the real http/https modules the way the loader does.
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import definitions from '../../instrumentations/http';
import { JaegerTracer } from '../../src/tracer/tracer';
import { InMemoryReporter } from '../../src/reporters/in-memory';
import { CompositeReporter } from '../../src/reporters/composite';
import type { Reporter } from '../../src/reporters/reporter';
import { setTracer } from '../../src/tracer/global';
import { unwrapAll, wrapMethod, type WrapRecord } from '../../src/shim/wrap';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import type { PatchContext } from '../../src/loader/definition';
import { fixedSampler, recordingLogger } from '../helpers/tracer';

/** An InMemoryReporter whose arrivals can be awaited. */
export class WaitingReporter extends InMemoryReporter {
  readonly #changes = new EventEmitter();

  override report(span: FinishedSpan): void {
    super.report(span);
    this.#changes.emit('report');
  }

  /** Resolves with the spans once `predicate` holds; rejects after `timeoutMs`. */
  waitFor(predicate: (spans: FinishedSpan[]) => boolean, what: string, timeoutMs = 5000): Promise<FinishedSpan[]> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!predicate(this.spans)) return;
        cleanup();
        resolve(this.spans);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; have ${this.spans.map((s) => s.operationName).join(', ')}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#changes.off('report', check);
      };
      this.#changes.on('report', check);
      check();
    });
  }

  waitForSpans(n: number, timeoutMs?: number): Promise<FinishedSpan[]> {
    return this.waitFor((s) => s.length >= n, `${n} spans`, timeoutMs);
  }
}

/** Patches http and https in this process (once per test file) and sets a sampled test tracer. */
export function setUpTracing(options: { sampled?: boolean; remote?: Reporter } = {}) {
  const reporter = new WaitingReporter();
  const tracer = new JaegerTracer({
    serviceName: 'http-test', sampler: fixedSampler(options.sampled ?? true), logger: recordingLogger(),
    reporter: options.remote === undefined ? reporter : new CompositeReporter([reporter, options.remote]),
  });
  setTracer(tracer);
  const records: WrapRecord[] = [];
  const logger = recordingLogger();
  for (const def of definitions) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const exports = require(def.name);
    const ctx: PatchContext = {
      name: def.name, version: process.versions.node, log: logger,
      wrap: (target, method, wrapper) => wrapMethod(target, method, wrapper, records, logger),
    };
    def.patch(exports, ctx);
  }
  return {
    tracer,
    reporter,
    wrapCount: () => records.length,
    unpatch: () => unwrapAll(records, logger),
  };
}

/** Tag value by key (last one wins), for assertions. */
export function tagsOf(span: FinishedSpan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of span.tags) out[t.key] = t.value;
  return out;
}

export function kindOf(span: FinishedSpan): unknown {
  return tagsOf(span)['span.kind'];
}

/** Parent span id ('' for a root). */
export function parentOf(span: FinishedSpan): string {
  return span.spanContext.parentId;
}

/** Starts an http server on 127.0.0.1 (untraced listen) and gives its port and a closer. */
export async function listen(
  handler: http.RequestListener, server: http.Server = http.createServer(),
): Promise<{ server: http.Server; port: number; close: () => Promise<void> }> {
  server.on('request', handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}

/** Reads a whole response body. */
export function readBody(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => { body += c; });
    res.on('end', () => resolve(body));
    res.on('error', reject);
  });
}
