// The app bench:hotpath measures, in a fresh process per run (argv: upstream port). Routes:
// /plain (small JSON), /db (one pg SELECT 1 + one redis GET, pg@8 and redis@4 from
// test/versions/), /outbound (one outgoing http GET to a plain upstream). Prints its port once
// listening, answers each `cpu` line on stdin with the CPU time it has used (µs), exits when its
// stdin closes.
import http from 'node:http';
import path from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = path.resolve(__dirname, '../..');
const upstreamPort = Number(process.argv[2]);
const withDb = process.argv[3] === 'db';
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

let pgPool: any;
let redis: any;
async function connectDb(): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const pg = require(path.join(ROOT, 'test/versions/pg@8.23.1/node_modules/pg'));
  pgPool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test', max: 10 });
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { createClient } = require(path.join(ROOT, 'test/versions/redis@4.7.1/node_modules/redis'));
  redis = createClient({ url: 'redis://127.0.0.1:6379' });
  await redis.connect();
  await redis.set('bench:key', 'value');
}

const BODY = JSON.stringify({ ok: true, name: 'bench', n: 42 });
function json(res: http.ServerResponse, body: string): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.url === '/plain') return json(res, BODY);
  if (req.url === '/db') {
    pgPool.query('SELECT 1 AS one').then((r: any) => redis.get('bench:key').then((v: string) => {
      json(res, JSON.stringify({ one: r.rows[0].one, v }));
    })).catch((err: Error) => { res.statusCode = 500; res.end(String(err)); });
    return;
  }
  if (req.url === '/outbound') {
    http.get({ host: '127.0.0.1', port: upstreamPort, path: '/up', agent }, (up) => {
      let body = '';
      up.setEncoding('utf8');
      up.on('data', (d) => { body += d; });
      up.on('end', () => json(res, body));
    }).on('error', (err) => { res.statusCode = 502; res.end(String(err)); });
    return;
  }
  res.statusCode = 404;
  res.end();
});

(withDb ? connectDb() : Promise.resolve()).then(() => {
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as { port: number }).port}\n`));
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${user + system}\n`);
  }
}).on('close', () => process.exit(0));
