// An app that builds its own tracer (Config.initializeTracer) after the preload's tracer already
// exists: on SIGTERM/SIGINT without an app handler, and at the normal end, the spans of both
// tracers are flushed, and the process still dies of the signal.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { startFixture } from '../helpers/run-fixture';
import { agentEnv } from './env';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: the preload's tracer and the app's own tracer are both flushed`, async () => {
    const env = agentEnv(agent, { JAEGER_SERVICE_NAME: `preload-${signal}`, JAEGER_REPORTER_FLUSH_INTERVAL: '60000' });
    const run = startFixture('proc-adopt-late.js', { args: [String(agent.port)], env, timeoutMs: 10_000 });
    await run.waitForLine(/^ready$/);
    run.child.kill(signal);
    const r = await run.exited;
    assert.equal(r.signal, signal, `code ${r.code}, stderr ${r.stderr}`);
    assert.equal(r.stderr, '');
    const has = (service: string, op: string) => agent.batches.some(
      (b) => b.batch.process.serviceName === service && b.batch.spans.some((s) => s.operationName === op));
    // With 60 s flush intervals, only the signal flush can have sent these.
    await agent.waitFor(() => has(`preload-${signal}`, 'proc-preload'), 5000, 'the preload tracer\'s span');
    await agent.waitFor(() => has('app-late', 'proc-app'), 5000, 'the app tracer\'s span');
  });
}
