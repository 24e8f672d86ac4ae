// A module version outside the supported range, and a patch that throws: under the real preload the
// app's raw HTTP responses (to a request with a malformed uber-trace-id) are byte-identical to a
// run without it, while tracing of everything else goes on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { FIXTURES, runFixture } from '../helpers/run-fixture';

for (const variant of ['unsupported', 'throwing'] as const) {
  test(`${variant} opentracing copy: same response bytes, module left as the app had it, http still traced`, async () => {
    const fixture = path.join(FIXTURES, 'odd-deps', variant, 'index.js');
    const plain = await runFixture(fixture, { preload: false });
    assert.equal(plain.code, 0, plain.stderr);
    const agent = await FakeAgent.start();
    try {
      const traced = await runFixture(fixture, {
        env: { JAEGER_SERVICE_NAME: 'odd', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port) },
      });
      assert.equal(traced.code, 0, traced.stderr);
      assert.equal(traced.stdout, plain.stdout, 'byte-identical output, raw response included');
      const { raw } = JSON.parse(plain.stdout);
      assert.match(raw, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(raw, /x-seen-trace-header: zz:%:not-hex/);
      assert.match(raw, /"globalTracerOwnKeys":\[\]/, 'the app\'s own global tracer, untouched');
      if (variant === 'throwing') {
        assert.match(traced.stderr, /opentracing/, 'the failed patch is reported');
      } else {
        assert.equal(traced.stderr, '');
      }
      const [span] = await agent.waitForSpans(1);
      assert.equal(span.operationName, 'GET');
      assert.equal(span.parentSpanId, '0000000000000000', 'a malformed header starts a new trace');
    } finally {
      await agent.close();
    }
  });
}
