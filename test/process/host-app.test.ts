// The host application at process level: with an agent that does not listen and incoming
// malformed uber-trace-id headers, the app's stdout and exit code are those of a run without the
// preload, and nothing is written to stderr at the default log level.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { agentEnv, closedUdpPort } from './env';

const FAST_FLUSH = { JAEGER_REPORTER_FLUSH_INTERVAL: '20' }; // several sends during the app's life

test('unreachable agent and malformed incoming uber-trace-id: same stdout and exit code, empty stderr', async () => {
  const port = await closedUdpPort();
  const env = { JAEGER_SERVICE_NAME: 'host-app', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(port), ...FAST_FLUSH };
  const baseline = await runFixture('proc-host-app.js', { env, preload: false });
  assert.equal(baseline.code, 7, baseline.stderr);
  assert.match(baseline.stdout, /GET \/raw\/0 header 7 chars\n[^]*closed\n$/);
  const r = await runFixture('proc-host-app.js', { env });
  assert.equal(r.stdout, baseline.stdout);
  assert.equal(r.code, baseline.code);
  assert.equal(r.signal, null);
  assert.equal(r.stderr, '');
});

test('positive control: the same app, with a listening agent, is traced', async () => {
  const agent = await FakeAgent.start();
  try {
    const r = await runFixture('proc-host-app.js', { env: agentEnv(agent, FAST_FLUSH) });
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stderr, '');
    await agent.waitForSpans(1);
    assert.equal(agent.errors.length, 0);
  } finally {
    await agent.close();
  }
});
