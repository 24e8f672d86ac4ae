import * as http from 'node:http';
import * as https from 'node:https';
import { runUntraced } from '../context/suppress';

/** How one bounded GET ended: the body of a 200, or why there is none. */
export type GetResult = { ok: true; body: string } | { ok: false; reason: string };

export interface BoundedGetOptions {
  agent: http.Agent | undefined;
  /** Deadline for the whole exchange: lookup, connect, answer and body. */
  timeoutMs: number;
  /** A longer body (declared or received) ends the request. */
  maxBytes: number;
}

/**
 * GETs `url` once, untraced, with its socket unref'd, and calls `done` exactly once. Returns a
 * cancel function that ends the request without calling `done`. Whatever the outcome, the request
 * is destroyed when it ends: an error status whose body never ends would otherwise hold a socket
 * of a one-socket agent and queue every later request behind it.
 */
export function boundedGet(url: URL, options: BoundedGetOptions, done: (result: GetResult) => void): () => void {
  const { timeoutMs, maxBytes } = options;
  let settled = false;
  let request: http.ClientRequest | undefined;
  let deadline: NodeJS.Timeout | undefined;
  const finish = (result: GetResult | undefined): void => {
    if (settled) return;
    settled = true;
    if (deadline !== undefined) clearTimeout(deadline);
    request?.destroy();
    if (result !== undefined) done(result);
  };
  const fail = (reason: unknown): void => finish({ ok: false, reason: reason instanceof Error ? reason.message : String(reason) });
  try {
    const get = url.protocol === 'https:' ? https.get : http.get;
    request = runUntraced(() =>
      get(url, { agent: options.agent }, (res) => {
        if (res.statusCode !== 200) return fail(`HTTP ${res.statusCode ?? '?'}`);
        const tooLong = `answer longer than ${maxBytes} bytes`;
        if (Number(res.headers['content-length']) > maxBytes) return fail(tooLong);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= maxBytes) chunks.push(chunk);
          else fail(tooLong);
        });
        res.on('end', () => finish({ ok: true, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', fail);
        res.on('close', () => fail('connection closed before the answer ended'));
      }),
    );
    request.on('socket', (socket) => socket.unref());
    request.on('error', fail);
    // One deadline for the whole exchange: a socket idle timeout alone never fires for a server
    // that trickles a byte at a time, nor while a lookup or connect hangs.
    deadline = setTimeout(() => fail(`no complete answer within ${timeoutMs} ms`), timeoutMs);
    deadline.unref();
  } catch (err) {
    fail(err);
  }
  return () => finish(undefined);
}
