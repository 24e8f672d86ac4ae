// The preload entry, end to end: `node -r ./register.js` builds the tracer from the environment,
// sets it as opentracing's global tracer, and delivers spans when the script simply ends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { tagMap } from '../helpers/thrift-decode';

const root = path.resolve(__dirname, '../../..');
const fixture = path.join(root, 'test/fixtures/global-tracer.js');

function run(env: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-r', path.join(root, 'register.js'), fixture], {
      env: { PATH: process.env.PATH ?? '', ...env },
      timeout: 10_000,
    }, (err, stdout, stderr) => resolve({ stdout, stderr, code: err ? (err as { code?: number }).code ?? 1 : 0 }));
  });
}

test('a script that finishes a span and ends delivers it over UDP with the configured service name', async () => {
  const agent = await FakeAgent.start();
  try {
    const out = await run({ JAEGER_SERVICE_NAME: 'fixture-svc', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port) });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stderr, '');
    const traceId = out.stdout.trim();
    assert.match(traceId, /^[0-9a-f]{16}$/);
    const [span] = await agent.waitForSpans(1);
    assert.equal(span.operationName, 'fixture-span');
    assert.equal(tagMap(span.tags).answer, 42n);
    assert.equal(agent.process?.serviceName, 'fixture-svc');
    assert.equal(agent.errors.length, 0);
  } finally {
    await agent.close();
  }
});

test('JAEGER_DISABLED=true builds no tracer: the global tracer stays the no-op one', async () => {
  const out = await run({ JAEGER_DISABLED: 'true', JAEGER_SERVICE_NAME: 'x' });
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout.trim(), 'noop');
});

test('bad configuration gives one warning per variable and the app still runs and reports', async () => {
  const agent = await FakeAgent.start();
  try {
    const out = await run({
      JAEGER_SERVICE_NAME: 'bad-config', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
      JAEGER_SAMPLER_PARAM: 'abc', JAEGER_REPORTER_FLUSH_INTERVAL: '-5',
    });
    assert.equal(out.code, 0, out.stderr);
    const warnings = out.stderr.trim().split('\n');
    assert.equal(warnings.length, 2, out.stderr);
    assert.ok(warnings.some((w) => w.includes('JAEGER_SAMPLER_PARAM')), out.stderr);
    assert.ok(warnings.some((w) => w.includes('JAEGER_REPORTER_FLUSH_INTERVAL')), out.stderr);
    await agent.waitForSpans(1);
  } finally {
    await agent.close();
  }
});
