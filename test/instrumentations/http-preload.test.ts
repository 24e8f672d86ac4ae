// The http instrumentation through the real entry point: fixtures run as `node -r ./register.js`
// (the hook patches http, node:http and https as the app requires them), reporting to a fake agent
// that decodes real Thrift. Also: the app sees no difference with and without the preload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const ROOT_PARENT = '0000000000000000';
const env = (extra: Record<string, string> = {}) => ({
  JAEGER_SERVICE_NAME: 'http-fixture', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
  JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port), ...extra,
});

/** Runs a fixture under the preload and returns its spans (each run reports its own process). */
async function spansOf(fixture: string, expected: number, extra?: Record<string, string>): Promise<DecodedSpan[]> {
  const from = agent.batches.length;
  const r = await runFixture(fixture, { env: env(extra) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  await agent.waitFor((a) => a.batches.slice(from).flatMap((b) => b.batch.spans).length >= expected, 5000, `${expected} spans of ${fixture}`);
  assert.equal(agent.errors.length, 0);
  return agent.batches.slice(from).flatMap((b) => b.batch.spans);
}

const childrenOf = (spans: DecodedSpan[], id: string) => spans.filter((s) => s.parentSpanId === id);

test('http, node:http and node:https are patched by the preload: the whole tree of http-https.js', async () => {
  const spans = await spansOf('http-https.js', 6);
  assert.equal(spans.length, 6);
  assert.equal(new Set(spans.map((s) => s.traceIdLow)).size, 1, 'one trace');
  const [root] = spans.filter((s) => s.parentSpanId === ROOT_PARENT);
  const rt = tagMap(root.tags);
  assert.equal(rt['span.kind'], 'client');
  assert.match(String(rt['http.url']), /^http:\/\/127\.0\.0\.1:\d+\/start$/);
  const [start] = childrenOf(spans, root.spanId);
  assert.equal(tagMap(start.tags)['span.kind'], 'server');
  assert.equal(tagMap(start.tags)['http.url'], '/start');
  const calls = childrenOf(spans, start.spanId).sort((a, b) => (a.startTime < b.startTime ? -1 : 1));
  assert.deepEqual(calls.map((c) => `${c.operationName} ${String(tagMap(c.tags)['http.url']).replace(/:\d+\//, ':N/')}`),
    ['GET https://127.0.0.1:N/secure', 'POST http://127.0.0.1:N/plain']);
  for (const [c, path] of [[calls[0], '/secure'], [calls[1], '/plain']] as const) {
    const servers = childrenOf(spans, c.spanId);
    assert.equal(servers.length, 1);
    assert.equal(tagMap(servers[0].tags)['span.kind'], 'server');
    assert.equal(tagMap(servers[0].tags)['http.url'], path);
    assert.equal(tagMap(servers[0].tags)['http.status_code'], 200n);
    assert.equal(servers[0].operationName, c.operationName);
  }
});

test('JAEGER_HTTP_IGNORE_PATHS under the preload: ignored paths and what their handlers call make no span', async () => {
  const spans = await spansOf('http-ignore.js', 7, { JAEGER_HTTP_IGNORE_PATHS: '/health,/static/*' });
  const url = (s: DecodedSpan) => String(tagMap(s.tags)['http.url']).replace(/^http:\/\/127\.0\.0\.1:\d+/, '');
  const kind = (s: DecodedSpan) => tagMap(s.tags)['span.kind'];
  // Server side: /work, plus the dependency server's own roots; never /health or /static/*.
  assert.deepEqual(spans.filter((s) => kind(s) === 'server').map(url).sort(), ['/dependency-of-health', '/dependency-of-health', '/work']);
  for (const dep of spans.filter((s) => url(s) === '/dependency-of-health')) assert.equal(dep.parentSpanId, ROOT_PARENT);
  // Client side: only the four top-level calls, no call made from inside an ignored handler.
  const clients = spans.filter((s) => kind(s) === 'client');
  assert.deepEqual(clients.map(url).sort(), ['/health', '/health', '/static/app.js', '/work']);
  const work = spans.find((s) => kind(s) === 'server' && url(s) === '/work')!;
  assert.equal(clients.find((c) => c.spanId === work.parentSpanId) !== undefined, true);
  assert.equal(spans.length, 7);
});

test('the app\'s observable behaviour is byte-identical with and without the preload', async () => {
  const from = agent.batches.length;
  const traced = await runFixture('http-behaviour.js', { env: env() });
  const plain = await runFixture('http-behaviour.js', { env: env(), preload: false });
  assert.equal(traced.code, 0, traced.stderr);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(traced.stderr, '');
  assert.equal(traced.stdout, plain.stdout);
  // And the comparison is not vacuous: the preloaded run did trace its exchanges.
  await agent.waitFor((a) => a.batches.slice(from).flatMap((b) => b.batch.spans).filter((s) => tagMap(s.tags)['span.kind'] === 'server').length >= 6, 5000, 'server spans');
});

test('an unhandled request error still crashes the app the same way (the shim adds no error listener)', async () => {
  const traced = await runFixture('http-unhandled.js', { env: env() });
  const plain = await runFixture('http-unhandled.js', { env: env(), preload: false });
  assert.equal(plain.stdout, 'requesting\n');
  assert.equal(traced.stdout, plain.stdout);
  assert.notEqual(plain.code, 0);
  assert.equal(traced.code, plain.code);
  const firstError = (s: string) => s.split('\n').find((l) => l.startsWith('Error:'))?.replace(/:\d+$/, '');
  assert.equal(firstError(plain.stderr), 'Error: connect ECONNREFUSED 127.0.0.1');
  assert.equal(firstError(traced.stderr), firstError(plain.stderr));
  assert.match(traced.stderr, /code: 'ECONNREFUSED'/);
});
