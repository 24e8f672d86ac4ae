// npm run demo — two small services, `frontend` and `backend`, each with its own tracer (as two
// processes would have), traced through the OpenTracing API: server spans from extracted headers,
// client spans with injected headers, a child span for a simulated query. It drives a few requests
// and prints the traces as trees. Spans also go wherever the environment says (by default UDP to
// localhost:6831, where a Jaeger agent or all-in-one would pick them up; nothing breaks without one).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as opentracing from 'opentracing';
import { JaegerTracer } from '../src/tracer/tracer';
import { ConstSampler } from '../src/samplers/const';
import { CompositeReporter } from '../src/reporters/composite';
import { InMemoryReporter } from '../src/reporters/in-memory';
import { createReporter, createTracer } from '../src/config/build';
import { loadEnvConfig } from '../src/config/from-env';
import { renderTraces, type ServiceSpan } from './trace-tree';

const collected: ServiceSpan[] = [];
const config = loadEnvConfig();

// Every span goes to memory (to print) and through the pipeline the JAEGER_* variables describe.
// The demo samples everything whatever JAEGER_SAMPLER_TYPE says, so there is always a trace to show.
function makeTracer(service: string): JaegerTracer {
  const memory = new InMemoryReporter();
  memory.report = (span) => { collected.push({ service, span }); };
  return createTracer(config, {
    serviceName: service,
    sampler: new ConstSampler(true),
    reporter: new CompositeReporter([memory, createReporter(config)]),
  });
}

const frontendTracer = makeTracer('frontend');
const backendTracer = makeTracer('backend');
const { Tags, FORMAT_HTTP_HEADERS } = opentracing;

/** An outgoing GET as a client span whose context travels in the request headers. */
function tracedGet(tracer: JaegerTracer, parent: opentracing.Span, url: string): Promise<string> {
  const span = tracer.startSpan('GET', { childOf: parent, tags: { [Tags.SPAN_KIND]: 'client', [Tags.HTTP_METHOD]: 'GET', [Tags.HTTP_URL]: url } });
  const headers: Record<string, string> = {};
  tracer.inject(span, FORMAT_HTTP_HEADERS, headers);
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => {
        span.setTag(Tags.HTTP_STATUS_CODE, res.statusCode);
        if ((res.statusCode ?? 500) >= 500) span.setTag(Tags.ERROR, true);
        span.finish();
        resolve(body);
      });
    }).on('error', (err) => {
      span.setTag(Tags.ERROR, true).log({ event: 'error', message: err.message });
      span.finish();
      reject(err);
    });
  });
}

/** A server whose every request runs inside a server span continued from the caller's headers. */
function tracedServer(tracer: JaegerTracer, route: string, handle: (span: opentracing.Span, path: string) => Promise<string>) {
  return http.createServer((req, res) => {
    const parent = tracer.extract(FORMAT_HTTP_HEADERS, req.headers) ?? undefined;
    const span = tracer.startSpan(`${req.method} ${route}`, {
      childOf: parent,
      tags: { [Tags.SPAN_KIND]: 'server', [Tags.HTTP_METHOD]: req.method, [Tags.HTTP_URL]: req.url },
    });
    handle(span, req.url ?? '/').then(
      (body) => { res.end(body); span.setTag(Tags.HTTP_STATUS_CODE, 200); span.finish(); },
      (err) => { res.statusCode = 500; res.end(); span.setTag(Tags.ERROR, true).log({ event: 'error', message: String(err) }); span.finish(); },
    );
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const backend = tracedServer(backendTracer, '/items/:id', async (span) => {
    const query = backendTracer.startSpan('SELECT items', {
      childOf: span,
      tags: { [Tags.SPAN_KIND]: 'client', [Tags.DB_TYPE]: 'sql', [Tags.DB_STATEMENT]: 'SELECT * FROM items WHERE id = $1' },
    });
    await sleep(5 + Math.random() * 10);
    query.finish();
    return JSON.stringify({ id: 42, price: 9.5 });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;

  const frontend = tracedServer(frontendTracer, '/checkout', async (span) => {
    span.setBaggageItem('customer', 'demo');
    const [item] = await Promise.all([tracedGet(frontendTracer, span, `${backendUrl}/items/42`), sleep(2)]);
    await tracedGet(frontendTracer, span, `${backendUrl}/items/43`);
    return item;
  });
  await new Promise<void>((resolve) => frontend.listen(0, '127.0.0.1', resolve));
  const frontendUrl = `http://127.0.0.1:${(frontend.address() as AddressInfo).port}`;

  for (let i = 0; i < 2; i++) {
    await new Promise<void>((resolve, reject) => {
      http.get(`${frontendUrl}/checkout`, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
    });
  }
  frontend.close();
  backend.close();
  await Promise.all([frontendTracer.close(), backendTracer.close()]);

  console.log(renderTraces(collected, [Tags.HTTP_STATUS_CODE, Tags.SPAN_KIND]));
  const target = config.endpoint !== undefined
    ? `the collector at ${config.endpoint}`
    : `a Jaeger agent at ${config.agentHost}:${config.agentPort} (UDP)`;
  console.log(`\nThe same spans were also sent to ${target}.`);
  console.log('To see them in Jaeger, run an all-in-one Jaeger and re-run with JAEGER_AGENT_HOST=<host>');
  console.log('or JAEGER_ENDPOINT=http://<host>:14268/api/traces, then open http://<host>:16686.');
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
