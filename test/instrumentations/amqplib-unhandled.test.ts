// A promise get() the app never handles must stay unhandled under the preload: the span reads the
// failure from the BasicGet reply, not from a handler on amqplib's promise (which would swallow the
// process's unhandledRejection). Against RabbitMQ on 127.0.0.1:5672, for every amqplib version.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { installedVersions, versionDir, versionSet } from '../helpers/versions';
import { needService } from '../helpers/services';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const outLines = (r: FixtureResult) => r.stdout.split('\n').filter((l) => l.startsWith('out '));

for (const version of versionSet('amqplib').versions) {
  test(`amqplib ${version}: an unhandled get() rejection is still unhandled, and its span failed`, async (t) => {
    if (!(await needService(t, 'rabbitmq'))) return;
    const dir = versionDir('amqplib', version);
    assert.deepEqual(installedVersions(dir, 'amqplib'), [version]);
    const queue = `jaeger-auto-missing-${process.pid}-${version}`;
    const env = {
      JAEGER_SERVICE_NAME: 'amqp-get', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
      JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
    };
    const from = agent.spans.length;
    const plain = await runFixture('amqplib-get-unhandled.js', { env, args: [dir, queue], preload: false });
    const traced = await runFixture('amqplib-get-unhandled.js', { env, args: [dir, queue] });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(traced.code, 0, traced.stderr);
    assert.ok(outLines(plain).some((l) => l.startsWith('out unhandled ')), plain.stdout);
    assert.deepEqual(outLines(traced), outLines(plain));
    const gets = () => agent.spans.slice(from).filter((s) => s.operationName === `get ${queue}`);
    await agent.waitFor(() => gets().length >= 1, 10_000, 'the get span');
    const [span] = gets();
    assert.equal(gets().length, 1);
    const tags = tagMap(span.tags);
    assert.equal(tags['span.kind'], 'consumer');
    assert.equal(tags.error, true);
  });
}
