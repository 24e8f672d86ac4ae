import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the fake sampling manager answers; 'hang' accepts the request and never answers. A 'stream'
 * sends `prefix`, then spaces up to `bytes` in all (as fast as the client reads), then `suffix`;
 * with `declareLength` it says the length up front. A 'drip' sends the status line, then one space
 * every `everyMs` ms until the client goes away or `maxChunks` have been sent.
 */
export type Answer =
  | { status: number; body: string }
  | 'hang'
  | { kind: 'stream'; status: number; bytes: number; prefix?: string; suffix?: string; declareLength?: boolean }
  | { kind: 'drip'; status: number; everyMs: number; maxChunks: number };

/** What the server did with one request. */
export interface Exchange {
  readonly url: string;
  /** Body bytes handed to the socket so far. */
  bytesWritten: number;
  /** Whether the server sent its whole answer. */
  completed: boolean;
  /** Resolves when the connection for this request has closed, from either side. */
  readonly closed: Promise<void>;
}

/**
 * A sampling manager on 127.0.0.1 whose answer the test switches at will. It records every request
 * URL and lets the test wait for the next request or for a client to drop its connection.
 */
export interface SamplingServer {
  readonly url: string;
  readonly requests: string[];
  /** One record per request, in arrival order. */
  readonly exchanges: Exchange[];
  /** Requests whose connection is open now, and the most that ever were at once. */
  readonly openNow: number;
  readonly maxOpen: number;
  answer(answer: Answer): void;
  answerJson(value: unknown): void;
  /** Resolves at the next request that arrives. */
  nextRequest(): Promise<string>;
  /** Resolves when the client closes a request the server is holding ('hang'). */
  nextAbort(): Promise<void>;
  close(): Promise<void>;
}

export async function startSamplingServer(): Promise<SamplingServer> {
  let current: Answer = { status: 404, body: 'no answer set' };
  const requests: string[] = [];
  const exchanges: Exchange[] = [];
  let openNow = 0;
  let maxOpen = 0;
  let requestWaiters: Array<(url: string) => void> = [];
  let abortWaiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const waiters = requestWaiters;
    requestWaiters = [];
    for (const w of waiters) w(url);
    const answer = current;
    openNow++;
    maxOpen = Math.max(maxOpen, openNow);
    let markClosed!: () => void;
    const exchange: Exchange = {
      url,
      bytesWritten: 0,
      completed: false,
      closed: new Promise<void>((resolve) => (markClosed = resolve)),
    };
    exchanges.push(exchange);
    res.on('close', () => {
      openNow--;
      markClosed();
    });
    if (typeof answer === 'object' && 'kind' in answer) return sendSlowly(answer, res, exchange);
    if (answer === 'hang') {
      res.on('close', () => {
        const aborted = abortWaiters;
        abortWaiters = [];
        for (const w of aborted) w();
      });
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body, () => (exchange.completed = true));
    exchange.bytesWritten = Buffer.byteLength(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    exchanges,
    get openNow() {
      return openNow;
    },
    get maxOpen() {
      return maxOpen;
    },
    answer(answer) {
      current = answer;
    },
    answerJson(value) {
      current = { status: 200, body: JSON.stringify(value) };
    },
    nextRequest: () => new Promise((resolve) => requestWaiters.push(resolve)),
    nextAbort: () => new Promise((resolve) => abortWaiters.push(resolve)),
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

const FILLER = Buffer.alloc(64 * 1024, ' ');

function sendSlowly(answer: Exclude<Answer, 'hang' | { body: string }>, res: http.ServerResponse, exchange: Exchange): void {
  let gone = false;
  res.on('close', () => (gone = true));
  if (answer.kind === 'drip') {
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    let sent = 0;
    // Bounded: stops when the client leaves or after maxChunks, whichever comes first.
    const timer = setInterval(() => {
      if (gone || sent >= answer.maxChunks) {
        clearInterval(timer);
        if (!gone) res.end(() => (exchange.completed = true));
        return;
      }
      sent++;
      exchange.bytesWritten++;
      res.write(' ');
    }, answer.everyMs);
    return;
  }
  const prefix = Buffer.from(answer.prefix ?? '');
  const suffix = Buffer.from(answer.suffix ?? '');
  let padding = Math.max(0, answer.bytes - prefix.length - suffix.length);
  const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json' };
  if (answer.declareLength === true) headers['content-length'] = prefix.length + padding + suffix.length;
  res.writeHead(answer.status, headers);
  const write = (chunk: Buffer): boolean => {
    exchange.bytesWritten += chunk.length;
    return res.write(chunk);
  };
  // Writes only as fast as the client reads, so what the server wrote tells how much it took.
  const pump = (): void => {
    while (!gone && padding > 0) {
      const chunk = padding >= FILLER.length ? FILLER : FILLER.subarray(0, padding);
      padding -= chunk.length;
      if (!write(chunk)) return void res.once('drain', pump);
    }
    if (gone) return;
    write(suffix);
    res.end(() => (exchange.completed = true));
  };
  write(prefix);
  pump();
}
