// The ES module loader end to end: the http+pg+redis fixture's ES module twins, run from an app
// folder where 'pg' and 'redis' resolve as bare specifiers, through the real entry points
// (`--import jaeger-auto/register`, and `-r jaeger-auto/register` on an ES module main), and the
// CommonJS fixture under --import, with the Node binary the matrix chose (JAEGER_TEST_NODE) or ours.
// Each must produce exactly the tree the CommonJS fixture does under -r (expect.ts, one expectation
// for both module systems).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { FIXTURES } from '../helpers/run-fixture';
import { needService } from '../helpers/services';
import { ESM_FIXTURES, hasModuleRegister, makeSandbox, packageIn, runIn, startIn, UNSUPPORTED_LINE, type Entry } from '../esm/sandbox';
import { checkHttpPgRedisRun, e2eNode, httpPgRedisEnv } from './expect';

const FIXTURE_DIR = path.join(FIXTURES, 'loader-e2e');

const cases: Array<{ fixture: string; entry: Entry; what: string }> = [
  // The CommonJS fixture itself (cjs-http-pg-redis.test.ts runs it under -r) under --import: a
  // CommonJS main loaded through the ES module loader, with both hooks installed.
  { fixture: 'http-pg-redis.cjs', entry: 'import', what: 'the CommonJS twin under --import' },
  { fixture: 'http-pg-redis.mjs', entry: 'import', what: 'default imports, --import' },
  { fixture: 'http-pg-redis-named.mjs', entry: 'import', what: 'named imports, --import' },
  { fixture: 'http-pg-redis.mjs', entry: 'require', what: 'default imports, -r on an ES module main' },
  { fixture: 'http-pg-redis-named.mjs', entry: 'require', what: 'named imports, -r on an ES module main' },
];

for (const c of cases) {
  test(`ES modules (${c.what}): http server → pg, redis, http client → downstream server, one trace (${e2eNode()})`, async (t) => {
    if (!hasModuleRegister(e2eNode())) {
      t.skip('this Node has no module.register: imports cannot be hooked (the last test checks the one line it prints)');
      return;
    }
    for (const s of ['postgres', 'redis'] as const) if (!(await needService(t, s))) return;
    const agent = await FakeAgent.start();
    const env = httpPgRedisEnv(agent.port, `loader-e2e-esm-${c.entry}`);
    const sandbox = makeSandbox([path.join(FIXTURE_DIR, c.fixture)], {
      pg: packageIn(env.PG_DIR, 'pg'),
      redis: packageIn(env.REDIS_DIR, 'redis'),
    });
    const app = startIn(sandbox, c.fixture, c.entry, env, { node: e2eNode() });
    try {
      await checkHttpPgRedisRun(app, agent, `loader-e2e-esm-${c.entry}`);
    } finally {
      if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
      await agent.close();
      sandbox.remove();
    }
  });
}

test(`ES modules on a Node without module.register: one line says so, for --import and -r (${e2eNode()})`, async (t) => {
  if (hasModuleRegister(e2eNode())) {
    t.skip('this Node has module.register (the tests above run instead)');
    return;
  }
  const sandbox = makeSandbox([path.join(ESM_FIXTURES, 'probe-app.mjs')]);
  try {
    for (const entry of ['import', 'require'] as const) {
      const r = await runIn(sandbox, 'probe-app.mjs', entry, { JAEGER_SERVICE_NAME: 'esm-unsupported' }, { node: e2eNode() });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], UNSUPPORTED_LINE);
    }
  } finally {
    sandbox.remove();
  }
});
