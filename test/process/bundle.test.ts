// The preload and the package's API run from one bundled file (dist/jaeger-auto.js, built by
// `npm run build`): loading the compiled files one by one cost a service ~40 ms of its start. What
// must hold: nothing else of ours is loaded, the API an app requires is the preload's own (its
// activeSpan() sees the spans the instrumentations start), and opentracing's index is not loaded
// for the tracer's sake.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { agentEnv, waitForSpan } from './env';
import path from 'node:path';
import { ESM_FIXTURES, hasModuleRegister, makeSandbox, runIn } from '../esm/sandbox';

test('under the preload only the bundle, register.js and index.js are loaded, and the API shares the preload\'s context', async () => {
  const agent = await FakeAgent.start();
  try {
    const r = await runFixture('proc-bundle.js', { env: agentEnv(agent) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, [
      'API: the request\'s span is active',
      'files dist/jaeger-auto.js index.js register.js',
      'opentracing index not loaded',
      '',
    ].join('\n'));
    await waitForSpan(agent, 'GET');
  } finally {
    await agent.close();
  }
});

test('positive control: without the preload the API has no active span', async () => {
  const r = await runFixture('proc-bundle.js', { preload: false });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^API: no active span\nfiles dist\/jaeger-auto\.js index\.js\n/);
});

test('an ES module app imports the API by name and gets the preload\'s (named exports of the CommonJS main)', async (t) => {
  if (!hasModuleRegister()) {
    t.skip(`Node ${process.version} has no module.register`);
    return;
  }
  const agent = await FakeAgent.start();
  const sandbox = makeSandbox([path.join(ESM_FIXTURES, 'api-app.mjs')]);
  try {
    const r = await runIn(sandbox, 'api-app.mjs', 'import', agentEnv(agent));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(r.stdout, 'the request\'s span is active\ngetTracer function, Config function\n');
    await waitForSpan(agent, 'GET');
  } finally {
    sandbox.remove();
    await agent.close();
  }
});
