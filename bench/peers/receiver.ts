// One discarding receiver for the other tracers, in its own process so receiving costs the measured
// app nothing. It answers each protocol just enough for its agent to keep exporting:
//   OTLP/HTTP   POST /v1/traces            200, empty protobuf body (an empty ExportTraceServiceResponse)
//   dd agent    PUT|POST /v0.x/traces      200 {"rate_by_service":{}} (the tracer parses the body as JSON)
//   Elastic     GET /                      200 server info (the agent reads the version to pick its intake)
//               POST /intake/v2/events     202
//   anything else                          404, counted under 'other' so a stray endpoint shows up.
// Prints {"port"} once listening; answers 'stats' / 'reset' on stdin like udp-sink, with counts per
// protocol so a run can show that each peer really exported.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

type Counts = Record<string, { requests: number; bytes: number }>;
let counts: Counts = {};
const others = new Set<string>();

function kind(method: string, url: string): string {
  const path = url.split('?')[0];
  if (path === '/v1/traces') return 'otlp';
  if (/^\/v0\.\d\/traces$/.test(path)) return 'datadog';
  if (path === '/intake/v2/events') return 'elastic';
  if (path === '/' && method === 'GET') return 'elastic-info';
  if (path === '/api/traces') return 'jaeger-http';
  return 'other';
}

const server = createServer((req, res) => {
  const k = kind(req.method ?? '', req.url ?? '');
  const entry = (counts[k] ??= { requests: 0, bytes: 0 });
  if (k === 'other') others.add(`${req.method} ${req.url}`);
  req.on('data', (chunk: Buffer) => { entry.bytes += chunk.length; });
  req.on('end', () => {
    entry.requests++;
    let status = 200;
    let type = 'application/json';
    let body = '';
    if (k === 'otlp') type = 'application/x-protobuf';
    else if (k === 'datadog') body = '{"rate_by_service":{}}';
    else if (k === 'elastic') status = 202;
    else if (k === 'jaeger-http') status = 202;
    else if (k === 'elastic-info') body = '{"build_date":"2024-01-01T00:00:00Z","build_sha":"bench","publish_ready":true,"version":"8.15.0"}';
    else status = 404;
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 }) + '\n');
});
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'stats') process.stdout.write(JSON.stringify({ counts, others: [...others].slice(0, 20) }) + '\n');
  if (line === 'reset') { counts = {}; others.clear(); process.stdout.write('{}\n'); }
});
process.stdin.on('end', () => process.exit(0));
