// Preload for the jaeger-client comparison: the reference client has no auto-instrumentation, so
// this gives it the least a tracer must do — one server span per incoming request, with the
// incoming context extracted and three tags — and nothing else (no client or db spans).
// Settings come from jaeger-client's own JAEGER_* environment variables.
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

// dist/bench/peers/ -> bench/peers/, where the peer packages are installed.
const peerRequire = createRequire(path.join(__dirname, '..', '..', '..', 'bench', 'peers', 'package.json'));
const { initTracerFromEnv } = peerRequire('jaeger-client');
const { FORMAT_HTTP_HEADERS } = peerRequire('opentracing');

const tracer = initTracerFromEnv({}, { logger: { info() {}, error() {} } });
const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (this: http.Server, event: string, ...args: any[]) {
  if (event === 'request') {
    const req = args[0] as http.IncomingMessage;
    const res = args[1] as http.ServerResponse;
    const parent = tracer.extract(FORMAT_HTTP_HEADERS, req.headers) || undefined;
    const span = tracer.startSpan(req.method || 'GET', {
      childOf: parent,
      tags: { 'span.kind': 'server', 'http.method': req.method, 'http.url': req.url },
    });
    res.once('finish', () => {
      span.setTag('http.status_code', res.statusCode);
      span.finish();
    });
  }
  return (emit as any).apply(this, [event, ...args]);
} as typeof emit;
