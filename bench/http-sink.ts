// A discarding Jaeger collector (HTTP) in its own process: reads and counts every POST body, answers
// 202, and speaks the same stdin protocol as udp-sink ('stats' / 'reset').
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

let requests = 0;
let bytes = 0;
const server = createServer((req, res) => {
  req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
  req.on('end', () => {
    requests++;
    res.writeHead(202, { 'content-length': '0' });
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 }) + '\n');
});
createInterface({ input: process.stdin }).on('line', (line) => {
  // 'datagrams' keeps the shape of udp-sink's answer so the harness reads both alike.
  if (line === 'stats') process.stdout.write(JSON.stringify({ datagrams: requests, bytes }) + '\n');
  if (line === 'reset') { requests = 0; bytes = 0; process.stdout.write('{}\n'); }
});
process.stdin.on('end', () => process.exit(0));
