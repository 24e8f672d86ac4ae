// The preload entries on ES module apps and the ES module entry on CommonJS ones, from an app folder
// where jaeger-auto, dotenv and graphql resolve as bare specifiers: configuration from a .env file
// read by the app's first import, JAEGER_DISABLED, a pure ES module package (graphql 17).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import fs from 'node:fs';
import { FakeAgent } from '../helpers/fake-agent';
import { ROOT } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { versionDir } from '../helpers/versions';
import { getOk } from '../helpers/http-get';
import { ESM_FIXTURES, hasModuleRegister, makeSandbox, packageIn, runIn, startIn, type Entry } from './sandbox';

// Where imports cannot be hooked (no module.register), loader-e2e/esm-http-pg-redis checks the line
// the preload prints instead; these tests have nothing to check there.
const NO_REGISTER = !hasModuleRegister() && 'this Node has no module.register: imports are not hooked';

const DOTENV = fs.realpathSync(path.join(ROOT, 'node_modules/dotenv'));

for (const [fixture, entry] of [['dotenv-app.mjs', 'import'], ['dotenv-app.mjs', 'require'], ['dotenv-app.cjs', 'import']] as Array<[string, Entry]>) {
  test(`${fixture} with ${entry === 'import' ? '--import' : '-r'}: the tracer is configured by the .env file its first import reads`, { skip: NO_REGISTER }, async () => {
    const agent = await FakeAgent.start();
    const sandbox = makeSandbox([path.join(ESM_FIXTURES, fixture)], { dotenv: DOTENV });
    try {
      sandbox.write('.env', [
        'JAEGER_SERVICE_NAME=esm-dotenv', 'JAEGER_AGENT_HOST=127.0.0.1', `JAEGER_AGENT_PORT=${agent.port}`,
        'JAEGER_SAMPLER_TYPE=const', 'JAEGER_SAMPLER_PARAM=1', 'DOTENV_CONFIG_QUIET=true', '',
      ].join('\n'));
      // Nothing JAEGER_* in the environment: only the .env file can make spans reach this agent.
      const exit = await runIn(sandbox, fixture, entry, {});
      assert.equal(exit.code, 0, exit.stderr);
      await agent.waitForSpans(2, 10_000);
      assert.equal(agent.process?.serviceName, 'esm-dotenv');
      const client = agent.spans.find((s) => tagMap(s.tags)['span.kind'] === 'client');
      const server = agent.spans.find((s) => tagMap(s.tags)['span.kind'] === 'server');
      assert.ok(client && server, agent.spans.map((s) => s.operationName).join());
      assert.equal(server.parentSpanId, client.spanId, 'the server span continues the client span');
      assert.equal(exit.stderr, '');
    } finally {
      await agent.close();
      sandbox.remove();
    }
  });
}

test('JAEGER_DISABLED=true with --import: no import hook, nothing wrapped', { skip: NO_REGISTER }, async () => {
  const sandbox = makeSandbox([path.join(ESM_FIXTURES, 'probe-app.mjs')]);
  try {
    const on = await runIn(sandbox, 'probe-app.mjs', 'import', { JAEGER_SERVICE_NAME: 'probe' });
    assert.equal(on.code, 0, on.stderr);
    assert.deepEqual(JSON.parse(on.stdout), { defaultWrapped: true, namedWrapped: true, importHookLoaded: true });
    const off = await runIn(sandbox, 'probe-app.mjs', 'import', { JAEGER_DISABLED: 'true' });
    assert.equal(off.code, 0, off.stderr);
    assert.deepEqual(JSON.parse(off.stdout), { defaultWrapped: false, namedWrapped: false, importHookLoaded: false });
    assert.equal(off.stderr, '');
  } finally {
    sandbox.remove();
  }
});

test('a CommonJS main under -r does without the import hook (it costs start-up time)', async () => {
  const sandbox = makeSandbox([]);
  try {
    sandbox.write('probe.cjs', [
      "const loaded = Object.keys(require.cache).some((k) => k.includes('import-in-the-middle'));",
      "process.stdout.write(JSON.stringify({ loaded, wrapped: !String(require('http').request).includes('ClientRequest') }));",
    ].join('\n'));
    const r = await runIn(sandbox, 'probe.cjs', 'require', { JAEGER_SERVICE_NAME: 'probe' });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { loaded: false, wrapped: true });
  } finally {
    sandbox.remove();
  }
});

test('graphql 17 imported as a pure ES module: its operation span', { skip: NO_REGISTER }, async (t) => {
  const dir = versionDir('graphql', '17.1.0');
  if (!fs.existsSync(dir)) {
    t.skip('test/versions/graphql@17.1.0 not installed (npm run test:versions)');
    return;
  }
  const agent = await FakeAgent.start();
  const sandbox = makeSandbox([path.join(ESM_FIXTURES, 'graphql-app.mjs')], { graphql: packageIn(dir, 'graphql') });
  try {
    const exit = await runIn(sandbox, 'graphql-app.mjs', 'import', {
      JAEGER_SERVICE_NAME: 'esm-graphql', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
      JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
    });
    assert.equal(exit.code, 0, exit.stderr);
    assert.equal(exit.stdout.trim(), '{"hello":"world"}');
    await agent.waitForSpans(1, 10_000);
    const op = agent.spans.find((s) => s.operationName === 'query Hi');
    assert.ok(op, agent.spans.map((s) => s.operationName).join());
    assert.equal(tagMap(op.tags).component, 'graphql');
    assert.equal(exit.stderr, '');
  } finally {
    await agent.close();
    sandbox.remove();
  }
});

test('opentracing imported from ESM: the global tracer is the preload\'s (named and default import)', { skip: NO_REGISTER }, async () => {
  const agent = await FakeAgent.start();
  const sandbox = makeSandbox([path.join(ESM_FIXTURES, 'opentracing-app.mjs')], {
    opentracing: fs.realpathSync(path.join(ROOT, 'node_modules/opentracing')),
  });
  try {
    const exit = await runIn(sandbox, 'opentracing-app.mjs', 'import', {
      JAEGER_SERVICE_NAME: 'esm-ot', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
      JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
    });
    assert.equal(exit.code, 0, exit.stderr);
    await agent.waitForSpans(2, 10_000);
    assert.deepEqual(agent.spans.map((s) => s.operationName).sort(), ['manual-default', 'manual-named']);
    assert.equal(exit.stderr, '');
  } finally {
    await agent.close();
    sandbox.remove();
  }
});

test('fastify imported from ESM (default and named): the route names the server span', { skip: NO_REGISTER }, async (t) => {
  const dir = versionDir('fastify', '5.12.8');
  if (!fs.existsSync(dir)) {
    t.skip('test/versions/fastify@5.12.8 not installed (npm run test:versions)');
    return;
  }
  const agent = await FakeAgent.start();
  const sandbox = makeSandbox([path.join(ESM_FIXTURES, 'fastify-app.mjs')], { fastify: packageIn(dir, 'fastify') });
  const app = startIn(sandbox, 'fastify-app.mjs', 'import', {
    JAEGER_SERVICE_NAME: 'esm-fastify', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
    JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1', JAEGER_REPORTER_FLUSH_INTERVAL: '50',
  });
  try {
    const ports = (await app.waitForLine(/^listening \d+ \d+$/, 20_000)).split(' ').slice(1).map(Number);
    for (const port of ports) assert.equal(await getOk(port, '/users/42'), '{"id":"42"}');
    await agent.waitForSpans(2, 10_000);
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.deepEqual(agent.spans.map((s) => s.operationName), ['GET /users/:id', 'GET /users/:id']);
    assert.equal(exit.stderr, '');
  } finally {
    if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
    await agent.close();
    sandbox.remove();
  }
});

// Where the import hook runs on Node's loader thread (module.register), Node runs -r preloads in that
// thread too: it must build no tracer there (a second reporter, and a socket, in a thread without
// app code). The count of start-up lines says how many tracers were built.
for (const entry of ['require', 'import'] as Entry[]) {
  test(`an ES module app under ${entry === 'import' ? '--import' : '-r'} builds exactly one tracer`, { skip: NO_REGISTER }, async () => {
    const sandbox = makeSandbox([path.join(ESM_FIXTURES, 'probe-app.mjs')]);
    try {
      const run = await runIn(sandbox, 'probe-app.mjs', entry, { JAEGER_SERVICE_NAME: 'probe', JAEGER_LOG_LEVEL: 'info' });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout).defaultWrapped, true);
      const started = run.stderr.split('\n').filter((line) => line.startsWith('jaeger-auto info: tracing probe'));
      assert.equal(started.length, 1, run.stderr);
      assert.doesNotMatch(started[0], /worker thread/);
    } finally {
      sandbox.remove();
    }
  });
}
