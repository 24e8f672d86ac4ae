// Each process builds its own tracer: cluster workers inherit the preload through execArgv and
// report on their own, under the same service name but with a client-uuid each.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { agentEnv, SERVICE } from './env';

test('two cluster workers report the same service under different client-uuids', async () => {
  const agent = await FakeAgent.start();
  try {
    const r = await runFixture('proc-cluster.js', { env: agentEnv(agent) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['all workers done', 'worker 1 exited 0', 'worker 2 exited 0']);
    await agent.waitFor((a) => a.spans.filter((s) => s.operationName === 'proc-worker').length === 2, 5000, 'a span per worker');
    const byWorker = new Map<unknown, string>();
    for (const { batch } of agent.batches) {
      assert.equal(batch.process.serviceName, SERVICE);
      const uuid = tagMap(batch.process.tags)['client-uuid'];
      assert.equal(typeof uuid, 'string');
      for (const span of batch.spans) byWorker.set(tagMap(span.tags).worker, uuid as string);
    }
    assert.deepEqual([...byWorker.keys()].sort(), [1n, 2n]);
    assert.notEqual(byWorker.get(1n), byWorker.get(2n));
    assert.equal(agent.errors.length, 0);
  } finally {
    await agent.close();
  }
});
