// The CommonJS loader end to end: test/fixtures/loader-e2e/http-pg-redis.cjs under
// `node -r register.js`, with the Node binary the matrix chose (JAEGER_TEST_NODE) or ours. One
// request must produce the tree of expect.ts, decoded from real Thrift by a fake agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { FIXTURES, startFixture } from '../helpers/run-fixture';
import { needService } from '../helpers/services';
import { getOk } from '../helpers/http-get';
import { e2eNode, expectFixtureNode, expectHttpPgRedisTree, httpPgRedisEnv, httpPgRedisTreeArrived, REQUEST_PATH, RESPONSE_BODY } from './expect';

test(`CommonJS: http server → pg, redis, http client → downstream server, one trace (${e2eNode()})`, async (t) => {
  for (const s of ['postgres', 'redis'] as const) if (!(await needService(t, s))) return;
  const agent = await FakeAgent.start();
  const app = startFixture(path.join(FIXTURES, 'loader-e2e/http-pg-redis.cjs'), {
    node: e2eNode(), env: httpPgRedisEnv(agent.port, 'loader-e2e-cjs'), timeoutMs: 30_000,
  });
  try {
    const port = Number((await app.waitForLine(/^listening \d+$/, 20_000)).split(' ')[1]);
    assert.equal(await getOk(port, REQUEST_PATH), RESPONSE_BODY);
    await agent.waitFor((a) => httpPgRedisTreeArrived(a.spans), 10_000, 'the request\'s trace');
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    // Nothing of ours on stderr: no warning, no deprecation notice on any Node major.
    assert.equal(exit.stderr, '');
    expectFixtureNode(exit.stdout);
    assert.deepEqual(agent.errors, []);
    assert.equal(agent.process?.serviceName, 'loader-e2e-cjs');
    expectHttpPgRedisTree(agent.spans);
  } finally {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
    await agent.close();
  }
});
