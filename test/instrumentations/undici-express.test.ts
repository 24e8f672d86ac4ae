// End to end: `await fetch(...)` in an express handler (oldest and newest tested express) under the
// preload. The client span is a child of the express request's server span, and the called server's
// span (our http server instrumentation, from the injected headers) a child of the client span.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { versionDir, versionSet } from '../helpers/versions';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const ROOT_PARENT = '0000000000000000';
const REQUESTS = ['1', '2', '3', '4'];

const expressVersions = versionSet('express').versions;
for (const version of [expressVersions[0], expressVersions.at(-1)!]) {
  test(`express@${version}: await fetch() in a handler is a client span between the two server spans`, async () => {
    const env = {
      JAEGER_SERVICE_NAME: 'undici-express', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
      JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
    };
    const args = [versionDir('express', version)];
    const from = agent.batches.length;
    const traced = await runFixture('undici-express.js', { env, args });
    const plain = await runFixture('undici-express.js', { env, args, preload: false });
    assert.equal(traced.code, 0, traced.stderr);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(traced.stdout.replace(/with context/g, 'without context'), plain.stdout, 'same responses, but for the propagated context');
    assert.match(traced.stdout, /called \/x\/1 with context/);
    const spansOf = () => agent.batches.slice(from).flatMap((b) => b.batch.spans);
    const expected = REQUESTS.length * 3;
    await agent.waitFor(() => spansOf().length >= expected, 10_000, `${expected} spans`);
    const spans = spansOf();
    assert.equal(spans.length, expected);
    for (const n of REQUESTS) {
      const roots = spans.filter((s) => tagMap(s.tags)['http.url'] === `/api/${n}`);
      assert.equal(roots.length, 1, `/api/${n}`);
      const root = roots[0];
      assert.equal(root.parentSpanId, ROOT_PARENT);
      assert.equal(root.operationName, 'GET /api/:n', 'named by express');
      const clients = spans.filter((s) => s.parentSpanId === root.spanId);
      assert.equal(clients.length, 1, `one child of /api/${n}`);
      const client = clients[0];
      const ct = tagMap(client.tags);
      assert.equal(client.operationName, 'GET');
      assert.equal(ct.component, 'undici');
      assert.equal(ct['span.kind'], 'client');
      assert.match(String(ct['http.url']), new RegExp(`^http://127\\.0\\.0\\.1:\\d+/x/${n}$`));
      assert.equal(ct['http.status_code'], 200n);
      const leaves = spans.filter((s) => s.parentSpanId === client.spanId);
      assert.equal(leaves.length, 1, `the called server's span under the client span of /api/${n}`);
      assert.equal(tagMap(leaves[0].tags)['span.kind'], 'server');
      assert.equal(tagMap(leaves[0].tags)['http.url'], `/x/${n}`);
      assert.equal(leaves[0].traceIdLow, root.traceIdLow);
    }
  });
}
