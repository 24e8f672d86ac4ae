// Under the preload, an app that builds its own tracer with Config.initializeTracer() gets one
// tracer for the whole process: the instrumentations report to it and it is flushed at exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { drainAgent } from './env';

test('instrumentations report to the tracer built by Config.initializeTracer()', async () => {
  const agent = await FakeAgent.start();
  try {
    const out = await runFixture('proc-config-initialize.js', {
      args: [String(agent.port)],
      env: { JAEGER_SERVICE_NAME: 'preload-name', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port) },
    });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim(), 'app-config');
    await agent.waitForSpans(2);
    await drainAgent(agent); // everything the process sent has now been decoded
    const spans = agent.spans;
    const kinds = spans.map((s) => s.tags?.find((t) => t.key === 'span.kind')?.vStr).sort();
    assert.deepEqual(kinds, ['client', 'server']);
    assert.deepEqual([...new Set(agent.batches.map((b) => b.batch.process.serviceName))], ['app-config']);
  } finally {
    await agent.close();
  }
});
