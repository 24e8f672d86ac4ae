// The CommonJS loader end to end: test/fixtures/loader-e2e/http-pg-redis.cjs under
// `node -r register.js`, with the Node binary the matrix chose (JAEGER_TEST_NODE) or ours. One
// request must produce the tree of expect.ts, decoded from real Thrift by a fake agent.
import { test } from 'node:test';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { FIXTURES, startFixture } from '../helpers/run-fixture';
import { needService } from '../helpers/services';
import { checkHttpPgRedisRun, e2eNode, httpPgRedisEnv } from './expect';

test(`CommonJS: http server → pg, redis, http client → downstream server, one trace (${e2eNode()})`, async (t) => {
  for (const s of ['postgres', 'redis'] as const) if (!(await needService(t, s))) return;
  const agent = await FakeAgent.start();
  const app = startFixture(path.join(FIXTURES, 'loader-e2e/http-pg-redis.cjs'), {
    node: e2eNode(), env: httpPgRedisEnv(agent.port, 'loader-e2e-cjs'), timeoutMs: 30_000,
  });
  try {
    await checkHttpPgRedisRun(app, agent, 'loader-e2e-cjs');
  } finally {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
    await agent.close();
  }
});
