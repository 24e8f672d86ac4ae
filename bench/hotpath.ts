// npm run bench:hotpath — what the request hooks cost: the server's CPU time per request (the
// steadiest figure on a shared machine) and req/s for /plain, /db (pg + redis) and /outbound (one
// http GET), served plain, under the preload with every request sampled, and under the preload with
// none sampled. Variants alternate within each round (order rotated per round), each in a fresh
// server process pinned to CPU 0 when taskset exists; load from autocannon in this process (pinned
// to CPU 1), an upstream for /outbound in its own plain process. Spans go to a discarding UDP
// receiver. Settings: BENCH_ROUTES (plain,db,outbound), BENCH_SECONDS (4), BENCH_ROUNDS (3),
// BENCH_CONNECTIONS (20), variant als-floor = AsyncLocalStorage.run around each request only, BENCH_PROF=<dir> writes a --cpu-prof of every traced server,
// BENCH_BEFORE=<a built checkout of another commit> adds its sampled and unsampled variants to the
// same rounds (before/after comparisons on a shared machine), BENCH_VARIANTS=<names> keeps only
// those variants (and plain), BENCH_RATE=<req/s> holds the load at
// a fixed rate instead of flat out, so every variant does the same work per second and CPU µs per
// request compare without the batching that a saturated server gets.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { median, startUdpSink, startUpstream } from './common';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const autocannon = require('autocannon') as (opts: object) => Promise<AutocannonResult>;
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { average: number; p99: number };
  errors: number; timeouts: number; non2xx: number;
}

const ROOT = path.resolve(__dirname, '../..');
const ROUTES = (process.env.BENCH_ROUTES ?? 'plain,db,outbound').split(',').filter(Boolean);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const PROF = process.env.BENCH_PROF;
const RATE = Number(process.env.BENCH_RATE ?? 0);
const TASKSET = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

interface Variant { name: string; preload: boolean; env: Record<string, string>; register?: string }
const VARIANTS: Variant[] = [
  { name: 'plain', preload: false, env: {} },
  { name: 'sampled', preload: true, env: { JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1' } },
  { name: 'unsampled', preload: true, env: { JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '0' } },
  // Not jaeger-auto: AsyncLocalStorage around each request and nothing else (bench/als-floor.js),
  // the part of the unsampled cost any ALS-based tracer pays.
  { name: 'als-floor', preload: true, register: path.join(ROOT, 'bench', 'als-floor.js'), env: {} },
];
const BEFORE = process.env.BENCH_BEFORE;
if (BEFORE) {
  const register = path.join(path.resolve(BEFORE), 'register.js');
  VARIANTS.push(
    { name: 'sampled@before', preload: true, register, env: VARIANTS[1].env },
    { name: 'unsampled@before', preload: true, register, env: VARIANTS[2].env },
  );
}

// BENCH_VARIANTS=sampled,sampled@before runs only those (plain, the reference, always runs).
const ONLY = process.env.BENCH_VARIANTS?.split(',').filter(Boolean);
if (ONLY !== undefined && ONLY.length > 0) {
  for (let i = VARIANTS.length - 1; i > 0; i--) if (!ONLY.includes(VARIANTS[i].name)) VARIANTS.splice(i, 1);
}

interface Run { rps: number; p99: number; cpuUs: number }

function pinned(cpu: string, cmd: string, args: string[]): [string, string[]] {
  return TASKSET ? ['taskset', ['-c', cpu, cmd, ...args]] : [cmd, args];
}

interface Server { child: ChildProcess; port: number; cpu: () => Promise<number> }

async function startServer(v: Variant, route: string, agentPort: number, upstreamPort: number): Promise<Server> {
  const execArgv = [
    ...(v.preload ? ['-r', v.register ?? path.join(ROOT, 'register.js')] : []),
    ...(PROF && v.preload ? ['--cpu-prof', `--cpu-prof-dir=${PROF}`, `--cpu-prof-name=${route}-${v.name.replace('@', '-')}-${Date.now()}.cpuprofile`] : []),
  ];
  const [cmd, args] = pinned('0', process.execPath, [...execArgv, path.join(__dirname, 'hotpath-server.js'), String(upstreamPort), route === 'db' ? 'db' : '']);
  const child = spawn(cmd, args, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH ?? '', JAEGER_SERVICE_NAME: 'bench-hotpath',
      JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agentPort), ...v.env,
    },
  });
  const waiting: ((line: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise<string>((resolve, reject) => {
    waiting.push(resolve);
    child.once('exit', (code) => reject(new Error(`${v.name} server exited with ${code}`)));
  });
  const port = Number(await next());
  const cpu = () => { const p = next(); child.stdin!.write('cpu\n'); return p.then(Number); };
  return { child, port, cpu };
}

async function measure(v: Variant, route: string, agentPort: number, upstreamPort: number): Promise<Run> {
  const server = await startServer(v, route, agentPort, upstreamPort);
  const load = (seconds: number) => autocannon({ url: `http://127.0.0.1:${server.port}/${route}`, connections: CONNECTIONS, duration: seconds, ...(RATE > 0 ? { overallRate: RATE } : {}) });
  try {
    await load(1); // warm-up: JIT, connections, the tracer's lazy start
    const cpuBefore = await server.cpu();
    const r = await load(SECONDS);
    const cpuUs = (await server.cpu()) - cpuBefore;
    if (r.errors || r.timeouts || r.non2xx) throw new Error(`${route} ${v.name}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
    return { rps: r.requests.average, p99: r.latency.p99, cpuUs: cpuUs / r.requests.total };
  } finally {
    server.child.stdin!.end();
    await new Promise((resolve) => server.child.once('exit', resolve));
  }
}

async function main(): Promise<void> {
  if (TASKSET) spawnSync('taskset', ['-p', '-c', '1', String(process.pid)]);
  const sink = await startUdpSink();
  const upstream = await startUpstream(30_000);
  console.log(`bench:hotpath — ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} interleaved rounds, medians${RATE > 0 ? `, fixed ${RATE} req/s` : ''}${TASKSET ? ', server on CPU 0, load on CPU 1' : ''}`);
  console.log('route      variant            req/s   p99 ms  CPU µs/req  req/s ratio  CPU ratio  added CPU µs');
  for (const route of ROUTES) {
    const runs = new Map<string, Run[]>(VARIANTS.map((v) => [v.name, []]));
    for (let r = 0; r < ROUNDS; r++) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
      for (const v of order) runs.get(v.name)!.push(await measure(v, route, sink.port, upstream.port));
    }
    const rows = VARIANTS.map((v) => {
      const rs = runs.get(v.name)!;
      return { name: v.name, rps: median(rs.map((x) => x.rps)), p99: median(rs.map((x) => x.p99)), cpuUs: median(rs.map((x) => x.cpuUs)) };
    });
    const plain = rows[0];
    for (const x of rows) {
      console.log(
        `${route.padEnd(10)} ${x.name.padEnd(16)} ${x.rps.toFixed(0).padStart(8)} ${x.p99.toFixed(1).padStart(8)} ${x.cpuUs.toFixed(1).padStart(11)}` +
        `  ${(x.rps / plain.rps).toFixed(3).padStart(11)}  ${(x.cpuUs / plain.cpuUs).toFixed(2).padStart(9)}  ${(x.cpuUs - plain.cpuUs).toFixed(1).padStart(12)}`,
      );
    }
  }
  sink.child.stdin!.end();
  upstream.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
