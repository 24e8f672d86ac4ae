// The app `npm run bench:startup` starts: pg@8, mysql2@3 and redis@6 from test/versions (required
// the way an app does, through the preload's require hook), one client or pool of each created but
// not connected, and an HTTP server. Once listening, and after the next turn of the event loop (by
// then the preload has built its tracer too), it prints one JSON line: its CPU time so far.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const versions = path.join(__dirname, '..', '..', 'test', 'versions');
const from = (dir: string) => createRequire(path.join(versions, dir, 'package.json'));

const pg = from('pg@8.23.1')('pg');
const mysql = from('mysql2@3.24.6')('mysql2');
const redis = from('redis@6.3.1')('redis');
const pool = new pg.Pool({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
const myPool = mysql.createPool({ host: '127.0.0.1', port: 3306, user: 'root', database: 'test' });
const client = redis.createClient({ url: 'redis://127.0.0.1:6379' });

const server = createServer((_req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => {
  setImmediate(() => {
    const cpu = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
    server.close();
    void pool.end();
    myPool.end(() => {});
    void client;
  });
});
