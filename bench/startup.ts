// npm run bench:startup — what the preload adds to a CommonJS service's start: spawn until the app
// is listening with pg@8, mysql2@3 and redis@6 loaded (bench/startup-app.ts; it reports after the
// next event-loop turn, so the tracer the preload builds then is included). Variants alternate run
// by run (order rotated), each a fresh process; printed are medians of wall time and of the app's
// own CPU time, and their difference to the plain app. CPU time is the steadier figure on a busy
// machine. Settings: BENCH_RUNS (21), BENCH_BEFORE=<a built checkout of another commit> adds its
// preload to the same runs, BENCH_EXTRA=<file> adds a variant preloading that file (diagnostics,
// e.g. a require hook alone).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { median } from './common';

const ROOT = path.resolve(__dirname, '../..');
const APP = path.join(__dirname, 'startup-app.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 21);

interface Variant { name: string; args: string[]; env: Record<string, string> }
const traced = { JAEGER_SERVICE_NAME: 'bench-startup', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: '9' };
const VARIANTS: Variant[] = [
  { name: 'plain', args: [], env: {} },
  { name: 'preload', args: ['-r', path.join(ROOT, 'register.js')], env: traced },
  { name: 'disabled', args: ['-r', path.join(ROOT, 'register.js')], env: { ...traced, JAEGER_DISABLED: 'true' } },
];
if (process.env.BENCH_BEFORE) {
  VARIANTS.push({ name: 'preload@before', args: ['-r', path.join(path.resolve(process.env.BENCH_BEFORE), 'register.js')], env: traced });
}
if (process.env.BENCH_EXTRA) {
  VARIANTS.push({ name: path.basename(process.env.BENCH_EXTRA), args: ['-r', path.resolve(process.env.BENCH_EXTRA)], env: traced });
}

interface Run { wallMs: number; cpuMs: number }

function once(v: Variant): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [...v.args, APP], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { PATH: process.env.PATH ?? '', ...v.env },
    });
    let out = '';
    let wallMs = 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (wallMs === 0) wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      out += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`${v.name}: exit code ${code}`);
        resolve({ wallMs, cpuMs: JSON.parse(out).cpuMs });
      } catch (err) {
        reject(err);
      }
    });
  });
}

async function main(): Promise<void> {
  const runs = new Map<string, Run[]>(VARIANTS.map((v) => [v.name, []]));
  for (let r = 0; r < RUNS; r++) {
    for (let i = 0; i < VARIANTS.length; i++) {
      const v = VARIANTS[(i + r) % VARIANTS.length];
      runs.get(v.name)!.push(await once(v));
    }
  }
  const base = runs.get('plain')!;
  const baseWall = median(base.map((x) => x.wallMs));
  const baseCpu = median(base.map((x) => x.cpuMs));
  console.log(`bench:startup — ${RUNS} interleaved runs per variant, medians (CommonJS app: pg@8, mysql2@3, redis@6, http listen)`);
  console.log('variant            wall ms   added   CPU ms   added');
  for (const v of VARIANTS) {
    const rs = runs.get(v.name)!;
    const wall = median(rs.map((x) => x.wallMs));
    const cpu = median(rs.map((x) => x.cpuMs));
    const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
    console.log(`${v.name.padEnd(16)} ${wall.toFixed(1).padStart(8)} ${sign(wall - baseWall).padStart(7)} ${cpu.toFixed(1).padStart(8)} ${sign(cpu - baseCpu).padStart(7)}`);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
