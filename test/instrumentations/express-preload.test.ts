// The express instrumentation through the real entry point, for every version in
// test/versions/express.json: test/fixtures/express-app.js runs as `node -r ./register.js`, serves
// real requests it sends itself, and reports to a fake agent that decodes real Thrift. Every run
// is compared with a run without the preload: the responses (status, content type, body) must be
// identical.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import semver from 'semver';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { versionDir, versionSet } from '../helpers/versions';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const env = (extra: Record<string, string> = {}) => ({
  NODE_ENV: 'production', // express's 500 page then carries no stack (whose frames would include ours)
  JAEGER_SERVICE_NAME: 'express-fixture', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
  JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port), ...extra,
});

const outLines = (r: FixtureResult) => r.stdout.split('\n').filter((l) => l.startsWith('out '));

// What each case's server span must be: [http.url, operation, http.route or undefined, status].
const CASES: Array<[string, string, string, string | undefined, number]> = [
  ['users', '/users/42', 'GET /users/:id', '/users/:id', 200],
  ['api-item', '/api/items/7', 'GET /api/items/:itemId', '/api/items/:itemId', 200],
  ['api-root', '/api', 'GET /api', '/api', 200],
  ['v1', '/api/v1/things/3', 'GET /api/v1/things/:thingId', '/api/v1/things/:thingId', 200],
  ['org', '/orgs/acme/repos/tracer', 'GET /orgs/:org/repos/:repo', '/orgs/:org/repos/:repo', 200],
  ['array', '/b', 'GET [/a,/b]', '[/a,/b]', 200],
  ['regex', '/reeegex', 'GET /^\\/re+gex$/', '/^\\/re+gex$/', 200],
  ['admin', '/admin/stats', 'GET /admin/stats', '/admin/stats', 200],
  ['echo', '/api/echo', 'POST /api/echo', '/api/echo', 200],
  ['downstream', '/downstream', 'GET /downstream', '/downstream', 200],
  ['echo-downstream', '/api/echo-downstream', 'POST /api/echo-downstream', '/api/echo-downstream', 200],
  ['pooled', '/pooled/5', 'GET /pooled/:n', '/pooled/:n', 200],
  ['pass-on', '/pass/1', 'GET /pass/:x', '/pass/:x', 200],
  ['not-found', '/nope', 'GET', undefined, 404],
  ['fail-sync', '/fail/sync', 'GET /fail/sync', '/fail/sync', 500],
  ['fail-next', '/fail/next', 'GET /fail/next', '/fail/next', 500],
  ['fail-handled', '/fail/handled', 'GET /fail/handled', '/fail/handled', 418],
  ['fail-async', '/fail/async', 'GET /fail/async', '/fail/async', 500],
];
const DOWNSTREAM = new Set(['downstream', 'echo-downstream', 'pooled']);
// The error each failing case logs on its server span: [error.kind, message].
const ERRORS: Record<string, [string, string]> = {
  'fail-sync': ['Error', 'sync boom'],
  'fail-next': ['TypeError', 'next boom'],
  'fail-handled': ['RangeError', 'handled boom'],
  'fail-async': ['SyntaxError', 'async boom'],
};

const casesFor = (version: string) => CASES.filter(([name]) => name !== 'fail-async' || semver.major(version) >= 5);

interface Run { traced: FixtureResult; spans: DecodedSpan[] }

/** Runs the fixture with and without the preload; same responses; waits for `expected` spans. */
async function run(dir: string, expected: number, extra: Record<string, string> = {}): Promise<Run> {
  const from = agent.batches.length;
  const traced = await runFixture('express-app.js', { env: env(extra), args: [dir] });
  const plain = await runFixture('express-app.js', { env: env(extra), args: [dir], preload: false });
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(traced.code, 0, traced.stderr);
  assert.ok(outLines(plain).length >= 16, plain.stdout);
  assert.deepEqual(outLines(traced), outLines(plain), 'responses are the same with and without the preload');
  // express logs the errors it answers 500 for on stderr: the same errors, in the same order.
  const errorLines = (r: FixtureResult) => r.stderr.split('\n').filter((l) => /^\w*Error: /.test(l));
  assert.deepEqual(errorLines(traced), errorLines(plain));
  const spansOf = () => agent.batches.slice(from).flatMap((b) => b.batch.spans);
  await agent.waitFor(() => spansOf().length >= expected, 5000, `${expected} spans`);
  assert.equal(agent.errors.length, 0);
  const spans = spansOf();
  assert.equal(spans.length, expected, `spans: ${spans.map((s) => s.operationName).join(', ')}`);
  return { traced, spans };
}

/** Server spans of the express app (not the downstream server's), by http.url. */
function appServerSpans(spans: DecodedSpan[]): Map<string, DecodedSpan> {
  const byUrl = new Map<string, DecodedSpan>();
  for (const s of spans) {
    const tags = tagMap(s.tags);
    if (tags['span.kind'] !== 'server' || tags['http.url'] === '/target') continue;
    assert.ok(!byUrl.has(String(tags['http.url'])), `one server span for ${tags['http.url']}`);
    byUrl.set(String(tags['http.url']), s);
  }
  return byUrl;
}

function assertErrorLogged(span: DecodedSpan, kind: string, message: string): void {
  assert.equal(tagMap(span.tags).error, true, `${span.operationName}: error tag`);
  const ours = (span.logs ?? []).map((l) => tagMap(l.fields)).filter((f) => f['error.kind'] === kind);
  assert.equal(ours.length, 1, `${span.operationName}: one ${kind} log`);
  assert.equal(ours[0].event, 'error');
  assert.equal(ours[0].message, message);
  assert.match(String(ours[0].stack), new RegExp(`^${kind}: ${message}\\n\\s+at `));
}

const childrenOf = (spans: DecodedSpan[], parent: DecodedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId && s.traceIdLow === parent.traceIdLow);

for (const version of versionSet('express').versions) {
  const dir = versionDir('express', version);

  test(`express ${version}: server spans named after the route, errors logged, downstream spans are children`, async () => {
    const cases = casesFor(version);
    // Per case: the fixture's own client span and the app's server span; per downstream call, a
    // client span and the downstream server's span.
    const { spans } = await run(dir, cases.length * 2 + DOWNSTREAM.size * 2);
    const servers = appServerSpans(spans);
    assert.equal(servers.size, cases.length);
    assert.equal(spans.filter((s) => tagMap(s.tags).component === 'express').length, 0, 'no middleware spans by default');
    for (const [name, url, operation, route, status] of cases) {
      const span = servers.get(url);
      assert.ok(span, `${name}: server span for ${url}`);
      const tags = tagMap(span.tags);
      assert.equal(span.operationName, operation, name);
      assert.equal(tags['http.route'], route, `${name}: http.route`);
      assert.equal(span.tags!.filter((t) => t.key === 'http.route').length, route === undefined ? 0 : 1, `${name}: one http.route tag`);
      assert.equal(tags['http.status_code'], BigInt(status), `${name}: status`);
      assert.equal(tags.component, 'http');
      if (ERRORS[name]) {
        assertErrorLogged(span, ...ERRORS[name]);
      } else {
        assert.equal(tags.error, undefined, `${name}: no error`);
        assert.equal(span.logs?.length ?? 0, 0, `${name}: no logs`);
      }
      const children = childrenOf(spans, span);
      if (DOWNSTREAM.has(name)) {
        assert.equal(children.length, 1, `${name}: the downstream call is a child of the server span`);
        const [client] = children;
        assert.equal(tagMap(client.tags)['span.kind'], 'client');
        const [downstream] = childrenOf(spans, client);
        assert.equal(tagMap(downstream?.tags)['http.url'], '/target', `${name}: the downstream server continues the trace`);
      } else {
        assert.equal(children.length, 0, `${name}: no children`);
      }
    }
  });
}

// The layer spans of each case after express.json's, in start order (the app's stack: json, routes
// and mounts in the fixture's order, then the error handler teapot).
const LAYER_SPANS: Record<string, string[]> = {
  users: ['request handler - /users/:id'],
  'api-item': ['router - /api', 'request handler - /api/items/:itemId'],
  'api-root': ['router - /api', 'request handler - /api'],
  v1: ['router - /api', 'router - /api/v1', 'request handler - /api/v1/things/:thingId'],
  org: ['router - /orgs/:org', 'request handler - /orgs/:org/repos/:repo'],
  array: ['request handler - [/a,/b]'],
  regex: ['request handler - /^\\/re+gex$/'],
  admin: ['app - /admin', 'request handler - /admin/stats'],
  echo: ['router - /api', 'request handler - /api/echo'],
  downstream: ['request handler - /downstream'],
  'echo-downstream': ['router - /api', 'request handler - /api/echo-downstream'],
  pooled: ['request handler - /pooled/:n', 'request handler - /pooled/:n'],
  'pass-on': ['request handler - /pass/:x', 'request handler - /pass/:x'],
  'not-found': [],
  'fail-sync': ['request handler - /fail/sync', 'middleware - teapot'],
  'fail-next': ['request handler - /fail/next', 'middleware - teapot'],
  'fail-handled': ['request handler - /fail/handled', 'middleware - teapot'],
  'fail-async': ['request handler - /fail/async', 'middleware - teapot'],
};

function expectedLayerSpans(name: string, major: number): string[] {
  // express 4 runs its own query and expressInit middleware first in every app, sub-apps included.
  const builtins = major === 4 ? ['middleware - query', 'middleware - expressInit'] : [];
  const list = [...builtins, 'middleware - jsonParser', ...LAYER_SPANS[name]];
  const app = list.indexOf('app - /admin');
  if (app >= 0) list.splice(app + 1, 0, ...builtins);
  return list;
}

const byStart = (a: DecodedSpan, b: DecodedSpan) => (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0);

// The newest release of each major with JAEGER_EXPRESS_MIDDLEWARE_SPANS=true.
const newestPerMajor = [...new Map(versionSet('express').versions.map((v) => [semver.major(v), v])).values()];
for (const version of newestPerMajor) {
  const dir = versionDir('express', version);

  test(`express ${version}: middleware, router and request handler spans with JAEGER_EXPRESS_MIDDLEWARE_SPANS`, async () => {
    const cases = casesFor(version);
    const major = semver.major(version);
    const layers = cases.reduce((n, [name]) => n + expectedLayerSpans(name, major).length, 0);
    const { spans } = await run(dir, cases.length * 2 + DOWNSTREAM.size * 2 + layers, { JAEGER_EXPRESS_MIDDLEWARE_SPANS: 'true' });
    const servers = appServerSpans(spans);
    for (const [name, url, operation] of cases) {
      const server = servers.get(url)!;
      assert.equal(server.operationName, operation);
      const mine = childrenOf(spans, server).filter((s) => tagMap(s.tags).component === 'express').sort(byStart);
      assert.deepEqual(mine.map((s) => s.operationName), expectedLayerSpans(name, major), `${name}: layer spans in order`);
      for (const s of mine) {
        assert.ok(['middleware', 'router', 'app', 'request_handler'].includes(String(tagMap(s.tags)['express.type'])));
      }
      // A middleware that called next() ended before the next layer started (those that answered
      // end with the response: that they were reported at all, in the exact count, shows it).
      for (let i = 0; i + 1 < mine.length; i++) {
        if (!mine[i].operationName.startsWith('middleware - ') || mine[i].operationName === 'middleware - teapot') continue;
        assert.ok(mine[i].startTime + mine[i].duration <= mine[i + 1].startTime, `${name}: ${mine[i].operationName} ended at next()`);
      }
    }
    // The downstream call made in a route handler is a child of that handler's span.
    const echo = servers.get('/api/echo-downstream')!;
    const handler = childrenOf(spans, echo).find((s) => s.operationName === 'request handler - /api/echo-downstream')!;
    assert.deepEqual(tagMap(handler.tags), {
      component: 'express', 'express.type': 'request_handler', 'express.name': '<anonymous>', 'http.route': '/api/echo-downstream',
    });
    assert.equal(childrenOf(spans, handler).filter((s) => tagMap(s.tags)['span.kind'] === 'client').length, 1);
    assert.equal(childrenOf(spans, echo).filter((s) => tagMap(s.tags)['span.kind'] === 'client').length, 0);
    const json = childrenOf(spans, echo).find((s) => s.operationName === 'middleware - jsonParser')!;
    assert.deepEqual(tagMap(json.tags), { component: 'express', 'express.type': 'middleware', 'express.name': 'jsonParser' });
    // The handler that threw carries the error too; the error handler that passed it on as well.
    const failing = childrenOf(spans, servers.get('/fail/sync')!).find((s) => s.operationName === 'request handler - /fail/sync')!;
    assertErrorLogged(failing, 'Error', 'sync boom');
    assertErrorLogged(servers.get('/fail/sync')!, 'Error', 'sync boom');
    const handled = childrenOf(spans, servers.get('/fail/handled')!).find((s) => s.operationName === 'middleware - teapot')!;
    assert.equal(tagMap(handled.tags).error, undefined, 'teapot answered: its span did not fail');
  });
}

test('express outside the supported range is left untouched', async () => {
  // A real express 4 whose package.json says 4.16.0: the hook must skip it, whatever its code.
  const source = versionDir('express', versionSet('express').versions[0]);
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'jaeger-auto-express-'));
  try {
    fs.cpSync(fs.realpathSync(source), copy, { recursive: true });
    const manifest = path.join(copy, 'node_modules/express/package.json');
    fs.writeFileSync(manifest, fs.readFileSync(manifest, 'utf8').replace(/"version": "[^"]+"/, '"version": "4.16.0"'));
    const cases = casesFor('4.16.0');
    const { spans } = await run(copy, cases.length * 2 + DOWNSTREAM.size * 2);
    for (const span of appServerSpans(spans).values()) {
      assert.match(span.operationName, /^(GET|POST)$/, 'the http layer\'s name only');
      assert.equal(tagMap(span.tags)['http.route'], undefined);
    }
  } finally {
    fs.rmSync(copy, { recursive: true, force: true });
  }
});

test('express: unsampled requests answer exactly as untraced and report nothing', async () => {
  const versions = versionSet('express').versions;
  const { spans } = await run(versionDir('express', versions[versions.length - 1]), 0, {
    JAEGER_SAMPLER_PARAM: '0', JAEGER_EXPRESS_MIDDLEWARE_SPANS: 'true',
  });
  assert.deepEqual(spans, []);
});

test('express 4: a rejected async handler is still an unhandled rejection that ends the process', async () => {
  const dir = versionDir('express', versionSet('express').versions.filter((v) => semver.major(v) === 4).pop()!);
  const traced = await runFixture('express-unhandled.js', { env: env(), args: [dir] });
  const plain = await runFixture('express-unhandled.js', { env: env(), args: [dir], preload: false });
  assert.equal(plain.code, 1, plain.stderr);
  assert.equal(traced.code, plain.code);
  assert.equal(traced.stdout, plain.stdout);
  const thrown = (r: FixtureResult) => r.stderr.split('\n').filter((l) => /^Error: unhandled boom$/.test(l));
  assert.equal(thrown(plain).length, 1);
  assert.deepEqual(thrown(traced), thrown(plain));
});
