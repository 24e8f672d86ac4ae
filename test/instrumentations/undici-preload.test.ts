// Global fetch and undici (every version in test/versions/undici.json) through the real entry point:
// test/fixtures/undici-app.js runs as `node -r ./register.js`, each case inside a request to its own
// "front" server, calling a local "back" server; spans arrive at a fake agent decoding real Thrift.
// Each run is compared with a run without the preload: what the app observes is identical.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { versionDir, versionSet } from '../helpers/versions';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const ROOT_PARENT = '0000000000000000';
const env = (extra: Record<string, string> = {}) => ({
  JAEGER_SERVICE_NAME: 'undici-fixture', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
  JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port), ...extra,
});

/**
 * One dispatched request: method, back-server path, its status or 'refused', and for an attempt
 * aborted after its headers (by the app, or by undici to retry), the error kind it ended with.
 */
type Call = [string, string, number | 'refused', string?];

const GLOBAL_CASES: Record<string, Call[]> = {
  'fetch-ok': [['GET', '/ok', 200]],
  'fetch-post': [['POST', '/ok', 200]],
  'fetch-500': [['GET', '/fail', 500]],
  'fetch-refused': [['GET', '/nothing', 'refused']],
  'fetch-abort': [['GET', '/slow', 200, 'AbortError']],
  'fetch-redirect': [['GET', '/redirect', 302], ['GET', '/ok', 200]],
  sequential: [['GET', '/ok', 200], ['GET', '/ok', 200]],
};
const UNDICI_CASES: Record<string, Call[]> = {
  'request-ok': [['GET', '/ok', 200]],
  'request-callback': [['GET', '/ok', 200]],
  'request-500': [['GET', '/fail', 500]],
  'request-refused': [['GET', '/nothing', 'refused']],
  'request-redirect': [['GET', '/redirect', 302], ['GET', '/ok', 200]],
  'undici-fetch': [['GET', '/ok', 200]],
  client: [['GET', '/ok', 200]],
  pool: [['GET', '/ok', 200], ['GET', '/ok', 200], ['GET', '/ok', 200]],
  mixed: [['GET', '/ok', 200], ['GET', '/ok', 200]],
};
/** Every case the fixture runs with this undici version (RetryAgent came with undici 6). */
function casesFor(version: string): Record<string, Call[]> {
  const major = Number(version.split('.')[0]);
  if (major < 6) return { ...GLOBAL_CASES, ...UNDICI_CASES };
  // undici 6's RetryHandler aborts the 503 attempt; 7's reads it to the end. Then the retry.
  const first: Call = major === 6 ? ['GET', '/flaky', 503, 'RequestRetryError'] : ['GET', '/flaky', 503];
  return { ...GLOBAL_CASES, ...UNDICI_CASES, retry: [first, ['GET', '/flaky', 200]] };
}
const TOGETHER = 4; // /case/sequential/<n> at once

const spansOfCase = (calls: Call[]) => 1 + calls.length + calls.filter((c) => c[2] !== 'refused').length;
const outLines = (r: FixtureResult) => r.stdout.split('\n').filter((l) => l.startsWith('out ')).sort();
const seenLines = (r: FixtureResult) => r.stdout.split('\n').filter((l) => l.startsWith('seen '));

async function runBoth(args: string[], expected: number, extraEnv: Record<string, string> = {}) {
  const from = agent.batches.length;
  const traced = await runFixture('undici-app.js', { env: env(extraEnv), args });
  const plain = await runFixture('undici-app.js', { env: env(), args, preload: false });
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(traced.code, 0, traced.stderr);
  assert.equal(traced.stderr, '', 'nothing on stderr');
  assert.ok(outLines(plain).length > 10, plain.stdout);
  assert.deepEqual(outLines(traced), outLines(plain), 'the app observes the same with and without the preload');
  const spansOf = () => agent.batches.slice(from).flatMap((b) => b.batch.spans);
  await agent.waitFor(() => spansOf().length >= expected, 10_000, `${expected} spans of undici-app.js`);
  assert.equal(agent.errors.length, 0);
  const spans = spansOf();
  assert.equal(spans.length, expected, `spans: ${spans.map((s) => `${s.operationName} ${tagMap(s.tags)['http.url']}`).join(', ')}`);
  return { traced, plain, spans };
}

function frontSpan(spans: DecodedSpan[], url: string): DecodedSpan {
  const found = spans.filter((s) => tagMap(s.tags)['span.kind'] === 'server' && tagMap(s.tags)['http.url'] === url);
  assert.equal(found.length, 1, `one server span for ${url}`);
  assert.equal(found[0].parentSpanId, ROOT_PARENT, `${url} is a root`);
  return found[0];
}

/** The client spans under the front request `url` match `calls`, each with its back-server child. */
function assertCase(spans: DecodedSpan[], seen: string[], url: string, calls: Call[]): void {
  const front = frontSpan(spans, url);
  const clients = spans.filter((s) => s.parentSpanId === front.spanId)
    .sort((a, b) => Number(a.startTime - b.startTime) || a.operationName.localeCompare(b.operationName));
  assert.equal(clients.length, calls.length,
    `${url}: ${calls.length} client span(s), got ${clients.map((c) => `${c.operationName} ${tagMap(c.tags)['http.url']}`).join(', ')}`);
  calls.forEach(([method, path, outcome, abortedWith], i) => {
    const client = clients[i];
    const tags = tagMap(client.tags);
    const what = `${url} call ${i}`;
    assert.equal(client.operationName, method, what);
    assert.equal(client.traceIdLow, front.traceIdLow, `${what}: same trace`);
    assert.equal(tags['span.kind'], 'client', what);
    assert.equal(tags.component, 'undici', what);
    assert.equal(tags['http.method'], method, what);
    const m = /^http:\/\/127\.0\.0\.1:(\d+)(\/[^?#]*)$/.exec(String(tags['http.url']));
    assert.ok(m, `${what}: http.url ${tags['http.url']} without query`);
    assert.equal(m[2], path, what);
    assert.equal(tags['peer.hostname'], '127.0.0.1', what);
    assert.equal(tags['peer.port'], BigInt(m[1]), what);
    const logs = (client.logs ?? []).map((l) => tagMap(l.fields));
    const children = spans.filter((s) => s.parentSpanId === client.spanId);
    if (outcome === 'refused') {
      assert.equal(tags.error, true, `${what}: failed`);
      assert.equal(tags['http.status_code'], undefined, what);
      assert.equal(logs.length, 1, what);
      assert.equal(logs[0].event, 'error', what);
      assert.match(String(logs[0].message), /ECONNREFUSED|fetch failed|connect/, what);
      assert.equal(children.length, 0, `${what}: nothing reached a server`);
      return;
    }
    assert.equal(tags['http.status_code'], BigInt(outcome), what);
    if (outcome >= 500) {
      assert.equal(tags.error, true, `${what}: 5xx failed`);
      assert.deepEqual(logs[0], { event: 'error', 'error.kind': 'http', message: `HTTP ${outcome}` }, what);
      assert.deepEqual(logs.slice(1).map((l) => l['error.kind']), abortedWith === undefined ? [] : [abortedWith], what);
    } else if (abortedWith !== undefined) {
      assert.equal(tags.error, true, `${what}: aborted`);
      assert.deepEqual(logs.map((l) => l['error.kind']), [abortedWith], what);
    } else {
      assert.equal(tags.error, undefined, `${what}: not failed`);
      assert.equal(logs.length, 0, what);
    }
    // The back server continued the client span's trace from the headers we injected, exactly once.
    assert.equal(children.length, 1, `${what}: one back-server span`);
    assert.equal(tagMap(children[0].tags)['span.kind'], 'server', what);
    assert.equal(tagMap(children[0].tags)['http.url'], path, what);
    const received = seen.filter((l) => l.includes(`uber-trace-id=${client.traceIdLow}:${client.spanId}:`));
    assert.equal(received.length, 1, `${what}: the back server got the client span's uber-trace-id`);
    assert.match(received[0], new RegExp(`^seen ${method} ${path}[?\\s]`), what);
    assert.doesNotMatch(received[0], /from-the-app|, /, `${what}: one value, ours`);
    assert.match(received[0], / traceparent=00-/, `${what}: every selected format injected`);
  });
}

function assertAll(spans: DecodedSpan[], traced: FixtureResult, cases: Record<string, Call[]>): void {
  const seen = seenLines(traced);
  for (const [name, calls] of Object.entries(cases)) assertCase(spans, seen, `/case/${name}`, calls);
  for (let n = 1; n <= TOGETHER; n++) assertCase(spans, seen, `/case/sequential/${n}`, GLOBAL_CASES.sequential);
  // Every client span is one of the above: none elsewhere, none doubled.
  const clients = spans.filter((s) => tagMap(s.tags)['span.kind'] === 'client');
  const expected = Object.values(cases).reduce((n, c) => n + c.length, 0) + TOGETHER * GLOBAL_CASES.sequential.length;
  assert.equal(clients.length, expected, 'exactly one client span per dispatched request');
}

const expectedSpans = (cases: Record<string, Call[]>) =>
  Object.values(cases).reduce((n, c) => n + spansOfCase(c), 0) + TOGETHER * spansOfCase(GLOBAL_CASES.sequential);

test(`global fetch (Node ${process.versions.node}, bundled undici ${process.versions.undici}) under the preload`, async () => {
  const { spans, traced } = await runBoth([], expectedSpans(GLOBAL_CASES));
  assertAll(spans, traced, GLOBAL_CASES);
});

for (const version of versionSet('undici').versions) {
  test(`undici@${version} request, fetch, Client, Pool, next to global fetch, under the preload`, async () => {
    const cases = casesFor(version);
    const { spans, traced } = await runBoth([versionDir('undici', version)], expectedSpans(cases));
    assertAll(spans, traced, cases);
  });
}

test('JAEGER_DISABLED_INSTRUMENTATIONS=undici: no client span, nothing injected, the http server still traced', async () => {
  const newest = versionSet('undici').versions.at(-1)!;
  // Per case: the front span and a back-server root per request that reached it.
  const cases = casesFor(newest);
  const expected = Object.values(cases).reduce((n, c) => n + 1 + c.filter((x) => x[2] !== 'refused').length, 0)
    + TOGETHER * (1 + GLOBAL_CASES.sequential.length);
  const { spans, traced } = await runBoth([versionDir('undici', newest)], expected, { JAEGER_DISABLED_INSTRUMENTATIONS: 'undici' });
  assert.equal(spans.filter((s) => tagMap(s.tags)['span.kind'] === 'client').length, 0);
  assert.equal(spans.filter((s) => s.parentSpanId !== ROOT_PARENT).length, 0, 'every span a root');
  const seen = seenLines(traced);
  assert.ok(seen.length > 20);
  assert.deepEqual(seen.filter((l) => / traceparent=/.test(l)), [], 'nothing injected');
  const withHeader = seen.filter((l) => /uber-trace-id=/.test(l));
  assert.deepEqual(withHeader.map((l) => l.split(' ').slice(1, 4).join(' ')),
    ['GET /ok?token=secret uber-trace-id=from-the-app', 'GET /ok?q=1 uber-trace-id=from-the-app'], 'only the app\'s own headers');
});

test('unsampled: the sampling decision is still propagated', async () => {
  const traced = await runFixture('undici-app.js', { env: env({ JAEGER_SAMPLER_PARAM: '0' }), args: [] });
  assert.equal(traced.code, 0, traced.stderr);
  const seen = seenLines(traced);
  const expected = Object.values(GLOBAL_CASES).reduce((n, c) => n + c.filter((x) => x[2] !== 'refused').length, 0)
    + TOGETHER * GLOBAL_CASES.sequential.length;
  assert.equal(seen.length, expected);
  for (const line of seen) assert.match(line, / uber-trace-id=[0-9a-f]+:[0-9a-f]+:[0-9a-f]+:0 traceparent=00-[0-9a-f]{32}-[0-9a-f]{16}-00$/, line);
});
