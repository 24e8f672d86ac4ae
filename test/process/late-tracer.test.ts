// The tracer is built late: after the main module's synchronous top level (so configuration the app
// sets there is honoured), or on the first traced call, whichever comes first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeAgent, FakeCollector } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { agentEnv } from './env';

test('JAEGER_SERVICE_NAME set by the app at its top level names the spans', async () => {
  const agent = await FakeAgent.start();
  try {
    const r = await runFixture('proc-env-at-top.js', { env: agentEnv(agent, { JAEGER_SERVICE_NAME: 'from-env' }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'done\n');
    assert.equal(r.stderr, '');
    await agent.waitForSpans(1);
    assert.equal(agent.spans[0].operationName, 'proc-env');
    assert.equal(agent.process?.serviceName, 'set-by-app');
  } finally {
    await agent.close();
  }
});

test('at JAEGER_LOG_LEVEL=info one start-up line: service, collector without credentials, sampler, modules', async () => {
  const collector = await FakeCollector.start();
  try {
    const endpoint = new URL(collector.url);
    endpoint.username = 'someone';
    endpoint.password = 'hunter2';
    endpoint.search = '?token=s3cret';
    const r = await runFixture('proc-env-at-top.js', {
      env: { JAEGER_ENDPOINT: endpoint.href, JAEGER_LOG_LEVEL: 'info', JAEGER_SAMPLER_TYPE: 'probabilistic', JAEGER_SAMPLER_PARAM: '1' },
    });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(
      `^jaeger-auto info: tracing set-by-app: reporting to collector http://127\\.0\\.0\\.1:${collector.port}/api/traces \\(HTTP\\), `
      + 'sampler probabilistic 1, instrumented: .*\\bhttp\\b',
    ));
    assert.doesNotMatch(r.stderr, /someone|hunter2|s3cret/);
    // Flushed at beforeExit over HTTP: the flush kept the loop alive until the POST was answered.
    await collector.waitForSpans(1);
    assert.equal(collector.spans[0].operationName, 'proc-env');
    assert.equal(collector.batches[0].headers?.authorization?.startsWith('Basic '), true);
  } finally {
    await collector.close();
  }
});

test('the start-up line for the agent names host:port over UDP', async () => {
  const agent = await FakeAgent.start();
  try {
    const r = await runFixture('proc-env-at-top.js', { env: agentEnv(agent, { JAEGER_LOG_LEVEL: 'info' }) });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^jaeger-auto info: tracing set-by-app: reporting to agent 127\\.0\\.0\\.1:${agent.port} \\(UDP\\), sampler const 1, `));
    await agent.waitForSpans(1);
  } finally {
    await agent.close();
  }
});

test('a traced call at the very top level builds the tracer on first use: its span is not lost', async () => {
  const agent = await FakeAgent.start();
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    res.end('pong');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ping`;
    const baseline = await runFixture('proc-top-level-call.js', { args: [url], env: agentEnv(agent), preload: false });
    assert.equal(baseline.stdout, '200 pong\n');
    assert.equal(seen[0]['uber-trace-id'], undefined);
    const r = await runFixture('proc-top-level-call.js', { args: [url], env: agentEnv(agent) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, baseline.stdout);
    assert.equal(r.stderr, '');
    await agent.waitForSpans(1);
    const [span] = agent.spans;
    assert.equal(span.operationName, 'GET');
    assert.equal(tagMap(span.tags)['span.kind'], 'client');
    const header = String(seen[1]['uber-trace-id']);
    assert.equal(header.split(':')[0].padStart(16, '0').slice(-16), span.traceIdLow);
    assert.equal(header.split(':')[1].padStart(16, '0'), span.spanId);
  } finally {
    server.close();
    await agent.close();
  }
});
