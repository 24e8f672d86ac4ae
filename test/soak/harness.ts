// What the soak scenarios share: the app under the preload driven over IPC, a paced HTTP load that
// stops by itself, the accounting identity, and the result rows the runner prints.
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as http from 'node:http';
import path from 'node:path';
import { FIXTURES, REGISTER, ROOT } from '../helpers/run-fixture';

/** Length of the long scenarios (the issue's 60 s); SOAK_SECONDS shortens them for a quick run. */
export function soakSeconds(): number {
  const n = Number(process.env.SOAK_SECONDS);
  return Number.isFinite(n) && n >= 2 ? Math.floor(n) : 60;
}

export interface Row {
  scenario: string;
  check: string;
  measured: string;
  target: string;
  pass: boolean;
}

export class Rows {
  readonly rows: Row[] = [];
  constructor(readonly scenario: string) {}
  add(check: string, measured: string | number, target: string, pass: boolean): void {
    this.rows.push({ scenario: this.scenario, check, measured: String(measured), target, pass });
  }
}

/** The tracer's accounting as soak-lib.js normalises it. */
export interface Stats {
  finished: number;
  ok: number;
  dropped: Record<string, number>;
  /** The part of `queued` handed to the transport (0 where the reporter does not say). */
  inFlight: number;
  queued: number;
  raw: unknown;
}

export function droppedTotal(s: Stats): number {
  return Object.values(s.dropped).reduce((a, b) => a + b, 0);
}

export function describeStats(s: Stats | null): string {
  if (s === null) return 'no stats';
  const drops = Object.entries(s.dropped).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`).join(', ');
  return `finished ${s.finished} = ok ${s.ok} + dropped ${droppedTotal(s)}${drops ? ` (${drops})` : ''} + queued ${s.queued}`;
}

/** `finished = reported ok + dropped by reason + queued`, and finished equals what the app expects. */
export function checkIdentity(rows: Rows, s: Stats | null, expectedFinished?: number): void {
  const holds = s !== null && s.finished === s.ok + droppedTotal(s) + s.queued;
  rows.add('accounting identity', describeStats(s), 'finished = ok + dropped + queued', holds);
  if (expectedFinished !== undefined) {
    rows.add('spans finished (tracer vs app)', `${s?.finished ?? 'n/a'} / ${expectedFinished}`, 'equal', s?.finished === expectedFinished);
  }
}

export interface AppReport {
  type: string;
  rss: number;
  heapUsed: number;
  served: number;
  stats: Stats | null;
  maxQueued: number;
  /** Peak of the spans in batches handed to the transport (0 where stats() does not say). */
  maxInFlight: number;
  sockets: { opened: number; open: number; maxOpen: number };
  /** dns.lookup calls by host name. */
  lookups: Record<string, number>;
}

/** test/fixtures/soak-app.js under `node -r ./register.js`, with an IPC channel. */
export class App {
  readonly child: ChildProcess;
  port = 0;
  stderr = '';
  stdout = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  #waiting: Array<{ type: string; resolve: (m: AppReport) => void; reject: (e: Error) => void }> = [];
  #ready: Promise<void>;

  constructor(env: Record<string, string>, killAfterMs: number) {
    this.child = spawn(process.execPath, ['-r', REGISTER, path.join(FIXTURES, 'soak-app.js')], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stdout!.on('data', (d) => { this.stdout += d; });
    this.child.stderr!.on('data', (d) => { this.stderr += d; });
    // A runaway app is killed rather than left to hang the run.
    const killer = setTimeout(() => this.child.kill('SIGKILL'), killAfterMs);
    killer.unref();
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        clearTimeout(killer);
        // A question the app can no longer answer fails the scenario instead of hanging the run.
        for (const w of this.#waiting.splice(0)) w.reject(new Error(`soak app exited (${code ?? signal}): ${this.stderr.slice(0, 300)}`));
        resolve({ code, signal, at: Date.now() });
      });
    });
    this.#ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: { type: string; port?: number }) => {
        if (m.type === 'ready') {
          this.port = m.port!;
          resolve();
          return;
        }
        const i = this.#waiting.findIndex((w) => w.type === m.type);
        if (i >= 0) this.#waiting.splice(i, 1)[0].resolve(m as AppReport);
      });
      this.exited.then((r) => reject(new Error(`soak app exited (${r.code ?? r.signal}) before it was ready: ${this.stderr}`)));
    });
  }

  ready(): Promise<void> {
    return this.#ready;
  }

  #ask(cmd: string, type: string): Promise<AppReport> {
    if (this.child.exitCode !== null || this.child.signalCode !== null || !this.child.connected) {
      return Promise.reject(new Error(`soak app is gone (${this.child.exitCode ?? this.child.signalCode}): ${this.stderr.slice(0, 300)}`));
    }
    return new Promise((resolve, reject) => {
      // A flush waits at most for the sender's timeouts; 60 s means the app is stuck.
      const timer = setTimeout(() => {
        this.#waiting.splice(this.#waiting.indexOf(entry), 1);
        reject(new Error(`soak app did not answer '${cmd}' within 60 s`));
      }, 60_000);
      const entry = {
        type,
        resolve: (m: AppReport) => { clearTimeout(timer); resolve(m); },
        reject: (e: Error) => { clearTimeout(timer); reject(e); },
      };
      this.#waiting.push(entry);
      this.child.send({ cmd }, (err) => { if (err) entry.reject(err); });
    });
  }

  stats(): Promise<AppReport> {
    return this.#ask('stats', 'stats');
  }

  /** Stats after the tracer's queue has been flushed. */
  flushed(): Promise<AppReport> {
    return this.#ask('flush', 'flushed');
  }

  /** Asks the app to close its server and channel; resolves with its exit and how long it took. */
  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const from = Date.now();
    if (this.child.connected) this.child.send({ cmd: 'exit' });
    const r = await this.exited;
    return { code: r.code, signal: r.signal, ms: r.at - from };
  }
}

/** Samples the app's RSS once a second until stopped. */
export function watchRss(app: App): { stop(): Promise<Array<{ t: number; rss: number }>> } {
  const samples: Array<{ t: number; rss: number }> = [];
  const started = Date.now();
  let running = true;
  let failure: Error | undefined;
  const loop = (async () => {
    try {
      while (running) {
        const s = await app.stats();
        samples.push({ t: (Date.now() - started) / 1000, rss: s.rss });
        await pause(1000);
      }
    } catch (err) {
      failure = err as Error; // reported by stop(), never an unhandled rejection
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      if (failure !== undefined) throw failure;
      return samples;
    },
  };
}

/** RSS growth from the first sample after `warmup` seconds to the peak after it. */
export function rssRow(rows: Rows, label: string, samples: Array<{ t: number; rss: number }>, warmup: number): void {
  const after = samples.filter((s) => s.t >= warmup);
  if (after.length < 2) {
    rows.add(label, `${after.length} sample(s) after warm-up`, '<= 20 MB', false);
    return;
  }
  const base = after[0].rss;
  const peak = Math.max(...after.map((s) => s.rss));
  const growth = peak - base;
  rows.add(label, `${mb(growth)} (${mb(base)} -> peak ${mb(peak)}, end ${mb(after[after.length - 1].rss)})`, '<= 20 MB', growth <= 20 * 1024 * 1024);
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  /** Requests per second actually achieved, and over how long. */
  rate: number;
  seconds: number;
  /** The largest { items, bytes } of baggage a response reported. */
  maxBaggage: { items: number; bytes: number };
  firstError?: string;
}

/**
 * Sends `rate` requests a second to the app for `seconds`, paced in 10 ms slices, then stops by
 * itself; in-flight requests are capped so a stalled app cannot make the loop pile up.
 */
export async function load(
  port: number, rate: number, seconds: number, headers: () => http.OutgoingHttpHeaders = () => ({}),
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, rate: 0, seconds: 0, maxBaggage: { items: 0, bytes: 0 } };
  const total = Math.round(rate * seconds);
  const started = Date.now();
  let inFlight = 0;
  let finish!: () => void;
  const allDone = new Promise<void>((resolve) => { finish = resolve; });
  const settle = (ok: boolean, err?: string): void => {
    inFlight--;
    if (ok) result.ok++;
    else {
      result.failed++;
      result.firstError ??= err;
    }
    if (result.sent === total && inFlight === 0) finish();
  };
  const one = (): void => {
    result.sent++;
    inFlight++;
    const req = http.get({ host: '127.0.0.1', port, path: '/soak', agent, headers: headers() }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => {
        if (res.statusCode !== 200) return settle(false, `HTTP ${res.statusCode}`);
        try {
          const b = JSON.parse(body) as { items: number; bytes: number };
          result.maxBaggage.items = Math.max(result.maxBaggage.items, b.items);
          result.maxBaggage.bytes = Math.max(result.maxBaggage.bytes, b.bytes);
          settle(true);
        } catch {
          settle(false, `bad body ${body.slice(0, 80)}`);
        }
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no response in 10 s')));
    req.on('error', (err) => settle(false, err.message));
  };
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      // Catch up to where the schedule says we should be, never past the total.
      const due = Math.min(total, Math.round(((Date.now() - started) / 1000) * rate));
      while (result.sent < due && inFlight < 256) one();
      if (result.sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });
  if (inFlight > 0) await allDone;
  result.seconds = (Date.now() - started) / 1000;
  result.rate = Math.round(result.sent / result.seconds);
  agent.destroy();
  return result;
}

/** A UDP port on 127.0.0.1 that nothing listens on (bound for a moment, then released). */
export async function deadUdpPort(): Promise<number> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export const mb = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/** Waits for `ms` of scenario time (the scenario's schedule, not synchronisation). */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
