// JAEGER_DISABLED=true: no hook, no tracer code, no socket, nothing sent, and the app's output is
// that of a run without the preload. Every "nothing" is checked against a positive control: the
// same fixture with tracing on shows the wrap, the libraries, the socket and the span.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { agentEnv, drainAgent, waitForSpan } from './env';

test('JAEGER_DISABLED=true: no hook, no tracer, no socket, nothing sent, output identical', async () => {
  const agent = await FakeAgent.start();
  try {
    const baseline = await runFixture('proc-disabled.js', { env: agentEnv(agent), preload: false });
    const disabled = await runFixture('proc-disabled.js', { env: agentEnv(agent, { JAEGER_DISABLED: 'true' }) });
    assert.equal(baseline.code, 0, baseline.stderr);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.equal(disabled.stderr, '');
    assert.equal(disabled.stdout, baseline.stdout);
    assert.match(disabled.stdout, /^libraries \[\]$/m);
    assert.match(disabled.stdout, /^dgram loaded: no$/m);
    assert.match(disabled.stdout, /^resources after a span \[\], sockets 0$/m);
    await drainAgent(agent);
    assert.equal(agent.batches.length, 0, 'nothing reached the agent');

    // Positive control: the same script, traced, shows every one of those things.
    const traced = await runFixture('proc-disabled.js', { env: agentEnv(agent) });
    assert.equal(traced.code, 0, traced.stderr);
    const line = (out: string, prefix: string) => out.split('\n').find((l) => l.startsWith(prefix));
    assert.notEqual(line(traced.stdout, 'http.request '), line(baseline.stdout, 'http.request '), 'http.request is wrapped');
    assert.match(traced.stdout, /^libraries \[.*shimmer.*\]$/m);
    assert.notEqual(line(traced.stdout, 'require '), line(baseline.stdout, 'require '), 'the require hook is installed');
    assert.match(traced.stdout, /^dgram loaded: yes$/m);
    assert.match(traced.stdout, /^resources after a span \[.*\], sockets 1$/m);
    await waitForSpan(agent, 'proc-disabled');
  } finally {
    await agent.close();
  }
});
