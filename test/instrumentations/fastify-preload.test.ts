// The fastify instrumentation through the real entry point, for every version in
// test/versions/fastify.json: test/fixtures/fastify-app.js runs as `node -r ./register.js` with
// fastify loaded from its version folder, this process sends real requests, a fake agent decodes
// the real Thrift. The same requests against a run without the preload must get the same
// responses (status, headers, body), and both runs must exit cleanly with nothing on stderr.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, startFixture } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { versionDir, versionSet } from '../helpers/versions';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const ROOT_PARENT = '0000000000000000';

interface Req { method: string; path: string; body?: string }
/** What the request's server span must look like: operation, route (none: not named), error kind. */
interface Want { op: string; route?: string; status: number; error?: [kind: string, message: string] }

const CASES: Array<[Req, Want]> = [
  [{ method: 'GET', path: '/users/42' }, { op: 'GET /users/:id', route: '/users/:id', status: 200 }],
  [{ method: 'POST', path: '/items', body: '{"a":1}' }, { op: 'POST /items', route: '/items', status: 200 }],
  [{ method: 'GET', path: '/api/v1/orders/7?x=1' }, { op: 'GET /api/v1/orders/:orderId', route: '/api/v1/orders/:orderId', status: 200 }],
  [{ method: 'GET', path: '/api/v1/admin/stats' }, { op: 'GET /api/v1/admin/stats', route: '/api/v1/admin/stats', status: 200 }],
  [{ method: 'GET', path: '/api/v1-sibling' }, { op: 'GET /api/v1-sibling', route: '/api/v1-sibling', status: 200 }],
  [{ method: 'GET', path: '/search?q=x' }, { op: 'GET /search', route: '/search', status: 200 }],
  [{ method: 'GET', path: '/search' }, { op: 'GET /search', route: '/search', status: 400 }],
  [{ method: 'GET', path: '/chain' }, { op: 'GET /chain', route: '/chain', status: 200 }],
  [{ method: 'GET', path: '/callback' }, { op: 'GET /callback', route: '/callback', status: 200 }],
  [{ method: 'GET', path: '/throw' }, { op: 'GET /throw', route: '/throw', status: 500, error: ['Error', 'thrown in handler'] }],
  [{ method: 'GET', path: '/reject' }, { op: 'GET /reject', route: '/reject', status: 500, error: ['TypeError', 'rejected in handler'] }],
  [{ method: 'GET', path: '/send-error' }, { op: 'GET /send-error', route: '/send-error', status: 500, error: ['RangeError', 'sent with reply.send'] }],
  [{ method: 'GET', path: '/hook-error' }, { op: 'GET /hook-error', route: '/hook-error', status: 500, error: ['Error', 'onRequest hook failed'] }],
  [{ method: 'GET', path: '/async-hook-error' }, { op: 'GET /async-hook-error', route: '/async-hook-error', status: 500, error: ['Error', 'async preHandler failed'] }],
  [{ method: 'GET', path: '/gone' }, { op: 'GET /gone', route: '/gone', status: 410 }],
  [{ method: 'GET', path: '/conflict' }, { op: 'GET /conflict', route: '/conflict', status: 409 }],
  [{ method: 'GET', path: '/unavailable' }, { op: 'GET /unavailable', route: '/unavailable', status: 503, error: ['Error', 'try later'] }],
  [{ method: 'GET', path: '/api/v1/teapot' }, { op: 'GET /api/v1/teapot', route: '/api/v1/teapot', status: 418, error: ['Error', 'brewed badly'] }],
  [{ method: 'HEAD', path: '/users/1' }, { op: 'HEAD /users/:id', route: '/users/:id', status: 200 }],
  [{ method: 'GET', path: '/nope/123' }, { op: 'GET', status: 404 }],
  [{ method: 'DELETE', path: '/users/1' }, { op: 'DELETE', status: 404 }],
  [{ method: 'GET', path: '/api/v1/missing' }, { op: 'GET', status: 404 }],
];
/** Sent all at once after CASES; each /fan/:n calls /fan-n-a then /fan-n-b. */
const FAN = Array.from({ length: 10 }, (_, n) => n);

/** Downstream calls each case's handlers make, in order (each: a client span and the downstream's server span). */
const DOWNSTREAM: Record<string, string[]> = { '/items': ['/items'], '/chain': ['/hook', '/a', '/b'], '/callback': ['/cb'] };
const DOWNSTREAM_SPANS = Object.values(DOWNSTREAM).reduce((n, calls) => n + 2 * calls.length, 0);
const EXPECTED_SPANS = CASES.length + DOWNSTREAM_SPANS + FAN.length * 5;

interface Answer { status: number; headers: Record<string, unknown>; body: string }

function send(port: number, { method, path, body }: Req, agent: http.Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port, method, path, agent,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        const { date: _date, ...headers } = res.headers; // the only header that may differ between runs
        resolve({ status: res.statusCode!, headers, body: text });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const env = (sampled = true) => ({
  JAEGER_SERVICE_NAME: 'fastify-fixture', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: sampled ? '1' : '0',
  JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port), JAEGER_REPORTER_FLUSH_INTERVAL: '50',
});

/** Runs the fixture, sends every case in order, waits for `spans` spans (traced runs), stops it. */
async function exercise(version: string, preload: boolean, spans = 0, sampled = true): Promise<{ answers: Answer[]; spans: DecodedSpan[] }> {
  const from = agent.batches.length;
  const app = startFixture('fastify-app.js', { env: env(sampled), preload, args: [versionDir('fastify', version)] });
  try {
    const port = Number(/^listening (\d+)$/.exec(await app.waitForLine(/^listening \d+$/))![1]);
    const answers: Answer[] = [];
    // Kept-alive connections: one socket carries many requests, as behind a real client.
    const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      for (const [req] of CASES) answers.push(await send(port, req, keepAlive));
      answers.push(...await Promise.all(FAN.map((n) => send(port, { method: 'GET', path: `/fan/${n}` }, keepAlive))));
    } finally {
      keepAlive.destroy();
    }
    const mine = () => agent.batches.slice(from).flatMap((b) => b.batch.spans);
    if (spans > 0) await agent.waitFor(() => mine().length >= spans, 5000, `${spans} spans of fastify-app.js`);
    app.child.kill('SIGTERM');
    const r = await app.exited;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'nothing on stderr (no deprecation warning either)');
    return { answers, spans: mine() };
  } finally {
    app.child.kill('SIGKILL');
  }
}

const byStart = (a: DecodedSpan, b: DecodedSpan) => (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0);

for (const version of versionSet('fastify').versions) {
  test(`fastify@${version} under the preload: routes name the server span, errors mark it, responses unchanged`, async () => {
    const plain = await exercise(version, false);
    const traced = await exercise(version, true, EXPECTED_SPANS);
    assert.deepEqual(traced.answers, plain.answers, 'the same responses with and without the preload');
    const unsampled = await exercise(version, true, 0, false);
    assert.deepEqual(unsampled.answers, plain.answers, 'the same responses when nothing is sampled');
    assert.deepEqual(plain.answers.map((a) => a.status), [...CASES.map(([, w]) => w.status), ...FAN.map(() => 200)], 'statuses the fixture meant');
    assert.equal(plain.answers[3].headers['x-hooks'], 'root-onRequest,fp-onRequest,admin-onRequest', 'user hooks ran, in order');
    assert.equal(plain.answers[4].headers['x-hooks'], 'root-onRequest,fp-onRequest', 'encapsulation kept');
    assert.equal(agent.errors.length, 0);

    const spans = traced.spans;
    assert.equal(spans.length, EXPECTED_SPANS, spans.map((s) => s.operationName).join(', '));
    // The test process is not traced: each request's server span is a root, in request order.
    const roots = spans.filter((s) => s.parentSpanId === ROOT_PARENT).sort(byStart);
    assert.equal(roots.length, CASES.length + FAN.length);
    const servers = roots.slice(0, CASES.length);
    CASES.forEach(([req, want], i) => {
      const span = servers[i];
      const tags = tagMap(span.tags);
      const what = `${req.method} ${req.path}`;
      assert.equal(span.operationName, want.op, what);
      assert.equal(tags['http.url'], req.path.replace(/\?.*/, ''), what);
      assert.equal(tags['http.route'], want.route, `${what}: http.route`);
      assert.equal(tags['http.status_code'], BigInt(want.status), what);
      assert.equal(tags['span.kind'], 'server', what);
      assert.equal(tags.component, 'http', what);
      if (want.error === undefined) {
        assert.equal(tags.error, undefined, `${what}: not failed`);
        assert.equal(span.logs?.length ?? 0, 0, `${what}: no logs`);
        return;
      }
      assert.equal(tags.error, true, `${what}: error tag`);
      const logs = (span.logs ?? []).map((l) => tagMap(l.fields));
      const ours = logs.filter((l) => l['error.kind'] === want.error![0]);
      assert.equal(ours.length, 1, `${what}: one error log for the app's error: ${JSON.stringify(logs)}`);
      assert.equal(ours[0].event, 'error');
      assert.equal(ours[0].message, want.error[1]);
      assert.match(String(ours[0].stack), new RegExp(`^${want.error[0]}: ${want.error[1]}\\n\\s+at `), `${what}: stack`);
      // 5xx answers also carry the http layer's own log; nothing else.
      assert.equal(logs.length, want.status >= 500 ? 2 : 1, `${what}: logs`);
    });

    // Downstream calls from hooks and handlers (async, after await, callbacks) are children of
    // the request's server span, each with the downstream server's span below it.
    for (const [path, calls] of Object.entries(DOWNSTREAM)) {
      const server = servers[CASES.findIndex(([req]) => req.path === path)];
      const clients = spans.filter((s) => s.parentSpanId === server.spanId).sort(byStart);
      assert.deepEqual(clients.map((c) => tagMap(c.tags)['span.kind']), calls.map(() => 'client'), `${path}: client spans`);
      clients.forEach((client, i) => {
        assert.equal(client.traceIdLow, server.traceIdLow);
        const below = spans.filter((s) => s.parentSpanId === client.spanId);
        assert.deepEqual(below.map((s) => tagMap(s.tags)['http.url']), [calls[i]], `${path}: call ${i}`);
      });
    }
    // Concurrent requests never share context: each /fan/:n has exactly its own two calls below it.
    const fans = roots.slice(CASES.length);
    for (const n of FAN) {
      const fan = fans.filter((s) => tagMap(s.tags)['http.url'] === `/fan/${n}`);
      assert.equal(fan.length, 1, `/fan/${n}`);
      assert.equal(fan[0].operationName, 'GET /fan/:n');
      const below = spans.filter((s) => s.parentSpanId === fan[0].spanId).sort(byStart)
        .map((client) => spans.filter((s) => s.parentSpanId === client.spanId).map((s) => tagMap(s.tags)['http.url']));
      assert.deepEqual(below, [[`/fan-${n}-a`], [`/fan-${n}-b`]], `/fan/${n}: its own downstream calls`);
    }
  });
}

test('fastify outside the supported range (3.x, 6.x stand-ins) is left untouched under the preload; 4.x is the control', async () => {
  const run = (variant: string, preload: boolean) => runFixture('fastify-outside/app.js', { env: env(), preload, args: [variant] });
  for (const variant of ['v3', 'v6', 'v4']) {
    const plain = await run(variant, false);
    const traced = await run(variant, true);
    assert.equal(traced.code, 0, traced.stderr);
    assert.equal(traced.stderr, '');
    const seen = JSON.parse(plain.stdout);
    assert.deepEqual(seen, { name: 'fastify', length: 1, aliases: true, keys: ['fastify', 'default'], hooks: [] });
    if (variant === 'v4') {
      assert.deepEqual(JSON.parse(traced.stdout), { ...seen, hooks: ['onRequest', 'onError'] }, 'in range: hooked');
    } else {
      assert.equal(traced.stdout, plain.stdout, `${variant}: identical output`);
    }
  }
});
