// koa + @koa/router through the real entry point, for every version in test/versions/koa.json:
// test/fixtures/koa-app.js runs as `node -r ./register.js`, sends itself real requests over raw
// sockets and exits; spans arrive at a fake agent that decodes real Thrift. Each run is compared
// with a run without the preload: responses byte-identical (Date aside), koa's own error logging
// on stderr identical but for stack frames.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { installedVersions, versionDir, versionSet } from '../helpers/versions';
import { needService } from '../helpers/services';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const ROOT_PARENT = '0000000000000000';
const env = (extra: Record<string, string> = {}) => ({
  JAEGER_SERVICE_NAME: 'koa-fixture', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
  JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port), ...extra,
});

const outLines = (r: FixtureResult) => r.stdout.split('\n').filter((l) => l.startsWith('out '));
// Stack frames differ by our wrappers' frames; process ids differ in warnings. Nothing else may.
const stderrSansStacks = (r: FixtureResult) => r.stderr.split('\n').filter((l) => !/^\s+at /.test(l))
  .map((l) => l.replace(/^\(node:\d+\)/, '(node)'));

// Sequential requests 15 plain + 1 downstream (3 spans), then 8 concurrent downstream ones.
const EXPECTED_SPANS = 15 + 3 + 8 * 3;

/** Runs the fixture with and without the preload against `dir`; returns the traced run's spans. */
async function runBoth(dir: string, extraEnv: Record<string, string> = {}, pgDir?: string) {
  const expected = EXPECTED_SPANS + (pgDir === undefined ? 0 : 1 + 5 * 2);
  const args = pgDir === undefined ? [dir] : [dir, pgDir];
  const from = agent.batches.length;
  const traced = await runFixture('koa-app.js', { env: env(extraEnv), args });
  const plain = await runFixture('koa-app.js', { env: env(), args, preload: false });
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(traced.code, 0, traced.stderr);
  assert.equal(outLines(plain).length, 3 + 16 + 8 + (pgDir === undefined ? 0 : 5), plain.stdout);
  assert.deepEqual(outLines(traced), outLines(plain), 'responses and function identities are the same with and without the preload');
  const spansOf = () => agent.batches.slice(from).flatMap((b) => b.batch.spans);
  await agent.waitFor(() => spansOf().length >= expected, 10_000, `${expected} spans of koa-app.js`);
  assert.equal(agent.errors.length, 0);
  const spans = spansOf();
  assert.equal(spans.length, expected, `spans: ${spans.map((s) => s.operationName).join(', ')}`);
  return { traced, plain, spans };
}

/** The root server span of the request `method url` (exactly one). */
function serverSpan(spans: DecodedSpan[], method: string, url: string): DecodedSpan {
  const found = spans.filter((s) => {
    const t = tagMap(s.tags);
    return t['span.kind'] === 'server' && t['http.method'] === method && t['http.url'] === url && s.parentSpanId === ROOT_PARENT;
  });
  assert.equal(found.length, 1, `one root server span for ${method} ${url}`);
  return found[0];
}

function assertNamed(span: DecodedSpan, operation: string, route: string | undefined, status: number): void {
  const tags = tagMap(span.tags);
  assert.equal(span.operationName, operation, `operation of ${tags['http.url']}`);
  assert.equal(tags['http.route'], route, `http.route of ${tags['http.url']}`);
  assert.equal(tags['http.status_code'], BigInt(status), `status of ${tags['http.url']}`);
  assert.equal(tags.component, 'http');
}

function assertNotFailed(span: DecodedSpan): void {
  assert.equal(tagMap(span.tags).error, undefined, `${span.operationName}: not failed`);
  assert.equal(span.logs?.length ?? 0, 0, `${span.operationName}: no logs`);
}

/** error=true; the first log is the thrown error (kind, message, a stack), the last the http 500. */
function assertFailed(span: DecodedSpan, kind: string | undefined, message: string): void {
  assert.equal(tagMap(span.tags).error, true, `${span.operationName}: error tag`);
  const logs = (span.logs ?? []).map((l) => tagMap(l.fields));
  assert.equal(logs.length, 2, `${span.operationName}: the thrown error and the 500`);
  assert.equal(logs[0].event, 'error');
  assert.equal(logs[0]['error.kind'], kind);
  assert.equal(logs[0].message, message);
  if (kind !== undefined) assert.match(String(logs[0].stack), /\n\s+at /, 'a stack');
  assert.deepEqual(logs[1], { event: 'error', 'error.kind': 'http', message: 'HTTP 500' });
}

/** The span of GET /down/<n>: a client span under it, the downstream server span under that. */
function assertDownstream(spans: DecodedSpan[], n: string): void {
  const server = serverSpan(spans, 'GET', `/down/${n}`);
  assertNamed(server, 'GET /down/:n', '/down/:n', 200);
  const clients = spans.filter((s) => s.parentSpanId === server.spanId);
  assert.equal(clients.length, 1, `one child of GET /down/${n}`);
  const client = clients[0];
  const ct = tagMap(client.tags);
  assert.equal(ct['span.kind'], 'client');
  assert.match(String(ct['http.url']), new RegExp(`/leaf/${n}$`), 'the request made by this very handler');
  assert.equal(client.traceIdLow, server.traceIdLow);
  const leaf = spans.filter((s) => s.parentSpanId === client.spanId);
  assert.equal(leaf.length, 1);
  assert.equal(tagMap(leaf[0].tags)['http.url'], `/leaf/${n}`);
  assert.equal(leaf[0].operationName, 'GET', 'the downstream server has no router');
  assert.equal(leaf[0].traceIdLow, server.traceIdLow);
}

for (const version of versionSet('koa').versions) {
  const dir = versionDir('koa', version);
  const router = installedVersions(dir, '@koa/router')[0];
  test(`koa@${version} with @koa/router@${router} under the preload: routes, errors, downstream children, identical responses`, async () => {
    const { traced, plain, spans } = await runBoth(dir);
    assert.deepEqual(stderrSansStacks(traced), stderrSansStacks(plain), 'koa logs the same errors');
    assert.match(plain.stderr, /boom sync/, 'koa logged the error itself (no app error listener)');

    const routes: Array<[string, string, string, number]> = [
      ['GET', '/users/42', '/users/:id', 200],
      ['POST', '/users', '/users', 201],
      ['GET', '/named/7', '/named/:id', 200],
      ['GET', '/api/items/9', '/api/items/:itemId', 200],
      ['GET', '/api/v1/orders/5', '/api/v1/orders/:orderId', 200],
      ['GET', '/admin/stats', '/admin/stats', 200],
      ['GET', '/forbidden', '/forbidden', 403],
      ['GET', '/caught', '/caught', 418],
    ];
    for (const [method, url, route, status] of routes) {
      const span = serverSpan(spans, method, url);
      assertNamed(span, `${method} ${route}`, route, status);
      assertNotFailed(span);
    }
    // No route matched: the http layer's name stays.
    const nope = serverSpan(spans, 'GET', '/nope');
    assertNamed(nope, 'GET', undefined, 404);
    assertNotFailed(nope);
    const put = serverSpan(spans, 'PUT', '/users/42');
    assertNamed(put, 'PUT', undefined, 405);
    assertNotFailed(put);

    // A thrown non-Error is logged as its text (no kind, no stack: it has none).
    const failures: Array<[string, string | undefined, string | undefined, string]> = [
      ['/fail/sync', '/fail/sync', 'Error', 'boom sync'],
      ['/fail/async', '/fail/async', 'TypeError', 'boom async'],
      ['/fail/reject', '/fail/reject', 'RangeError', 'boom reject'],
      ['/string-thrown', '/string-thrown', undefined, 'just a string'],
      ['/mw-fail', undefined, 'Error', 'middleware failed'],
    ];
    for (const [url, route, kind, message] of failures) {
      const span = serverSpan(spans, 'GET', url);
      assertNamed(span, route === undefined ? 'GET' : `GET ${route}`, route, 500);
      assertFailed(span, kind, message);
    }

    assertDownstream(spans, '1');
    for (let i = 0; i < 8; i++) assertDownstream(spans, `c${i}`);
  });
}

test('pg queries in koa handlers are children of their own request\'s server span', async (t) => {
  if (!await needService(t, 'postgres')) return;
  const koa = versionSet('koa').versions.at(-1)!;
  const pg = versionSet('pg').versions.at(-1)!;
  const { spans } = await runBoth(versionDir('koa', koa), {}, versionDir('pg', pg));
  const connects = spans.filter((s) => s.operationName === 'pg.connect');
  assert.equal(connects.length, 1);
  assert.equal(connects[0].parentSpanId, ROOT_PARENT, 'connected before any request');
  for (const n of ['1', 'c2', 'c3', 'c4', 'c5']) {
    const server = serverSpan(spans, 'GET', `/db/${n}`);
    assertNamed(server, 'GET /db/:n', '/db/:n', 200);
    const children = spans.filter((s) => s.parentSpanId === server.spanId);
    assert.deepEqual(children.map((c) => c.operationName), ['SELECT'], `the query of /db/${n}`);
    assert.equal(tagMap(children[0].tags)['db.statement'], 'SELECT $1::int * ? AS n');
    assert.equal(children[0].traceIdLow, server.traceIdLow);
  }
});

test('koa and @koa/router versions outside the supported ranges are left untouched', async (t) => {
  // A copy of the newest tested folder whose koa and @koa/router claim the next majors.
  const newest = versionSet('koa').versions.at(-1)!;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jaeger-auto-koa-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  fs.cpSync(fs.realpathSync(versionDir('koa', newest)), tmp, { recursive: true });
  const bump = (pkg: string, to: string) => {
    const file = path.join(tmp, 'node_modules', pkg, 'package.json');
    fs.writeFileSync(file, JSON.stringify({ ...JSON.parse(fs.readFileSync(file, 'utf8')), version: to }));
  };
  bump('koa', '4.0.0');
  bump('@koa/router', '16.0.0');
  const { traced, spans } = await runBoth(tmp, { JAEGER_LOG_LEVEL: 'debug' });
  assert.match(traced.stderr, /not patching koa\/lib\/context\.js@4\.0\.0: outside the supported range >=2 <4/);
  assert.match(traced.stderr, /not patching @koa\/router@16\.0\.0: outside the supported range >=8 <16/);
  for (const s of spans.filter((x) => tagMap(x.tags)['span.kind'] === 'server')) {
    assert.equal(s.operationName, tagMap(s.tags)['http.method'], 'the http layer\'s name only');
    assert.equal(tagMap(s.tags)['http.route'], undefined);
  }
  // Only the http layer's own 500 mark: koa's onerror is not wrapped.
  const fail = serverSpan(spans, 'GET', '/fail/sync');
  assert.deepEqual((fail.logs ?? []).map((l) => tagMap(l.fields)), [{ event: 'error', 'error.kind': 'http', message: 'HTTP 500' }]);
  // Context still flows (that is the http layer's and AsyncLocalStorage's doing).
  const down = serverSpan(spans, 'GET', '/down/1');
  assert.equal(spans.filter((s) => s.parentSpanId === down.spanId).length, 1);
});
