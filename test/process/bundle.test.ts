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
