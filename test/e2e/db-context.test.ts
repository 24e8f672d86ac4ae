// The context test that matters most: 100 concurrent requests, each querying PostgreSQL (shared
// pg.Pool), MariaDB (mysql2 pool), and Redis through node-redis and ioredis. Decoded from the real
// Thrift output, every query span must be the child of its own request's server span.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { FakeAgent } from '../helpers/fake-agent';
import { startFixture } from '../helpers/run-fixture';
import { needService } from '../helpers/services';
import { newestVersionDir } from '../helpers/versions';
import { getOk } from '../helpers/http-get';
import type { DecodedSpan } from '../helpers/thrift-decode';

const REQUESTS = 100;

const newest = newestVersionDir;

const get = getOk;

const tag = (s: DecodedSpan, key: string) => s.tags?.find((t) => t.key === key);

for (const mode of ['async', 'callbacks'] as const) {
  test(`${REQUESTS} concurrent requests (${mode}): every query span is a child of its own request`, async (t) => {
    for (const s of ['postgres', 'mysql', 'redis'] as const) if (!(await needService(t, s))) return;
    const agent = await FakeAgent.start();
    const app = startFixture('db-context-app.js', {
      env: {
        MODE: mode, JAEGER_SERVICE_NAME: 'db-context', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
        JAEGER_DB_SANITIZE: 'false', JAEGER_REPORTER_MAX_QUEUE_SIZE: '10000',
        PG_DIR: newest('pg'), MYSQL2_DIR: newest('mysql2'), REDIS_DIR: newest('redis'), IOREDIS_DIR: newest('ioredis'),
      },
      timeoutMs: 60_000,
    });
    try {
      const port = Number((await app.waitForLine(/^listening \d+/, 20_000)).split(' ')[1]);
      const bodies = await Promise.all(Array.from({ length: REQUESTS }, (_, n) => get(port, `/req/${n}`)));
      assert.deepEqual(bodies, Array.from({ length: REQUESTS }, (_, n) => `ok ${n}`));
      app.child.kill('SIGTERM');
      const exit = await app.exited;
      assert.equal(exit.code, 0, exit.stderr);
      await agent.waitFor((a) => a.spans.filter((s) => tag(s, 'span.kind')?.vStr === 'server').length >= REQUESTS, 20_000, 'server spans');
      await agent.waitFor((a) => a.spans.filter((s) => s.parentSpanId !== '0000000000000000').length >= REQUESTS * 4, 20_000, 'query spans');
      assert.deepEqual(agent.errors, []);

      const servers = agent.spans.filter((s) => tag(s, 'span.kind')?.vStr === 'server');
      assert.equal(servers.length, REQUESTS);
      const byId = new Map(agent.spans.map((s) => [s.spanId, s]));
      const serverOf = new Map<number, DecodedSpan>();
      for (const s of servers) serverOf.set(Number(String(tag(s, 'http.url')?.vStr).split('/')[2]), s);
      assert.equal(serverOf.size, REQUESTS, 'one server span per request path');

      for (let n = 0; n < REQUESTS; n++) {
        const server = serverOf.get(n)!;
        const children = agent.spans.filter((s) => s.parentSpanId === server.spanId);
        // Queries carry a statement; a pool opening a connection for this request (pg.connect) may
        // add a span without one, which must still belong to this request.
        const queries = children.filter((c) => tag(c, 'db.statement') !== undefined);
        const described = queries.map((c) => `${tag(c, 'component')?.vStr} ${tag(c, 'db.statement')?.vStr}`).sort();
        assert.deepEqual(described, [
          `ioredis GET ctx:${n}`,
          `mysql2 SELECT ${n} AS n`,
          `pg SELECT ${n} AS n, pg_sleep(0.001)`,
          `redis GET ctx:${n}`,
        ], `request ${n}`);
        for (const c of children) assert.equal(c.traceIdLow, server.traceIdLow, `request ${n}: same trace`);
      }
      // No orphans: every non-root span's parent arrived, and no request's query became a root
      // (connection set-up outside any request, such as a client's ready check, may be one).
      for (const s of agent.spans) {
        if (s.parentSpanId === '0000000000000000') {
          const statement = String(tag(s, 'db.statement')?.vStr ?? '');
          assert.ok(!/ctx:\d|AS n/.test(statement), `a request's query is a root span: ${statement}`);
        } else {
          assert.ok(byId.has(s.parentSpanId), `orphan ${s.operationName}`);
        }
      }
    } finally {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
      await agent.close();
    }
  });
}
