// The measuring engine behind `npm run bench` (and bench/peers.ts): for every round, route and
// configuration it starts a fresh app process (pinned to CPU 0 where taskset exists), warms it up,
// drives it with autocannon from a separate process (pinned to CPU 1), and reads the app's own CPU
// time and peak RSS over IPC and the exported bytes from discarding receivers. Configurations are
// rotated per round so drift on a shared machine spreads over all of them; each figure is the
// median over rounds, and each ratio is taken against the baseline of the same round and route.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { CONFIGS, ROUTES, REPO, type BenchConfig } from './configs';
import { median } from './common';

export { median };

export interface BenchOptions {
  configs?: BenchConfig[];
  routes?: string[];
  rounds?: number;
  seconds?: number;
  warmupSeconds?: number;
  connections?: number;
  /** the app script; defaults to dist/bench/service-app.js */
  app?: string;
  /** name of the configuration the ratios are taken against; defaults to the first */
  baseline?: string;
  log?: (line: string) => void;
}

export interface RunResult {
  config: string; route: string; round: number;
  reqPerSec: number; p50: number; p99: number; cpuUsPerReq: number;
  peakRssMb: number; startupMs: number; startupCpuMs: number; bytesPerReq: number; errors: number;
  /** JS heap in use after a full GC at the end of the run (what is retained, not garbage) */
  liveHeapMb: number;
  /** from jaeger-auto's tracer.stats() when present: sampled spans per request, and the share dropped */
  spansPerReq: number; droppedPct: number;
}

export interface Row {
  route: string; config: string;
  reqPerSec: number; p50: number; p99: number; cpuUsPerReq: number; peakRssMb: number;
  startupMs: number; bytesPerReq: number; errors: number; spansPerReq: number; droppedPct: number;
  /** medians of per-round ratios (or differences) to the baseline */
  reqRatio: number; p50Ratio: number; p99Ratio: number; cpuRatio: number; rssDeltaMb: number; startupDeltaMs: number;
  liveHeapMb: number; liveHeapDeltaMb: number;
  /** start-up CPU time of the app (all of it, not a difference) and its median difference to the baseline */
  startupCpuMs: number; startupCpuDeltaMs: number;
}

export interface BenchReport { rows: Row[]; runs: RunResult[]; settings: Required<Omit<BenchOptions, 'configs' | 'log' | 'app' | 'baseline'>> & { pinned: boolean; configs: string[] } }

const hasTaskset = process.platform === 'linux'
  && spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' }).status === 0;

/** Spawns node on one CPU when taskset exists (the app on 0, everything else on 1). */
function spawnNode(cpu: number, args: string[], env: NodeJS.ProcessEnv, ipc: boolean): ChildProcess {
  const stdio: any[] = ['pipe', 'pipe', 'inherit'];
  if (ipc) stdio.push('ipc');
  // taskset execs node in place, so the IPC channel (NODE_CHANNEL_FD) passes straight through.
  if (hasTaskset) return spawn('taskset', ['-c', String(cpu), process.execPath, ...args], { env, stdio });
  return spawn(process.execPath, args, { env, stdio });
}

interface Sink { child: ChildProcess; port: number; ask: (cmd: string) => Promise<any> }

/** Starts a helper that prints one JSON line per answer (udp-sink, http-sink, downstream). */
async function startLineHelper(script: string): Promise<Sink> {
  const child = spawnNode(1, [path.join(__dirname, script)], process.env, false);
  const lines = createInterface({ input: child.stdout! });
  const waiting: ((v: any) => void)[] = [];
  lines.on('line', (l) => waiting.shift()?.(JSON.parse(l)));
  const next = () => new Promise<any>((resolve) => waiting.push(resolve));
  const { port } = await next();
  return { child, port, ask: (cmd) => { const p = next(); child.stdin!.write(cmd + '\n'); return p; } };
}

/** Waits until a receiver's byte count stops moving (its socket buffer may still be draining). */
async function settledBytes(sink: Sink): Promise<number> {
  let bytes = (await sink.ask('stats')).bytes;
  for (;;) {
    await sleep(150);
    const again = (await sink.ask('stats')).bytes;
    if (again === bytes) return bytes;
    bytes = again;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function nextMessage(child: ChildProcess, pick: (m: any) => boolean, timeoutMs: number, what: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`timed out waiting for ${what}`)); }, timeoutMs);
    const onMessage = (m: any) => { if (pick(m)) { cleanup(); resolve(m); } };
    const onExit = (code: number | null) => { cleanup(); reject(new Error(`${what}: process exited (${code})`)); };
    const cleanup = () => { clearTimeout(timer); child.off('message', onMessage); child.off('exit', onExit); };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); }, ms);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
  });
}

interface Load { requests: number; reqPerSec: number; p50: number; p99: number; errors: number; non2xx: number }

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const configs = options.configs ?? CONFIGS;
  const routes = options.routes ?? ROUTES;
  const rounds = options.rounds ?? 5;
  const seconds = options.seconds ?? 5;
  const warmupSeconds = options.warmupSeconds ?? 1;
  const connections = options.connections ?? 20;
  const app = options.app ?? path.join(__dirname, 'service-app.js');
  const baseline = options.baseline ?? configs[0].name;
  const log = options.log ?? ((line: string) => process.stderr.write(line + '\n'));

  for (const c of configs) await c.setup?.();
  const udp = await startLineHelper('udp-sink.js');
  const http = await startLineHelper('http-sink.js');
  const downstream = await startLineHelper('downstream.js');
  const loader = spawnNode(1, [path.join(__dirname, 'load-runner.js')], process.env, true);
  await nextMessage(loader, (m) => m.ready, 10_000, 'load runner');
  const load = async (url: string, secs: number): Promise<Load> => {
    const done = nextMessage(loader, (m) => 'requests' in m || 'error' in m, (secs + 30) * 1000, 'autocannon');
    loader.send({ url, connections, seconds: secs });
    const res = await done;
    if (res.error) throw new Error(res.error);
    return res;
  };
  const fill = (s: string) => s.replace(/\{UDP_PORT\}/g, String(udp.port))
    .replace(/\{HTTP_PORT\}/g, String(http.port)).replace(/\{REPO\}/g, REPO);

  const runs: RunResult[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      for (const route of routes) {
        // Rotate the order each round so no configuration always runs first or last.
        const order = configs.map((_, i) => configs[(i + round) % configs.length]);
        for (const config of order) {
          const env: NodeJS.ProcessEnv = { ...process.env, BENCH_DOWNSTREAM_PORT: String(downstream.port) };
          for (const k of Object.keys(env)) if (k.startsWith('JAEGER_')) delete env[k];
          for (const [k, v] of Object.entries(config.env)) env[k] = fill(v);
          await udp.ask('reset');
          await http.ask('reset');
          const started = process.hrtime.bigint();
          const child = spawnNode(0, [...config.nodeArgs.map(fill), app], env, true);
          const run = (async () => {
            const { listening: port, startupCpuMs } = await nextMessage(child, (m) => 'listening' in m, 30_000, `${config.name} start`);
            const startupMs = Number(process.hrtime.bigint() - started) / 1e6;
            const url = `http://127.0.0.1:${port}${route}`;
            const warm = await load(url, warmupSeconds);
            const usage = (gc = false) => { const p = nextMessage(child, (m) => 'cpu' in m, 10_000, 'usage'); child.send({ cmd: 'usage', gc }); return p; };
            const before = await usage();
            const res = await load(url, seconds);
            const after = await usage(true); // CPU and peak RSS read before the forced GC
            // SIGTERM lets the tracer send what it still holds; then every request's spans are in.
            child.kill('SIGTERM');
            await waitExit(child, 8_000);
            const bytes = (await settledBytes(udp)) + (await settledBytes(http));
            // Counted up to the end of the window; what is still queued then goes out at SIGTERM.
            const spans = after.spans as { reported: number; dropped: Record<string, number> } | undefined;
            const dropped = spans ? Object.values(spans.dropped).reduce((a, b) => a + b, 0) : NaN;
            const cpuUs = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
            const result: RunResult = {
              config: config.name, route, round,
              reqPerSec: res.reqPerSec, p50: res.p50, p99: res.p99,
              cpuUsPerReq: res.requests ? cpuUs / res.requests : NaN,
              peakRssMb: after.maxRssKb / 1024,
              liveHeapMb: typeof after.liveHeapMb === 'number' ? after.liveHeapMb : NaN,
              startupMs, startupCpuMs: Number(startupCpuMs),
              bytesPerReq: bytes / (warm.requests + res.requests),
              errors: res.errors + res.non2xx + warm.errors + warm.non2xx,
              spansPerReq: spans ? spans.reported / (warm.requests + res.requests) : NaN,
              droppedPct: spans && spans.reported ? (100 * dropped) / spans.reported : spans ? 0 : NaN,
            };
            return result;
          })();
          try {
            const result = await run;
            runs.push(result);
            log(`round ${round + 1}/${rounds} ${route.padEnd(9)} ${config.name.padEnd(10)} ` +
              `${result.reqPerSec.toFixed(0).padStart(6)} req/s  p99 ${result.p99} ms  ` +
              `${result.cpuUsPerReq.toFixed(0)} µs CPU/req  ${result.errors ? `errors ${result.errors}` : ''}`);
          } catch (err) {
            log(`round ${round + 1}/${rounds} ${route} ${config.name}: FAILED ${(err as Error).message}`);
          } finally {
            if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
            await waitExit(child, 2_000);
          }
        }
      }
    }
  } finally {
    for (const h of [udp, http, downstream]) h.child.stdin!.end();
    loader.kill();
  }

  const rows: Row[] = [];
  for (const route of routes) {
    for (const config of configs) {
      const mine = runs.filter((r) => r.route === route && r.config === config.name);
      if (mine.length === 0) continue;
      const vsBase = (f: (r: RunResult, b: RunResult) => number) => median(mine.map((r) => {
        const b = runs.find((x) => x.route === route && x.round === r.round && x.config === baseline);
        return b ? f(r, b) : NaN;
      }));
      const m = (f: (r: RunResult) => number) => median(mine.map(f));
      rows.push({
        route, config: config.name,
        reqPerSec: m((r) => r.reqPerSec), p50: m((r) => r.p50), p99: m((r) => r.p99),
        cpuUsPerReq: m((r) => r.cpuUsPerReq), peakRssMb: m((r) => r.peakRssMb), startupMs: m((r) => r.startupMs),
        bytesPerReq: m((r) => r.bytesPerReq), spansPerReq: m((r) => r.spansPerReq),
        droppedPct: m((r) => r.droppedPct), errors: mine.reduce((s, r) => s + r.errors, 0),
        reqRatio: vsBase((r, b) => r.reqPerSec / b.reqPerSec),
        p50Ratio: vsBase((r, b) => r.p50 / b.p50),
        p99Ratio: vsBase((r, b) => r.p99 / b.p99),
        cpuRatio: vsBase((r, b) => r.cpuUsPerReq / b.cpuUsPerReq),
        rssDeltaMb: vsBase((r, b) => r.peakRssMb - b.peakRssMb),
        startupDeltaMs: vsBase((r, b) => r.startupMs - b.startupMs),
        startupCpuMs: m((r) => r.startupCpuMs),
        startupCpuDeltaMs: vsBase((r, b) => r.startupCpuMs - b.startupCpuMs),
        liveHeapMb: m((r) => r.liveHeapMb),
        liveHeapDeltaMb: vsBase((r, b) => r.liveHeapMb - b.liveHeapMb),
      });
    }
  }
  return {
    rows, runs,
    settings: { routes, rounds, seconds, warmupSeconds, connections, pinned: hasTaskset, configs: configs.map((c) => c.name) },
  };
}

const f = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const signed = (x: number, digits = 0) => (Number.isFinite(x) ? (x >= 0 ? '+' : '') + x.toFixed(digits) : '–');

/** The one results table, as Markdown (it reads as plain text on a terminal too). */
export function renderTable(rows: Row[]): string {
  const head = ['route', 'config', 'req/s', '× base', 'p50 ms', '× base', 'p99 ms', '× base', 'CPU µs/req', '× base',
    'peak RSS MB', 'Δ MB', 'heap after GC MB', 'Δ MB', 'start-up ms', 'Δ ms', 'bytes out/req', 'spans/req', 'dropped %', 'errors'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) {
    lines.push(`| ${[r.route, r.config, f(r.reqPerSec), f(r.reqRatio, 2), f(r.p50, 1), f(r.p50Ratio, 2), f(r.p99, 1),
      f(r.p99Ratio, 2), f(r.cpuUsPerReq), f(r.cpuRatio, 2), f(r.peakRssMb, 1), signed(r.rssDeltaMb, 1),
      f(r.liveHeapMb, 1), signed(r.liveHeapDeltaMb, 1), f(r.startupMs),
      signed(r.startupDeltaMs), f(r.bytesPerReq),
      f(r.spansPerReq, 1), f(r.droppedPct, 1), String(r.errors)].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The issue's targets, read off the table (start-up and RSS: the worst route). */
export function renderTargets(rows: Row[], microSampledUs?: number): string {
  const get = (config: string) => rows.filter((r) => r.config === config);
  const out = ['| measure | target | measured |', '|---|---|---|'];
  const per = (config: string, pick: (r: Row) => number) =>
    get(config).map((r) => `${r.route} ${Number.isFinite(pick(r)) ? pick(r).toFixed(2) : '–'}`).join(', ') || 'not run';
  out.push(`| throughput, 100 % sampled over UDP | ≥ 0.85 × baseline | ${per('udp', (r) => r.reqRatio)} |`);
  out.push(`| throughput, HTTP collector | (no target) | ${per('http', (r) => r.reqRatio)} |`);
  out.push(`| throughput, unsampled | ≥ 0.97 × baseline | ${per('unsampled', (r) => r.reqRatio)} |`);
  out.push(`| throughput, JAEGER_DISABLED=true | ≥ 0.99 × baseline | ${per('disabled', (r) => r.reqRatio)} |`);
  out.push(`| p99 latency, 100 % sampled over UDP | ≤ 1.2 × baseline | ${per('udp', (r) => r.p99Ratio)} |`);
  const worst = (xs: number[]) => (xs.length ? Math.max(...xs.filter(Number.isFinite)) : NaN);
  const udp = get('udp');
  out.push(`| added start-up time | ≤ 50 ms | ${udp.length ? `+${worst(udp.map((r) => r.startupDeltaMs)).toFixed(0)} ms wall, ` +
    `+${worst(udp.map((r) => r.startupCpuDeltaMs)).toFixed(0)} ms CPU (worst route's median)` : 'not run'} |`);
  out.push(`| added peak RSS under load | ≤ 10 MB | ${udp.length ? `+${worst(udp.map((r) => r.rssDeltaMb)).toFixed(1)} MB (worst route's median); heap after a full GC ` +
    `+${worst(udp.map((r) => r.liveHeapDeltaMb)).toFixed(1)} MB` : 'not run'} |`);
  out.push(`| CPU per span, micro benchmark | ≤ 2 µs | ${microSampledUs !== undefined && Number.isFinite(microSampledUs)
    ? `${microSampledUs.toFixed(2)} µs (sampled: start, 3 tags, finish, encode, UDP send)` : 'see `npm run bench:micro`'} |`);
  return out.join('\n');
}

/**
 * Every round's throughput ratio to its own round's baseline, per route and configuration: how far
 * apart the rounds behind each median were (on a shared machine, a slow spell in one round shows
 * here as an outlier, not as a shifted median).
 */
export function renderRoundRatios(runs: RunResult[], baseline = 'baseline'): string {
  const base = new Map<string, number>();
  for (const r of runs) if (r.config === baseline) base.set(`${r.route} ${r.round}`, r.reqPerSec);
  const rows = new Map<string, number[]>();
  for (const r of runs) {
    if (r.config === baseline) continue;
    const b = base.get(`${r.route} ${r.round}`);
    if (b === undefined || !(b > 0)) continue;
    const key = `| ${r.route} | ${r.config} |`;
    if (!rows.has(key)) rows.set(key, []);
    rows.get(key)!.push(r.reqPerSec / b);
  }
  const out = ['| route | config | req/s × base, each round (sorted) | spread |', '|---|---|---|---:|'];
  for (const [key, ratios] of rows) {
    ratios.sort((a, b) => a - b);
    const spread = ratios[ratios.length - 1] - ratios[0];
    out.push(`${key} ${ratios.map((x) => x.toFixed(2)).join(' ')} | ${spread.toFixed(2)} |`);
  }
  return out.join('\n');
}
