// Context under concurrency, decoded from the real Thrift output (test/fixtures/concurrency-app.js).
// 200 concurrent requests, each with random timer / immediate / await delays around one outgoing
// http call, one pg query and one node-redis command: all 800 child spans (client, the backend's
// server span, pg, redis) sit in their own request's trace under the right parent, none orphaned or
// cross-linked. pg and mysql2 pools with one connection under 50 concurrent requests: each query is
// a child of its own request. Listeners (req 'data', pg 'row', ioredis pipeline callbacks) and a
// setInterval started at boot are checked inline by the fixture.
// test/e2e/db-context.test.ts covers four clients per request without delays or listeners.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { FakeAgent } from '../helpers/fake-agent';
import { startFixture } from '../helpers/run-fixture';
import { needService } from '../helpers/services';
import { newestVersionDir } from '../helpers/versions';
import type { DecodedSpan } from '../helpers/thrift-decode';

const REQUESTS = 200;
const POOLED = 50;
const LISTENING = 20;
const ROOT_PARENT = '0000000000000000';

const newest = newestVersionDir;

function call(port: number, method: string, path: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`${path}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    // Two chunks, so the server's 'data' listener runs more than once.
    if (body !== undefined) {
      req.write(body.slice(0, body.length / 2));
      setImmediate(() => req.end(body.slice(body.length / 2)));
    } else {
      req.end();
    }
  });
}

const tag = (s: DecodedSpan, key: string) => s.tags?.find((t) => t.key === key);
const str = (s: DecodedSpan, key: string) => String(tag(s, key)?.vStr ?? '');
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

test(`${REQUESTS} concurrent requests with random delays: every child span in its own request's trace; pools of one; listeners`, async (t) => {
  for (const s of ['postgres', 'mysql', 'redis'] as const) if (!(await needService(t, s))) return;
  const agent = await FakeAgent.start();
  const app = startFixture('concurrency-app.js', {
    env: {
      JAEGER_SERVICE_NAME: 'concurrency', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
      JAEGER_DB_SANITIZE: 'false', JAEGER_REPORTER_MAX_QUEUE_SIZE: '20000', JAEGER_REPORTER_FLUSH_INTERVAL: '100',
      PG_DIR: newest('pg'), MYSQL2_DIR: newest('mysql2'), REDIS_DIR: newest('redis'), IOREDIS_DIR: newest('ioredis'),
    },
    timeoutMs: 90_000,
  });
  try {
    const port = Number((await app.waitForLine(/^listening \d+/, 20_000)).split(' ')[1]);
    const [main, pooled, listened] = await Promise.all([
      Promise.all(range(REQUESTS).map((n) => call(port, 'POST', `/req/${n}`, 'x'.repeat(64)))),
      Promise.all(range(POOLED).map((n) => call(port, 'GET', `/pool/${n}`))),
      Promise.all(range(LISTENING).map((n) => call(port, 'GET', `/listen/${n}`))),
    ]);
    // The fixture's inline checks: every listener and continuation saw its own request's span.
    assert.deepEqual(main, range(REQUESTS).map((n) => `ok ${n}`));
    assert.deepEqual(pooled, range(POOLED).map((n) => `ok ${n}`));
    assert.deepEqual(listened, range(LISTENING).map((n) => `ok ${n}`));

    const servers = () => agent.spans.filter((s) => str(s, 'span.kind') === 'server' && /\/(req|pool)\//.test(str(s, 'http.url')));
    await agent.waitFor(() => servers().length >= REQUESTS + POOLED, 30_000, 'server spans');
    const children = () => agent.spans.filter((s) => s.parentSpanId !== ROOT_PARENT);
    await agent.waitFor(() => children().length >= REQUESTS * 4 + POOLED * 2, 30_000, 'child spans');
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /^interval ticks=[1-9]\d* leaked=0$/m, 'a timer started at boot never sees a request span');
    assert.deepEqual(agent.errors, []);

    const byId = new Map(agent.spans.map((s) => [s.spanId, s]));
    const requestOf = new Map<string, DecodedSpan>();
    for (const s of servers()) requestOf.set(str(s, 'http.url').replace(/^.*?\/(req|pool)\//, '$1 '), s);
    assert.equal(requestOf.size, REQUESTS + POOLED, 'one server span per request');

    let childCount = 0;
    for (const n of range(REQUESTS)) {
      const server = requestOf.get(`req ${n}`)!;
      const trace = agent.spans.filter((s) => s.traceIdLow === server.traceIdLow && s.traceIdHigh === server.traceIdHigh);
      const direct = trace.filter((s) => s.parentSpanId === server.spanId);
      const client = direct.filter((s) => str(s, 'span.kind') === 'client' && str(s, 'component') === 'http');
      assert.equal(client.length, 1, `request ${n}: one http client span`);
      const backend = trace.filter((s) => s.parentSpanId === client[0].spanId);
      assert.deepEqual(backend.map((s) => str(s, 'http.url')), [`/b/${n}`], `request ${n}: the backend's server span`);
      const statements = direct.filter((s) => tag(s, 'db.statement') !== undefined).map((s) => `${str(s, 'component')} ${str(s, 'db.statement')}`).sort();
      assert.deepEqual(statements, [`pg SELECT ${n}::int AS n`, `redis GET ctx:${n}`], `request ${n}: its own queries`);
      // Nothing else in the trace but a pool connect span under this request.
      const others = trace.filter((s) => s !== server && s !== backend[0] && !direct.includes(s));
      assert.deepEqual(others.map((s) => s.operationName), [], `request ${n}: unexpected spans in its trace`);
      childCount += 1 + backend.length + statements.length;
    }
    assert.equal(childCount, REQUESTS * 4);

    for (const n of range(POOLED)) {
      const server = requestOf.get(`pool ${n}`)!;
      const statements = agent.spans.filter((s) => s.parentSpanId === server.spanId && tag(s, 'db.statement') !== undefined)
        .map((s) => `${str(s, 'component')} ${str(s, 'db.statement')}`).sort();
      assert.deepEqual(statements, [`mysql2 SELECT ${n} AS n`, `pg SELECT ${n}::int AS n`], `pooled request ${n}`);
    }

    // No orphans, no cross-links: every parent arrived and is in the same trace; no request's
    // query became a root.
    for (const s of agent.spans) {
      if (s.parentSpanId === ROOT_PARENT) {
        assert.ok(!/ctx:\d|AS n|\/b\//.test(str(s, 'db.statement') + str(s, 'http.url')), `a request's work is a root span: ${s.operationName}`);
        continue;
      }
      const parent = byId.get(s.parentSpanId);
      assert.ok(parent !== undefined, `orphan ${s.operationName} ${str(s, 'db.statement')}`);
      assert.equal(parent.traceIdLow, s.traceIdLow, `${s.operationName}: parent in another trace`);
    }
  } finally {
    if (app.child.exitCode === null) app.child.kill('SIGKILL');
    await agent.close();
  }
});
