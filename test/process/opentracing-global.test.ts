// opentracing.globalTracer() is the preload's tracer from the app's very first line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';

test('a span started through globalTracer() in the synchronous top level is reported', async () => {
  const agent = await FakeAgent.start();
  try {
    const out = await runFixture('proc-opentracing-top.js', {
      env: { JAEGER_SERVICE_NAME: 'top', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port) },
    });
    assert.equal(out.code, 0, out.stderr);
    const traceId = out.stdout.trim();
    assert.match(traceId, /^[0-9a-f]{16}$/);
    const [span] = await agent.waitForSpans(1);
    assert.equal(span.operationName, 'top-level');
    assert.equal(tagMap(span.tags).sync, true);
    assert.equal(agent.process?.serviceName, 'top');
  } finally {
    await agent.close();
  }
});

test('without the preload, or with the opentracing instrumentation disabled, globalTracer() stays no-op', async () => {
  const plain = await runFixture('proc-opentracing-top.js', { preload: false });
  assert.equal(plain.stdout.trim(), 'noop');
  const denied = await runFixture('proc-opentracing-top.js', { env: { JAEGER_DISABLED_INSTRUMENTATIONS: 'opentracing' } });
  assert.equal(denied.code, 0, denied.stderr);
  assert.equal(denied.stdout.trim(), 'noop');
});
