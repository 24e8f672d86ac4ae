// npm run bench:instructions — what the request hooks cost in CPU instructions, counted by valgrind
// (callgrind) instead of timed: the same count on a busy machine as on an idle one, so a change of
// a few percent shows up where bench:hotpath's timings drown it in the host's noise. Each variant's
// server (bench/hotpath-server.js) runs under callgrind; after BENCH_WARM requests (JIT settled)
// the counters are zeroed, BENCH_REQUESTS more are sent and counted. Reported per request: the
// main thread's instructions (the JavaScript, Node's own work and what V8 runs on it) and all
// threads' (adds compilation and GC helpers, which drift with when the JIT finishes). Variants:
// plain (no preload), als-floor (AsyncLocalStorage around each request only), unsampled, sampled,
// and with BENCH_BEFORE=<a built checkout> its unsampled and sampled. Settings: BENCH_ROUTES
// (plain,db,outbound,span), BENCH_VARIANTS, BENCH_JOBS (servers measured at once, default 2),
// BENCH_REPEAT (servers per variant, default 1). With repeats the least count is shown with the
// spread next to it: a function that V8 deoptimised shortly before the counted window runs
// unoptimised in part of it (a time-driven first event comes after fewer requests under valgrind),
// which only ever adds instructions, so the least of several runs is the steady state. The `span`
// target is no server: bench/span-loop.js runs spans shaped like a request's server span in a
// loop (20,000 counted after 50,000), sampled and unsampled, per span instead of per request.
// Needs valgrind (apt-get install valgrind); under it a request is ~50× slower, so a run of the
// defaults takes ~15 minutes on 2 cores. Counts are x86-64 instructions of this machine's node
// binary: compare within one run, not across machines or Node versions.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startUdpSink, startUpstream } from './common';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const autocannon = require('autocannon') as (opts: object) => Promise<{ errors: number; timeouts: number; non2xx: number }>;

const ROOT = path.resolve(__dirname, '../..');
const ROUTES = (process.env.BENCH_ROUTES ?? 'plain,db,outbound,span').split(',').filter(Boolean);
const SPAN_WARM = 50_000;
const SPAN_COUNTED = 20_000;
const WARM = Number(process.env.BENCH_WARM ?? 12_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 6_000);
const JOBS = Math.max(1, Number(process.env.BENCH_JOBS ?? 2));
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 1));

interface Variant { name: string; register?: string; env: Record<string, string>; root?: string }
const SAMPLED = { JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1' };
const UNSAMPLED = { JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '0' };
let VARIANTS: Variant[] = [
  { name: 'plain', env: {} },
  { name: 'als-floor', register: path.join(ROOT, 'bench', 'als-floor.js'), env: {} },
  { name: 'unsampled', register: path.join(ROOT, 'register.js'), env: UNSAMPLED, root: ROOT },
  { name: 'sampled', register: path.join(ROOT, 'register.js'), env: SAMPLED, root: ROOT },
];
if (process.env.BENCH_BEFORE) {
  const root = path.resolve(process.env.BENCH_BEFORE);
  const register = path.join(root, 'register.js');
  VARIANTS.push({ name: 'unsampled@before', register, env: UNSAMPLED, root }, { name: 'sampled@before', register, env: SAMPLED, root });
}
const ONLY = process.env.BENCH_VARIANTS?.split(',').filter(Boolean);
if (ONLY !== undefined && ONLY.length > 0) VARIANTS = VARIANTS.filter((v) => v.name === 'plain' || ONLY.includes(v.name));

interface Count { main: number; all: number }

/** One server under callgrind: warm it up, count REQUESTS requests, return instructions per request. */
async function count(v: Variant, route: string, agentPort: number, upstreamPort: number): Promise<Count> {
  if (route === 'span') return countSpans(v, agentPort);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jaeger-auto-instructions-'));
  try {
    const nodeArgs = [...(v.register ? ['-r', v.register] : []), path.join(__dirname, 'hotpath-server.js'), String(upstreamPort), route === 'db' ? 'db' : ''];
    // One output file per thread: thread 1 is the main (JavaScript) thread.
    const child = spawn('valgrind', ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${path.join(dir, 'cg.out')}`, process.execPath, ...nodeArgs], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: {
        PATH: process.env.PATH ?? '', JAEGER_SERVICE_NAME: 'bench-instructions',
        JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agentPort), ...v.env,
      },
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child.stdout! }).once('line', (line) => resolve(Number(line)));
      child.once('exit', (code) => reject(new Error(`${v.name} server under valgrind exited with ${code}`)));
    });
    const load = async (amount: number): Promise<void> => {
      const r = await autocannon({ url: `http://127.0.0.1:${port}/${route}`, connections: 1, amount, timeout: 60 });
      if (r.errors || r.timeouts || r.non2xx) throw new Error(`${route} ${v.name}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
    };
    try {
      await load(WARM);
      execFileSync('callgrind_control', ['--zero', String(child.pid)], { stdio: 'ignore' });
      await load(REQUESTS);
      execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
    } finally {
      child.stdin!.end(); // the server exits when its stdin closes
      await exited;
    }
    return readCounts(dir, `${route} ${v.name}`, REQUESTS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** bench/span-loop.js under callgrind for the variant's build: instructions per server-like span. */
async function countSpans(v: Variant, agentPort: number): Promise<Count> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jaeger-auto-instructions-'));
  try {
    const mode = v.env.JAEGER_SAMPLER_PARAM === '0' ? 'unsampled' : 'sampled';
    const child = spawn('valgrind', ['--tool=callgrind', '--separate-threads=yes', `--callgrind-out-file=${path.join(dir, 'cg.out')}`,
      process.execPath, path.join(__dirname, 'span-loop.js'), v.root!, String(agentPort), mode], { stdio: ['pipe', 'pipe', 'ignore'], env: { PATH: process.env.PATH ?? '' } });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const lines = createInterface({ input: child.stdout! });
    const answer = (): Promise<void> => new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`span loop (${v.name}) under valgrind exited with ${code}`));
      child.once('exit', onExit);
      lines.once('line', () => { child.off('exit', onExit); resolve(); });
    });
    try {
      await answer(); // ready
      for (let done = 0; done < SPAN_WARM; done += 5_000) {
        child.stdin!.write('run 5000\n');
        await answer();
      }
      execFileSync('callgrind_control', ['--zero', String(child.pid)], { stdio: 'ignore' });
      child.stdin!.write(`run ${SPAN_COUNTED}\n`);
      await answer();
      execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
    } finally {
      child.stdin!.end();
      await exited;
    }
    return readCounts(dir, `span ${v.name}`, SPAN_COUNTED);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The counts of the measured window, per unit: its dump is part 1, cg.out.1-01 (main thread), cg.out.1-02, … */
function readCounts(dir: string, what: string, units: number): Count {
  let main = 0;
  let all = 0;
  for (const file of readdirSync(dir)) {
    const m = /^cg\.out\.1-(\d+)$/.exec(file);
    if (m === null) continue;
    const total = totalOf(readFileSync(path.join(dir, file), 'utf8'));
    all += total;
    if (Number(m[1]) === 1) main = total;
  }
  if (main === 0) throw new Error(`${what}: no counts for the main thread in ${readdirSync(dir).join(', ')}`);
  return { main: main / units, all: all / units };
}

// A callgrind file's total: its `summary:` line (or `totals:`), first event (Ir).
function totalOf(text: string): number {
  const m = /^(?:summary|totals):\s+(\d+)/m.exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** Runs `tasks` with at most `jobs` at once, results in order. */
async function pool<T>(tasks: Array<() => Promise<T>>, jobs: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
  return results;
}

async function main(): Promise<void> {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.error('bench:instructions needs valgrind (apt-get install valgrind)');
    process.exit(1);
  }
  const sink = await startUdpSink();
  const upstream = await startUpstream(120_000);
  console.log(`bench:instructions — callgrind, node ${process.version}, ${WARM} requests of warm-up then ${REQUESTS} counted, one connection (each request its own event-loop turn), ${JOBS} server(s) at a time, ${REPEAT} run(s) per variant`);
  console.log('route      variant             main thread/req  × plain  Δ plain     spread  all threads/req   (span: per span)');
  try {
    for (const route of ROUTES) {
      // The span loop has no plain or floor run: its counts are per span, not above a baseline.
      const variants = route === 'span' ? VARIANTS.filter((v) => v.root !== undefined) : VARIANTS;
      // Round by round, not variant by variant: two runs of one variant side by side share whatever
      // the machine's timing does to both (a concurrent pair of the same build once agreed within
      // 0.2k instructions and sat 10k above a later pair on /outbound).
      const tasks = Array.from({ length: REPEAT }, () => variants.map((v) => () => count(v, route, sink.port, upstream.port))).flat();
      const runs = await pool(tasks, JOBS);
      const counts = variants.map((_, i) => Array.from({ length: REPEAT }, (_r, r) => runs[r * variants.length + i]));
      const least = counts.map((cs) => ({ main: Math.min(...cs.map((c) => c.main)), all: Math.min(...cs.map((c) => c.all)) }));
      const plain = route === 'span' ? undefined : least[0];
      variants.forEach((v, i) => {
        const c = least[i];
        const spread = Math.max(...counts[i].map((r) => r.main)) - c.main;
        const ratio = plain === undefined ? '' : (c.main / plain.main).toFixed(3);
        const delta = plain === undefined ? '' : (c.main - plain.main >= 0 ? '+' : '') + Math.round(c.main - plain.main).toLocaleString('en');
        console.log(
          `${route.padEnd(10)} ${v.name.padEnd(18)} ${Math.round(c.main).toLocaleString('en').padStart(16)}  ${ratio.padStart(7)}` +
          `  ${delta}`.padEnd(10) +
          `  ${REPEAT > 1 ? `+${Math.round(spread).toLocaleString('en')}` : ''}`.padStart(9) +
          `  ${Math.round(c.all).toLocaleString('en').padStart(15)}`,
        );
      });
    }
  } finally {
    sink.child.stdin!.end();
    upstream.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
