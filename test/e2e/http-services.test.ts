// Two real services under the preload: e2e-frontend.js (reporting over UDP to a fake agent) calls
// e2e-backend.js (reporting over HTTP to a fake collector) over HTTP. Both receivers decode real
// Thrift; the trees are rebuilt from what crossed the wire. See the fixtures' `Expect:` comments.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import { FakeAgent, FakeCollector } from '../helpers/fake-agent';
import { startFixture } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';

type Fixture = ReturnType<typeof startFixture>;
interface Span extends DecodedSpan { service: string; traceId: string; t: Record<string, unknown> }

const ROOT_PARENT = '0000000000000000';
let agent: FakeAgent;
let collector: FakeCollector;
let backend: Fixture;
let frontend: Fixture;
let backendPort = 0;
let frontendPort = 0;
const client = new http.Agent({ keepAlive: true, maxSockets: 10 }); // kept-alive sockets serve many requests

const COMMON_ENV = { JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1', JAEGER_REPORTER_FLUSH_INTERVAL: '50' };

before(async () => {
  agent = await FakeAgent.start();
  collector = await FakeCollector.start();
  backend = startFixture('e2e-backend.js', {
    env: { ...COMMON_ENV, JAEGER_SERVICE_NAME: 'backend', JAEGER_ENDPOINT: collector.url }, timeoutMs: 60_000,
  });
  backendPort = Number((await backend.waitForLine(/^listening \d+$/)).split(' ')[1]);
  frontend = startFixture('e2e-frontend.js', {
    env: {
      ...COMMON_ENV, JAEGER_SERVICE_NAME: 'frontend', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
      BACKEND_URL: `http://127.0.0.1:${backendPort}`,
    },
    timeoutMs: 60_000,
  });
  frontendPort = Number((await frontend.waitForLine(/^listening \d+$/)).split(' ')[1]);
});

after(async () => {
  client.destroy();
  for (const f of [frontend, backend]) {
    if (f === undefined) continue;
    f.child.kill('SIGTERM');
    await f.exited;
  }
  await agent?.close();
  await collector?.close();
});

function call(path: string): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: frontendPort, path, agent: client }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(body) }));
    }).on('error', reject);
  });
}

/** Every span both services reported, tagged with the reporting service. */
function allSpans(): Span[] {
  const out: Span[] = [];
  for (const r of [...agent.batches, ...collector.batches]) {
    for (const s of r.batch.spans) {
      out.push({ ...s, service: r.batch.process.serviceName, traceId: s.traceIdHigh + s.traceIdLow, t: tagMap(s.tags) });
    }
  }
  return out;
}

const children = (spans: Span[], parent: Span) =>
  spans.filter((s) => s.parentSpanId === parent.spanId).sort((a, b) => (a.startTime < b.startTime ? -1 : 1));

/** Waits until the agent holds `front` spans and the collector `back` spans matching `which`. */
async function arrived(which: (s: Span) => boolean, front: number, back: number, what: string): Promise<Span[]> {
  const count = (service: string) => allSpans().filter((s) => s.service === service && which(s)).length;
  await Promise.all([
    agent.waitFor(() => count('frontend') >= front, 10_000, `${front} frontend spans of ${what}`),
    collector.waitFor(() => count('backend') >= back, 10_000, `${back} backend spans of ${what}`),
  ]);
  return allSpans().filter(which);
}

/** The spans of `traceId` once all 10 of a checkout (6 frontend, 4 backend) have arrived. */
function checkoutTrace(traceId: string): Promise<Span[]> {
  const id = traceId.padStart(32, '0');
  return arrived((s) => s.traceId === id, 6, 4, `trace ${id}`);
}

/** Asserts one /checkout/<n> trace is exactly the tree in e2e-frontend.js's Expect comment. */
function assertCheckoutTree(spans: Span[], n: string): void {
  assert.equal(spans.length, 10, `trace of /checkout/${n}: ${spans.map((s) => `${s.service}:${s.operationName}`).join(', ')}`);
  const roots = spans.filter((s) => s.parentSpanId === ROOT_PARENT);
  assert.equal(roots.length, 1);
  const root = roots[0];
  assert.equal(root.service, 'frontend');
  assert.equal(root.operationName, 'GET');
  assert.equal(root.t['span.kind'], 'server');
  assert.equal(root.t['http.url'], `/checkout/${n}`);
  assert.equal(root.t['http.status_code'], 200n);
  assert.equal(root.t.component, 'http');
  assert.equal(root.t['peer.ipv4'], '127.0.0.1');
  assert.equal(typeof root.t['peer.port'], 'bigint');
  const kids = children(spans, root);
  assert.deepEqual(kids.map((k) => `${k.operationName}:${k.t.step ?? k.t['span.kind']}`),
    ['step:before', 'GET:client', 'step:between', 'GET:client', 'step:after']);
  for (const [i, item] of [[1, n], [3, `${n}-b`]] as const) {
    const c = kids[i];
    assert.equal(c.service, 'frontend');
    assert.deepEqual(
      { url: c.t['http.url'], method: c.t['http.method'], host: c.t['peer.hostname'], port: c.t['peer.port'], status: c.t['http.status_code'], component: c.t.component, error: c.t.error },
      { url: `http://127.0.0.1:${backendPort}/items/${item}`, method: 'GET', host: '127.0.0.1', port: BigInt(backendPort), status: 200n, component: 'http', error: undefined },
    );
    const servers = children(spans, c);
    assert.equal(servers.length, 1, 'the backend server span is the client span\'s only child');
    const s = servers[0];
    assert.equal(s.service, 'backend');
    assert.equal(s.operationName, 'GET');
    assert.equal(s.t['span.kind'], 'server');
    assert.equal(s.t['http.url'], `/items/${item}`);
    assert.equal(s.t['http.status_code'], 200n);
    assert.equal(s.t['peer.ipv4'], '127.0.0.1');
    const lookups = children(spans, s);
    assert.equal(lookups.length, 1);
    assert.equal(lookups[0].operationName, 'lookup');
    assert.equal(lookups[0].t.item, item);
    assert.equal(lookups[0].service, 'backend');
  }
}

test('one request: one trace across both services, backend server span under the frontend client span', async () => {
  const r = await call('/checkout/1');
  assert.equal(r.status, 200);
  const traceId: string = r.body.traceId;
  assert.deepEqual(r.body.backend, [traceId, traceId], 'the backend saw the same trace');
  assertCheckoutTree(await checkoutTrace(traceId), '1');
  assert.equal(agent.process?.serviceName, 'frontend');
  assert.equal(collector.process?.serviceName, 'backend');
  assert.equal(agent.errors.length, 0);
  assert.equal(collector.errors.length, 0);
});

test('50 concurrent, interleaved requests: 50 separate, complete trees, no context leaks', async () => {
  const ns = Array.from({ length: 50 }, (_, i) => String(100 + i));
  const answers = await Promise.all(ns.map((n) => call(`/checkout/${n}`)));
  const ids = new Set<string>();
  for (const [i, a] of answers.entries()) {
    assert.equal(a.status, 200);
    assert.deepEqual(a.body.backend, [a.body.traceId, a.body.traceId], `request ${ns[i]}`);
    ids.add(a.body.traceId);
  }
  assert.equal(ids.size, 50, 'one trace per request');
  for (const [i, a] of answers.entries()) assertCheckoutTree(await checkoutTrace(a.body.traceId), ns[i]);
});

test('a backend 500: error on the backend server span, the frontend client span and the 502 it answers', async () => {
  const before = new Set(allSpans().map((s) => s.spanId));
  const r = await call('/fail');
  assert.equal(r.status, 502);
  const isNew = (s: Span) => !before.has(s.spanId);
  const spans = await arrived(isNew, 2, 2, 'the failing trace');
  const root = spans.find((s) => s.parentSpanId === ROOT_PARENT)!;
  assert.equal(spans.filter((s) => s.traceId === root.traceId).length, 4);
  assert.equal(root.t['http.status_code'], 502n);
  assert.equal(root.t.error, true);
  const [c] = children(spans, root);
  assert.equal(c.t['span.kind'], 'client');
  assert.equal(c.t['http.status_code'], 500n);
  assert.equal(c.t.error, true);
  const [s] = children(spans, c);
  assert.equal(s.service, 'backend');
  assert.equal(s.t['http.status_code'], 500n);
  assert.equal(s.t.error, true);
  assert.equal(s.logs?.length, 1);
});

test('no self-tracing: the backend\'s POSTs to the collector never show up as spans', () => {
  const spans = allSpans();
  assert.ok(collector.requests > 0);
  assert.deepEqual(spans.filter((s) => String(s.t['http.url'] ?? '').includes(`:${collector.port}`)), []);
  assert.deepEqual(spans.filter((s) => s.service === 'backend' && s.t['span.kind'] === 'client'), []);
});
