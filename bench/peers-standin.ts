// TEMPORARY stand-in for bench/harness.ts (being written in parallel), so bench/peers.ts can be run
// and checked now: same BenchConfig input, a tiny app of its own (/plain, /db), autocannon in its
// own process on CPU 1, the app on CPU 0, configs interleaved within each round, medians printed.
// `node dist/bench/peers-standin.js app` is the app itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { createRequire } from 'node:module';
import { readFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

interface BenchConfig { name: string; nodeArgs: string[]; env: Record<string, string>; setup?: () => Promise<void> }
interface Options { configs: BenchConfig[]; routes?: string[]; rounds?: number; seconds?: number; connections?: number }
interface Sample { rps: number; p99: number; cpuUs: number; startMs: number; rssMb: number; ratio?: number }

const REPO = path.join(__dirname, '..', '..');
const TASKSET = existsSync('/usr/bin/taskset') || existsSync('/bin/taskset');

function app(): void {
  const versions = path.join(REPO, 'test', 'versions');
  const pg = createRequire(path.join(versions, 'pg@8.23.1', 'package.json'))('pg');
  const redisLib = createRequire(path.join(versions, 'redis@4.7.1', 'package.json'))('redis');
  const pool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 10 });
  const redis = redisLib.createClient({ url: 'redis://127.0.0.1:6379' });
  const body = JSON.stringify({ ok: true, items: [1, 2, 3], name: 'plain' });
  const server = http.createServer((req, res) => {
    const send = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(text);
    };
    if (req.url === '/plain') return send(200, body);
    if (req.url === '/db') {
      Promise.all([pool.query('SELECT 1 AS one'), redis.get('bench:key')])
        .then(([r, v]: any[]) => send(200, JSON.stringify({ one: r.rows[0].one, value: v })))
        .catch((err: Error) => send(500, JSON.stringify({ error: String(err) })));
      return;
    }
    send(404, '{}');
  });
  redis.connect().then(() => redis.set('bench:key', 'value')).then(() => {
    server.listen(0, '127.0.0.1', () => {
      process.stdout.write(JSON.stringify({ port: (server.address() as any).port }) + '\n');
    });
  });
}

const EXPECTED: Record<string, string> = {
  '/plain': JSON.stringify({ ok: true, items: [1, 2, 3], name: 'plain' }),
  '/db': JSON.stringify({ one: 1, value: 'value' }),
};

function firstLine(child: ChildProcess): Promise<any> {
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (l) => resolve(JSON.parse(l)));
    child.once('exit', (code) => reject(new Error(`exited ${code} before its first line`)));
  });
}

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** utime + stime of a process in µs, from /proc (clock ticks are 100 Hz on Linux). */
function cpuUs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

function load(url: string, seconds: number, connections: number): Promise<any> {
  const bin = path.join(REPO, 'node_modules', 'autocannon', 'autocannon.js');
  const args = [process.execPath, bin, '-c', String(connections), '-d', String(seconds), '-j', url];
  const child = TASKSET ? spawn('taskset', ['-c', '1', ...args]) : spawn(args[0], args.slice(1));
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  return new Promise((resolve) => child.on('exit', () => resolve(JSON.parse(out))));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function runStandin(opts: Options): Promise<void> {
  const routes = opts.routes ?? ['/plain', '/db'];
  const rounds = opts.rounds ?? Number(process.env.STANDIN_ROUNDS ?? 3);
  const seconds = opts.seconds ?? 3;
  const connections = opts.connections ?? 20;
  const sink = spawn(process.execPath, [path.join(__dirname, 'udp-sink.js')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const udpPort = (await firstLine(sink)).port;
  for (const c of opts.configs) await c.setup?.();
  const results: Record<string, Record<string, Sample[]>> = {};
  const problems: string[] = [];
  for (let round = 0; round < rounds; round++) {
    // Rotate the order each round so no config always runs first or last.
    const order = opts.configs.map((_, i) => opts.configs[(i + round) % opts.configs.length]);
    const baseRps: Record<string, number> = {};
    const rows: Array<[string, string, Sample]> = [];
    for (const c of order) {
      const env: Record<string, string> = { ...process.env as Record<string, string> };
      for (const [k, v] of Object.entries(c.env)) env[k] = v.replace('{UDP_PORT}', String(udpPort)).replace('{REPO}', REPO);
      const args = [...c.nodeArgs, __filename, 'app'];
      const t0 = process.hrtime.bigint();
      const child = TASKSET
        ? spawn('taskset', ['-c', '0', process.execPath, ...args], { env })
        : spawn(process.execPath, args, { env });
      let stderr = '';
      child.stderr!.on('data', (d) => { stderr += d; });
      const { port } = await firstLine(child);
      const startMs = Number(process.hrtime.bigint() - t0) / 1e6;
      for (const route of routes) {
        const url = `http://127.0.0.1:${port}${route}`;
        const check = await get(url);
        if (check.status !== 200 || check.body !== EXPECTED[route]) problems.push(`${c.name} ${route}: ${check.status} ${check.body}`);
        const before = cpuUs(child.pid!);
        const r = await load(url, seconds, connections);
        const used = cpuUs(child.pid!) - before;
        if (r.errors || r.non2xx) problems.push(`${c.name} ${route}: ${r.errors} errors, ${r.non2xx} non-2xx`);
        const sample: Sample = { rps: r.requests.average, p99: r.latency.p99, cpuUs: used / r.requests.total, startMs, rssMb: peakRssMb(child.pid!) };
        rows.push([c.name, route, sample]);
        if (c.name === 'baseline') baseRps[route] = sample.rps;
      }
      // Let the agents' export timers fire before stopping, so the receiver sees their data.
      await new Promise((r) => setTimeout(r, 1500));
      // OpenTelemetry's register flushes on SIGTERM and may never exit: SIGKILL after 2 s.
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
      const guard = stderr.split('\n').filter((l) => l.includes('[net-guard]'));
      if (guard.length) problems.push(`${c.name}: ${[...new Set(guard)].join('; ')}`);
      else if (stderr.trim()) process.stderr.write(`[${c.name} stderr] ${stderr.slice(0, 600)}\n`);
    }
    for (const [name, route, s] of rows) {
      s.ratio = baseRps[route] ? s.rps / baseRps[route] : NaN;
      ((results[name] ??= {})[route] ??= []).push(s);
    }
    process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }
  sink.stdin!.write('stats\n');
  const udp = await new Promise((r) => createInterface({ input: sink.stdout! }).once('line', r));
  console.log(`\nstand-in: ${rounds} rounds x ${seconds} s, ${connections} connections, app on CPU 0${TASKSET ? '' : ' (no taskset)'}; medians`);
  console.log('| config | route | req/s | × baseline | p99 ms | CPU µs/req | start-up ms | peak RSS MB |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const c of opts.configs) {
    for (const route of routes) {
      const xs = results[c.name]?.[route] ?? [];
      const m = (f: (s: Sample) => number) => median(xs.map(f));
      console.log(`| ${c.name} | ${route} | ${m((s) => s.rps).toFixed(0)} | ${m((s) => s.ratio!).toFixed(2)} | ${m((s) => s.p99).toFixed(1)} | ${m((s) => s.cpuUs).toFixed(0)} | ${m((s) => s.startMs).toFixed(0)} | ${m((s) => s.rssMb).toFixed(0)} |`);
    }
  }
  console.log(`udp sink (jaeger-auto and jaeger-client): ${udp}`);
  if (problems.length) console.log('PROBLEMS:\n  ' + problems.join('\n  '));
  else console.log('all responses correct, no errors, no non-loopback traffic reported');
  sink.kill();
}

if (require.main === module && process.argv[2] === 'app') app();
