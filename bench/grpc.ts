// node dist/bench/grpc.js — cost per unary gRPC call (client and server in one process, so each
// traced call makes two spans) plain, under the preload with every call sampled, and with none
// sampled. Variants alternate within each round, each run a fresh process; medians over rounds.
// Spans go to a UDP socket here that discards them. Settings: BENCH_GRPC_VERSION (default: newest
// tested), BENCH_CALLS (5000), BENCH_ROUNDS (3).
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { median } from './common';

const ROOT = path.resolve(__dirname, '../..');
const set = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/versions/grpc.json'), 'utf8')) as { versions: string[] };
const VERSION = process.env.BENCH_GRPC_VERSION ?? set.versions[set.versions.length - 1];
const CALLS = Number(process.env.BENCH_CALLS ?? 5000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Variant { name: string; preload: boolean; env: Record<string, string> }
const VARIANTS: Variant[] = [
  { name: 'plain', preload: false, env: {} },
  // Plain, but with an AsyncLocalStorage in use as under any traced app (http server spans turn it
  // on): the per-async-operation cost of context tracking, apart from what the gRPC shims add.
  { name: 'plain + ALS on', preload: false, env: { BENCH_ALS: '1' } },
  { name: 'traced (sampled)', preload: true, env: { JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1' } },
  { name: 'traced (unsampled)', preload: true, env: { JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '0' } },
  // The preload with this instrumentation off: what the loader and the other shims cost here alone.
  { name: 'preload, grpc off', preload: true, env: { JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1', JAEGER_DISABLED_INSTRUMENTATIONS: 'grpc' } },
];

interface Run { wallUs: number; cpuUs: number }

function run(v: Variant, agentPort: number): Promise<Run> {
  const args = [...(v.preload ? ['-r', path.join(ROOT, 'register.js')] : []), path.join(__dirname, 'grpc-calls.js'),
    path.join(ROOT, `test/versions/@grpc/grpc-js@${VERSION}`), String(CALLS)];
  const env = { PATH: process.env.PATH ?? '', JAEGER_SERVICE_NAME: 'bench-grpc', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agentPort), ...v.env };
  return new Promise((resolve, reject) => execFile(process.execPath, args, { env }, (err, stdout, stderr) => {
    if (err) reject(new Error(`${v.name}: ${stderr || err.message}`));
    else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Run);
  }));
}

async function main(): Promise<void> {
  const sink = dgram.createSocket('udp4');
  let datagrams = 0;
  sink.on('message', () => { datagrams++; });
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  const port = sink.address().port;
  const runs = new Map<string, Run[]>(VARIANTS.map((v) => [v.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < VARIANTS.length; i++) {
      const v = VARIANTS[(i + r) % VARIANTS.length];
      runs.get(v.name)!.push(await run(v, port));
    }
  }
  sink.close();
  console.log(`bench grpc — @grpc/grpc-js@${VERSION}, ${CALLS} sequential unary calls per run, ${ROUNDS} rounds, medians (${datagrams} datagrams received)`);
  console.log('variant                wall µs/call  CPU µs/call');
  const plain = runs.get('plain')!;
  for (const v of VARIANTS) {
    const rs = runs.get(v.name)!;
    const wall = median(rs.map((x) => x.wallUs));
    const cpu = median(rs.map((x) => x.cpuUs));
    const extra = v.name === 'plain' ? '' : `   (+${(wall - median(plain.map((x) => x.wallUs))).toFixed(1)} wall, +${(cpu - median(plain.map((x) => x.cpuUs))).toFixed(1)} CPU)`;
    console.log(`${v.name.padEnd(22)} ${wall.toFixed(1).padStart(12)} ${cpu.toFixed(1).padStart(12)}${extra}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
