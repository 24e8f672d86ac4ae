// Small pieces every benchmark script uses.
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import http from 'node:http';
import path from 'node:path';

/** The median of the finite values (NaN when there are none). */
export function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export interface UdpSink { child: ChildProcess; port: number; ask: (cmd: string) => Promise<any> }

/** Starts bench/udp-sink.js (a discarding UDP agent); `ask('stats')` answers with its counters. */
export async function startUdpSink(): Promise<UdpSink> {
  const child = fork(path.join(__dirname, 'udp-sink.js'), [], { stdio: ['pipe', 'pipe', 'inherit', 'ipc'] });
  const waiting: ((v: any) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => waiting.shift()?.(JSON.parse(l)));
  const next = (): Promise<any> => new Promise((resolve) => waiting.push(resolve));
  const { port } = await next();
  return { child, port, ask: (cmd) => { const p = next(); child.stdin!.write(cmd + '\n'); return p; } };
}

export interface Upstream { port: number; close(): void }

/** A plain (untraced) downstream for `/outbound` in this process: answers every request with JSON. */
export function startUpstream(keepAliveTimeout: number): Promise<Upstream> {
  const server = http.createServer({ keepAliveTimeout }, (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"up":true}');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: (server.address() as { port: number }).port,
    close() {
      server.close();
      server.closeAllConnections?.();
    },
  })));
}
