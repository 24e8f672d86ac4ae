import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the fake sampling manager answers; 'hang' accepts the request and never answers. */
export type Answer = { status: number; body: string } | 'hang';

/**
 * A sampling manager on 127.0.0.1 whose answer the test switches at will. It records every request
 * URL and lets the test wait for the next request or for a client to drop its connection.
 */
export interface SamplingServer {
  readonly url: string;
  readonly requests: string[];
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
  let requestWaiters: Array<(url: string) => void> = [];
  let abortWaiters: Array<() => void> = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    requests.push(url);
    const waiters = requestWaiters;
    requestWaiters = [];
    for (const w of waiters) w(url);
    const answer = current;
    if (answer === 'hang') {
      res.on('close', () => {
        const aborted = abortWaiters;
        abortWaiters = [];
        for (const w of aborted) w();
      });
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
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
