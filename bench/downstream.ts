// The /outbound target: a small untraced HTTP server in its own process, so the work of answering
// is never counted as the measured app's CPU. Prints its port on stdout.
import { createServer } from 'node:http';

const body = JSON.stringify({ ok: true, from: 'downstream' });
const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 }) + '\n');
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
