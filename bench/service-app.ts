// The example service measured by `npm run bench`: plain node:http, no framework, one process.
// Routes: /plain (small JSON), /db (pg SELECT 1 + redis GET), /outbound (one GET to the downstream
// process), /all (pg + mysql2 + redis + outbound). Drivers are the newest versions in test/versions,
// loaded with createRequire so the preload's require hook sees them as it would in a real app.
// The harness talks to it over the IPC channel (not HTTP) so its questions are never traced.
import { createServer, request, Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const versionsDir = path.join(__dirname, '..', '..', 'test', 'versions');

function newest(id: string): (name: string) => any {
  const list = JSON.parse(readFileSync(path.join(versionsDir, `${id}.json`), 'utf8'));
  const version: string = list.versions[list.versions.length - 1];
  return createRequire(path.join(versionsDir, `${list.package}@${version}`, 'package.json'));
}

const POOL = 10;
const downstreamPort = Number(process.env.BENCH_DOWNSTREAM_PORT);
const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 });

const pg = newest('pg')('pg');
const pgPool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: POOL });
const mysql = newest('mysql2')('mysql2');
const myPool = mysql.createPool({
  host: '127.0.0.1', port: 3306, user: 'root', password: '', database: 'test', connectionLimit: POOL,
});
const redisLib = newest('redis')('redis');
const redis = redisLib.createClient({ url: 'redis://127.0.0.1:6379' });
const redisReady: Promise<unknown> = redis.connect().then(() => redis.set('bench:key', 'value'));

function pgQuery(): Promise<unknown> {
  return pgPool.query('SELECT 1');
}

function mysqlQuery(): Promise<unknown> {
  return new Promise((resolve, reject) => {
    myPool.query('SELECT 1', (err: Error | null, rows: unknown) => (err ? reject(err) : resolve(rows)));
  });
}

async function redisGet(): Promise<unknown> {
  await redisReady;
  return redis.get('bench:key');
}

function outbound(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: downstreamPort, path: '/', agent: keepAlive }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve(body));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const routes: Record<string, () => Promise<unknown>> = {
  '/db': async () => {
    await pgQuery();
    return { redis: await redisGet() };
  },
  '/outbound': async () => ({ downstream: (await outbound()).length }),
  '/all': async () => {
    await pgQuery();
    await mysqlQuery();
    const value = await redisGet();
    await outbound();
    return { value };
  },
};

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  if (req.url === '/plain') {
    json(res, 200, { hello: 'world', n: 42 });
    return;
  }
  const route = req.url !== undefined ? routes[req.url] : undefined;
  if (!route) {
    json(res, 404, { error: 'not found' });
    return;
  }
  route().then((value) => json(res, 200, value), (err: Error) => json(res, 500, { error: err.message }));
});
server.keepAliveTimeout = 60_000;

/**
 * The span accounts of jaeger-auto's tracer when the preload put it in this process (its bundle
 * looked up in require.cache only, so a run without it loads nothing extra); undefined otherwise.
 */
function tracerStats(): unknown {
  try {
    const bundle = Object.keys(require.cache).find((f) => f.endsWith(path.join('dist', 'jaeger-auto.js')));
    const loaded = bundle === undefined ? undefined : require.cache[bundle];
    return loaded ? loaded.exports.api().getTracer()?.stats() : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The JS heap still in use after full garbage collections (MB): what the process retains, which
 * peak RSS cannot tell apart from garbage not yet collected (peak RSS swings by tens of MB with
 * the moment the last major GC ran). Only asked for after the measured window. Three collections,
 * a turn of the event loop apart: what one collection finds dead may only be freed by the next,
 * once the weak callbacks it queued (async resources' destroy hooks among them) have run. With
 * AsyncLocalStorage in use that is a lot: on Node 24, /db, one gc() left 35–57 MB in use where a
 * heap snapshot (which collects until nothing more goes) found 20.
 */
async function liveHeapMb(): Promise<number> {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    require('node:v8').setFlagsFromString('--expose-gc');
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const gc = require('node:vm').runInNewContext('gc') as () => void;
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    gc();
    return process.memoryUsage().heapUsed / (1024 * 1024);
  } catch {
    return NaN;
  }
}

process.on('message', (msg: { cmd: string; gc?: boolean }) => {
  if (msg.cmd === 'usage') {
    // maxRSS is the kernel's peak resident set (KiB) for this process's whole life: each run is a
    // fresh process serving one route, so it is the peak under that route's load.
    const cpu = process.cpuUsage();
    const maxRssKb = process.resourceUsage().maxRSS;
    const spans = tracerStats();
    if (msg.gc !== true) {
      process.send!({ cpu, maxRssKb, spans, liveHeapMb: undefined });
    } else {
      void liveHeapMb().then((liveHeap) => process.send!({ cpu, maxRssKb, spans, liveHeapMb: liveHeap }));
    }
  } else if (msg.cmd === 'exit') {
    process.exit(0);
  }
});

server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  // CPU spent getting here (preload, drivers, listen): steadier than wall time on a busy machine.
  const cpu = process.cpuUsage();
  process.send!({ listening: typeof addr === 'object' && addr ? addr.port : 0, startupCpuMs: (cpu.user + cpu.system) / 1000 });
});
