// npm run bench:fastify — requests/s and latency of a small fastify app (bench/fastify-server.ts,
// fastify from test/versions/fastify@<version>/) served plain, under the preload with every request
// sampled (also with the fastify instrumentation disabled), and under the preload with none sampled. Variants alternate within each round (order
// rotated per round), every run in a fresh server process, load from autocannon in this process;
// medians over the rounds, printed as ratios to plain. The server's CPU time per request is the
// steadiest figure on a shared machine; req/s and latency move with everything else running. Spans go to a discarding UDP receiver.
// Settings: BENCH_FASTIFY_VERSION (default: newest tested), BENCH_SECONDS (5), BENCH_ROUNDS (3),
// BENCH_CONNECTIONS (10).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import fs from 'node:fs';
import path from 'node:path';
import { median, startUdpSink, type UdpSink } from './common';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const autocannon = require('autocannon') as (opts: object) => Promise<AutocannonResult>;
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { average: number; p99: number };
  errors: number; timeouts: number; non2xx: number;
}

const ROOT = path.resolve(__dirname, '../..');
const set = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/versions/fastify.json'), 'utf8')) as { versions: string[] };
const VERSION = process.env.BENCH_FASTIFY_VERSION ?? set.versions[set.versions.length - 1];
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);

interface Variant { name: string; preload: boolean; env: Record<string, string> }
const VARIANTS: Variant[] = [
  { name: 'plain', preload: false, env: {} },
  { name: 'traced (sampled)', preload: true, env: { JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1' } },
  // The same without the fastify hooks: what route naming adds on top of the http server span.
  { name: 'http span only (sampled)', preload: true, env: { JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1', JAEGER_DISABLED_INSTRUMENTATIONS: 'fastify' } },
  { name: 'traced (unsampled)', preload: true, env: { JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '0' } },
];

interface Run { rps: number; mean: number; p99: number; cpuUs: number; datagrams: number }

interface Server { child: ChildProcess; port: number; cpu: () => Promise<number> }

async function startServer(v: Variant, agentPort: number): Promise<Server> {
  const script = path.join(__dirname, 'fastify-server.js');
  const args = [...(v.preload ? ['-r', path.join(ROOT, 'register.js')] : []), script, path.join(ROOT, `test/versions/fastify@${VERSION}`)];
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH ?? '', JAEGER_SERVICE_NAME: 'bench-fastify',
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

async function load(port: number, seconds: number): Promise<AutocannonResult> {
  return autocannon({
    url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: seconds,
    requests: [{ path: '/users/42' }, { path: '/api/orders/7' }],
  });
}

async function measure(v: Variant, sink: UdpSink): Promise<Run> {
  const server = await startServer(v, sink.port);
  try {
    await load(server.port, 1); // warm-up: JIT, connections, the tracer's lazy start
    await sink.ask('reset');
    const cpuBefore = await server.cpu();
    const r = await load(server.port, SECONDS);
    const cpuUs = (await server.cpu()) - cpuBefore;
    if (r.errors || r.timeouts || r.non2xx) throw new Error(`${v.name}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`);
    const stats = await sink.ask('stats');
    return { rps: r.requests.average, mean: r.latency.average, p99: r.latency.p99, cpuUs: cpuUs / r.requests.total, datagrams: stats.datagrams };
  } finally {
    server.child.stdin!.end();
    await new Promise((resolve) => server.child.once('exit', resolve));
  }
}

async function main(): Promise<void> {
  const sink = await startUdpSink();
  const runs = new Map<string, Run[]>(VARIANTS.map((v) => [v.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]);
    for (const v of order) runs.get(v.name)!.push(await measure(v, sink));
  }
  sink.child.stdin!.end();

  const rows = VARIANTS.map((v) => {
    const rs = runs.get(v.name)!;
    return { name: v.name, spread: `${Math.min(...rs.map((x) => x.rps)).toFixed(0)}–${Math.max(...rs.map((x) => x.rps)).toFixed(0)}`, rps: median(rs.map((x) => x.rps)), mean: median(rs.map((x) => x.mean)), p99: median(rs.map((x) => x.p99)), cpuUs: median(rs.map((x) => x.cpuUs)), datagrams: median(rs.map((x) => x.datagrams)) };
  });
  const plain = rows[0];
  console.log(`bench:fastify — fastify@${VERSION}, ${CONNECTIONS} connections, ${SECONDS} s per run, ${ROUNDS} interleaved rounds, medians`);
  console.log('variant                         req/s  mean ms  p99 ms  CPU µs/req  req/s ratio  mean ratio  p99 ratio  CPU ratio  datagrams  req/s min–max');
  for (const x of rows) {
    console.log(
      `${x.name.padEnd(28)} ${x.rps.toFixed(0).padStart(8)} ${x.mean.toFixed(2).padStart(8)} ${x.p99.toFixed(2).padStart(7)} ${x.cpuUs.toFixed(1).padStart(11)}` +
      `  ${(x.rps / plain.rps).toFixed(3).padStart(11)}  ${(x.mean / plain.mean).toFixed(2).padStart(9)}  ${(x.p99 / plain.p99).toFixed(2).padStart(9)}  ${(x.cpuUs / plain.cpuUs).toFixed(2).padStart(9)}  ${String(x.datagrams).padStart(9)}  ${x.spread}`,
    );
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
