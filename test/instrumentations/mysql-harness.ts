// Shared by the mysql and mysql2 tests: running a fixture app under the real preload (and without
// it, for the byte-identical comparison) against MariaDB, checking its scenario trees as decoded
// from real Thrift; and, for fine-grained call forms, patching a test version in this process.
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import type { InstrumentationDefinition, PatchContext } from '../../src/loader/definition';
import { unwrapAll, wrapMethod, type WrapRecord } from '../../src/shim/wrap';
import { JaegerTracer } from '../../src/tracer/tracer';
import { setTracer } from '../../src/tracer/global';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import type { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { fixedSampler, recordingLogger } from '../helpers/tracer';
import { requireVersion, versionDir } from '../helpers/versions';
import { runUntraced } from '../../src/context/scope-manager';
import { WaitingReporter } from './http-harness';

export const ROOT_PARENT = '0000000000000000';
export const MYSQL = { host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test' };

/** Drops a fixture's table in case the fixture died before its teardown (untraced, in this process). */
export function dropTable(pkg: string, version: string, table: string): Promise<void> {
  const driver = requireVersion(pkg, version);
  return new Promise((resolve) => runUntraced(() => {
    const conn = driver.createConnection(MYSQL);
    conn.query(`DROP TABLE IF EXISTS ${table}`, () => conn.end(() => resolve()));
  }));
}

/** A statement span a scenario must have: operation name, db.statement, and error message when it fails. */
export interface Expected {
  op: string;
  statement: string;
  error?: RegExp;
}

/** A loopback port nothing listens on. */
export function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

let runs = 0;

/** A table name no other run uses (the fixture creates and drops it). */
export function uniqueTable(module: string, version: string): string {
  return `jt_${module}_${version.replace(/\W/g, '_')}_${process.pid}_${++runs}`;
}

/**
 * Runs a fixture under the preload reporting to `agent` under a service name of its own, and
 * returns its result and its spans once `count` have arrived.
 */
export async function runTraced(
  agent: FakeAgent, fixture: string, args: string[], count: number, env: Record<string, string> = {},
): Promise<{ result: FixtureResult; spans: DecodedSpan[] }> {
  const service = `mysql-fixture-${process.pid}-${++runs}`;
  const result = await runFixture(fixture, {
    args, timeoutMs: 60_000,
    env: {
      JAEGER_SERVICE_NAME: service, JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
      JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port), ...env,
    },
  });
  assert.equal(result.code, 0, result.stderr);
  const ours = () => agent.batches.filter((b) => b.batch.process.serviceName === service).flatMap((b) => b.batch.spans);
  await agent.waitFor(() => ours().length >= count, 10_000, `${count} spans of ${fixture}`);
  assert.deepEqual(agent.errors, []);
  return { result, spans: ours() };
}

/** The same fixture without the preload. */
export function runPlain(fixture: string, args: string[]): Promise<FixtureResult> {
  return runFixture(fixture, { args, preload: false, timeoutMs: 60_000 });
}

/** The lines the app prints for comparison (ctx lines are only meaningful under the preload). */
export const appLines = (stdout: string): string => stdout.split('\n').filter((l) => !l.startsWith('ctx ')).join('\n');

/** Every statement span, by the scenario whose span is its parent. */
export function checkScenarios(
  spans: DecodedSpan[], expected: Record<string, Expected[]>, common: Record<string, unknown>,
): void {
  const scenarios = spans.filter((s) => s.operationName.startsWith('scenario '));
  assert.deepEqual(scenarios.map((s) => s.operationName.slice(9)).sort(), Object.keys(expected).sort(), 'scenarios');
  for (const s of scenarios) assert.equal(s.parentSpanId, ROOT_PARENT, `${s.operationName} is a root`);
  const byName = new Map(scenarios.map((s) => [s.operationName.slice(9), s]));
  for (const [name, want] of Object.entries(expected)) {
    const parent = byName.get(name)!;
    const children = spans.filter((c) => c.parentSpanId === parent.spanId).sort((a, b) => (a.startTime < b.startTime ? -1 : 1));
    const got = children.map((c) => `${c.operationName} | ${String(tagMap(c.tags)['db.statement'])}`);
    assert.deepEqual(got, want.map((w) => `${w.op} | ${w.statement}`), `children of scenario ${name}`);
    children.forEach((c, i) => {
      const tags = tagMap(c.tags);
      assert.equal(c.traceIdLow, parent.traceIdLow, `${name}[${i}]: same trace`);
      for (const [k, v] of Object.entries(common)) assert.equal(tags[k], v, `${name}[${i}] ${c.operationName}: ${k}`);
      assert.equal(tags['db.params'], undefined, `${name}[${i}]: no parameters by default`);
      const error = want[i].error;
      if (error === undefined) {
        assert.equal(tags.error, undefined, `${name}[${i}] ${c.operationName}: not failed`);
        assert.equal(c.logs?.length ?? 0, 0, `${name}[${i}]: no logs`);
      } else {
        assert.equal(tags.error, true, `${name}[${i}] ${c.operationName}: error tag`);
        const log = tagMap(c.logs?.[0]?.fields);
        assert.equal(log.event, 'error', `${name}[${i}]: error log`);
        assert.match(String(log.message), error, `${name}[${i}]: error message`);
        assert.equal(typeof log['error.kind'], 'string');
        assert.equal(typeof log.stack, 'string');
      }
    });
  }
  const accounted = scenarios.length + Object.values(expected).reduce((n, w) => n + w.length, 0);
  assert.equal(spans.length, accounted, `no other spans: ${spans.map((s) => s.operationName).join(', ')}`);
}

/** The peer tags of a span as a map, for spans of the refused-connection scenario. */
export const tagsOf = (s: DecodedSpan): Record<string, unknown> => tagMap(s.tags);

/** A sampled in-memory tracer and the module's definitions applied to one test version, in this process. */
export function patchInProcess(definitions: readonly InstrumentationDefinition[], pkg: string, version: string, sampled = true) {
  const reporter = new WaitingReporter();
  const tracer = new JaegerTracer({ serviceName: `${pkg}-test`, sampler: fixedSampler(sampled), logger: recordingLogger(), reporter });
  setTracer(tracer);
  const records: WrapRecord[] = [];
  const logger = recordingLogger();
  const base = path.join(versionDir(pkg, version), 'node_modules', pkg);
  // The main module first, as an app would: mysql2 2.x's lib/pool.js and index.js require each other.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  require(base);
  for (const def of definitions) {
    // By absolute path: mysql2 3.x's `exports` map hides lib/ from require('mysql2/lib/…').
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const exports = require(path.join(base, def.file ?? ''));
    const ctx: PatchContext = {
      name: def.name, version, log: logger,
      wrap: (target, method, wrapper) => wrapMethod(target, method, wrapper, records, logger),
    };
    def.patch(exports, ctx);
  }
  return {
    tracer,
    reporter,
    records,
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    load: <T = any>(id: string = pkg): T => require(require.resolve(id, { paths: [versionDir(pkg, version)] })) as T,
    unpatch: () => unwrapAll(records, logger),
  };
}

/** Tag value by key for an in-process span. */
export function spanTags(span: FinishedSpan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const t of span.tags) out[t.key] = t.value;
  return out;
}
