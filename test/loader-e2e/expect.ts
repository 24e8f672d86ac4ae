// What every end-to-end loader test of this folder expects, shared by the CommonJS fixture
// (test/fixtures/loader-e2e/http-pg-redis.cjs) and its ES-module twins, so both module systems are
// held to the same tree. test/matrix/matrix.test.ts runs each *.test.js file here once per installed
// Node major with JAEGER_TEST_NODE set, so a fixture must be started with e2eNode(), never with
// process.execPath directly.
//
// The fixture contract (every http-pg-redis fixture, whatever its module system):
//   - env PG_DIR / REDIS_DIR: the test/versions folders to load pg and redis from
//     (httpPgRedisEnv() fills them, with the agent settings);
//   - connects a pg Client and a redis client BEFORE listening (their connection spans, if any, are
//     roots of other traces and ignored here), starts a downstream http server and a front one,
//     prints `node <process.versions.node>` and then `listening <frontPort>` once both listen
//     (expectFixtureNode() checks the first against the binary the matrix asked for);
//   - GET REQUEST_PATH on the front server: `SELECT 1` through the pg Client, then a redis GET,
//     then an http GET of DOWNSTREAM_PATH on the downstream server (body read to its end), then
//     answers 200 with the body RESPONSE_BODY;
//   - on SIGTERM closes everything and exits 0 (the tracer flushes at exit).
import assert from 'node:assert/strict';
import type { FakeAgent } from '../helpers/fake-agent';
import { getOk } from '../helpers/http-get';
import type { startFixture } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { newestVersionDir } from '../helpers/versions';

export const REQUEST_PATH = '/work';
export const DOWNSTREAM_PATH = '/downstream';
export const RESPONSE_BODY = 'ok';
/** Spans in the request's trace: front server, pg, redis, http client, downstream server. */
export const TREE_SIZE = 5;

const ROOT_PARENT = '0000000000000000';

/** The Node binary fixtures run under: the matrix's other major, or this process's own. */
export { testNode as e2eNode } from '../helpers/run-fixture';

/**
 * Asserts the fixture's `node <version>` line names the version the matrix installed (it sets
 * JAEGER_TEST_NODE_VERSION with JAEGER_TEST_NODE); without the matrix, this process's version.
 */
export function expectFixtureNode(stdout: string): void {
  const want = process.env.JAEGER_TEST_NODE ? process.env.JAEGER_TEST_NODE_VERSION : process.versions.node;
  const line = stdout.split('\n').find((l) => l.startsWith('node '));
  assert.ok(line, 'the fixture printed its Node version');
  // A JAEGER_TEST_NODE set by hand, without its version, is taken on trust.
  if (want !== undefined) assert.equal(line, `node ${want}`, 'the fixture ran on the Node binary asked for');
}

/** Environment for an http-pg-redis fixture reporting to a fake agent on `agentPort`. */
export function httpPgRedisEnv(agentPort: number, serviceName: string): Record<string, string> {
  return {
    JAEGER_SERVICE_NAME: serviceName, JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
    JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agentPort), JAEGER_REPORTER_FLUSH_INTERVAL: '50',
    PG_DIR: newestVersionDir('pg'), REDIS_DIR: newestVersionDir('redis'),
  };
}

const tags = (s: DecodedSpan) => tagMap(s.tags);
const isServer = (s: DecodedSpan, path: string) => tags(s)['span.kind'] === 'server' && tags(s)['http.url'] === path;
const describe = (spans: readonly DecodedSpan[]) =>
  spans.map((s) => `${s.operationName}[${String(tags(s)['span.kind'])} ${String(tags(s).component)} ${s.spanId}<-${s.parentSpanId}]`).join(', ');

/** The spans of the trace rooted at the front server span of REQUEST_PATH (empty until it arrives). */
export function requestTrace(spans: readonly DecodedSpan[]): DecodedSpan[] {
  const root = spans.find((s) => isServer(s, REQUEST_PATH));
  if (root === undefined) return [];
  return spans.filter((s) => s.traceIdHigh === root.traceIdHigh && s.traceIdLow === root.traceIdLow);
}

/** For agent.waitFor(): the whole request trace has arrived. */
export function httpPgRedisTreeArrived(spans: readonly DecodedSpan[]): boolean {
  return requestTrace(spans).length >= TREE_SIZE;
}

const byStart = (a: DecodedSpan, b: DecodedSpan) => (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0);

/**
 * Asserts the one request's trace is exactly:
 *   GET (server, http.url REQUEST_PATH, 200)              root
 *   ├── SELECT       (client, component pg, db.type sql)
 *   ├── redis GET    (client, component redis, db.type redis)
 *   └── GET          (client, component http, http.url http://127.0.0.1:<port>DOWNSTREAM_PATH, 200)
 *       └── GET      (server, http.url DOWNSTREAM_PATH, 200)
 * in one trace, children in the order the handler ran them. `spans` is everything the agent got.
 */
export function expectHttpPgRedisTree(spans: readonly DecodedSpan[]): void {
  const fronts = spans.filter((s) => isServer(s, REQUEST_PATH));
  assert.equal(fronts.length, 1, `one server span for ${REQUEST_PATH}; got: ${describe(spans)}`);
  const root = fronts[0];
  const trace = requestTrace(spans);
  assert.equal(trace.length, TREE_SIZE, `the request's trace: ${describe(trace)}`);
  assert.equal(root.parentSpanId, ROOT_PARENT, 'the front server span is the root');
  assert.deepEqual(root.references ?? [], [], 'the root has no references');
  assert.equal(root.operationName, 'GET');
  const rt = tags(root);
  assert.equal(rt.component, 'http');
  assert.equal(rt['http.method'], 'GET');
  assert.equal(rt['http.status_code'], 200n);
  assert.equal(rt.error, undefined, 'root span: no error');

  const kids = trace.filter((s) => s.parentSpanId === root.spanId).sort(byStart);
  assert.deepEqual(kids.map((k) => `${k.operationName}|${String(tags(k)['span.kind'])}|${String(tags(k).component)}`),
    ['SELECT|client|pg', 'redis GET|client|redis', 'GET|client|http'], `the root's children: ${describe(trace)}`);
  const [pg, redis, client] = kids;

  const pt = tags(pg);
  assert.equal(pt['db.type'], 'sql');
  assert.equal(pt['db.instance'], 'test');
  assert.equal(pt['peer.port'], 5432n);
  assert.match(String(pt['db.statement']), /^SELECT /);
  assert.equal(pt.error, undefined, 'pg span: no error');

  const dt = tags(redis);
  assert.equal(dt['db.type'], 'redis');
  assert.equal(dt['peer.port'], 6379n);
  assert.equal(dt.error, undefined, 'redis span: no error');

  const ct = tags(client);
  const url = String(ct['http.url']);
  const m = /^http:\/\/127\.0\.0\.1:(\d+)(\/.*)$/.exec(url);
  assert.ok(m, `client http.url ${url}`);
  assert.equal(m[2], DOWNSTREAM_PATH);
  assert.equal(ct['http.method'], 'GET');
  assert.equal(ct['peer.port'], BigInt(m[1]));
  assert.equal(ct['http.status_code'], 200n);
  assert.equal(ct.error, undefined, 'client span: no error');

  const downstream = trace.filter((s) => s.parentSpanId === client.spanId);
  assert.equal(downstream.length, 1, `the downstream server span is the client span's only child: ${describe(trace)}`);
  const ds = downstream[0];
  assert.ok(isServer(ds, DOWNSTREAM_PATH), `downstream span: ${describe([ds])}`);
  assert.equal(ds.operationName, 'GET');
  assert.equal(tags(ds)['http.status_code'], 200n);

  // Every span of the trace is one of the five (no stray span joined the request's trace).
  assert.deepEqual(new Set(trace.map((s) => s.spanId)), new Set([root, pg, redis, client, ds].map((s) => s.spanId)));
  // Children start within their parent (clocks of one process, no timing threshold involved).
  for (const k of [pg, redis, client]) assert.ok(k.startTime >= root.startTime, `${k.operationName} starts after the root`);
  assert.ok(ds.startTime >= client.startTime, 'the downstream server span starts after the client span');
}

/**
 * What every run of an http-pg-redis fixture must show, whichever module system and entry point
 * started it: one request answered, its trace arriving as expectHttpPgRedisTree says, then a SIGTERM
 * ending the app with code 0, nothing on stderr (no warning, no deprecation or loader notice on any
 * Node major) and the fixture on the Node binary asked for.
 */
export async function checkHttpPgRedisRun(app: ReturnType<typeof startFixture>, agent: FakeAgent, serviceName: string): Promise<void> {
  const port = Number((await app.waitForLine(/^listening \d+$/, 20_000)).split(' ')[1]);
  assert.equal(await getOk(port, REQUEST_PATH), RESPONSE_BODY);
  await agent.waitFor((a) => httpPgRedisTreeArrived(a.spans), 10_000, 'the request\'s trace');
  app.child.kill('SIGTERM');
  const exit = await app.exited;
  assert.equal(exit.code, 0, exit.stderr);
  assert.equal(exit.stderr, '');
  expectFixtureNode(exit.stdout);
  assert.deepEqual(agent.errors, []);
  assert.equal(agent.process?.serviceName, serviceName);
  expectHttpPgRedisTree(agent.spans);
}
