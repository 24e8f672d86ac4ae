// Child processes: a fork() made after the parent's tracer exists starts from nothing of the
// parent's (Node's fork is a new process, not a copy) and builds its own tracer; nothing of ours is
// added to its environment; execArgv: [] drops a -r preload (NODE_OPTIONS still applies). Cluster
// workers re-forked after a crash, a SIGTERM or a normal end (PM2 cluster mode) each report with a
// new client-uuid.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { REGISTER, runFixture } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { agentEnv, drainAgent, SERVICE } from './env';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

interface Reported { name: string; tags: Record<string, unknown>; uuid: unknown; service: string }

function reported(service: string): Reported[] {
  return agent.batches.filter(({ batch }) => batch.process.serviceName === service).flatMap(({ batch }) => batch.spans.map((s) => ({
    name: s.operationName, tags: tagMap(s.tags), uuid: tagMap(batch.process.tags)['client-uuid'], service: batch.process.serviceName,
  })));
}

test('fork() after the tracer exists: the child reports with its own client-uuid; execArgv: [] is not traced', async () => {
  const r = await runFixture('proc-fork.js', { env: agentEnv(agent) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  const names = 'JAEGER_AGENT_HOST,JAEGER_AGENT_PORT,JAEGER_SERVICE_NAME'; // what the test set, nothing more
  assert.equal(r.stdout, [
    `parent: span traced, JAEGER_* ${names}`,
    `child: span traced, JAEGER_* ${names}`,
    'child exited 0',
    `child-noexec: span no-op, JAEGER_* ${names}`,
    'child-noexec exited 0',
    'done',
    '',
  ].join('\n'));
  await agent.waitFor(() => reported(SERVICE).length === 3, 5000, 'parent before/after and child');
  await drainAgent(agent);
  const spans = reported(SERVICE);
  assert.deepEqual(spans.map((s) => `${s.name} ${s.tags.role}`).sort(),
    ['proc-child child', 'proc-parent-after parent', 'proc-parent-before parent']);
  const uuid = (name: string) => spans.find((s) => s.name === name)!.uuid;
  assert.equal(uuid('proc-parent-after'), uuid('proc-parent-before'), 'the parent keeps its tracer');
  assert.notEqual(uuid('proc-child'), uuid('proc-parent-before'));
  assert.equal(typeof uuid('proc-child'), 'string');
});

test('under NODE_OPTIONS a child forked with execArgv: [] is traced too (NODE_OPTIONS is its environment)', async () => {
  const service = 'fork-node-options';
  const r = await runFixture('proc-fork.js', {
    preload: false, env: agentEnv(agent, { JAEGER_SERVICE_NAME: service, NODE_OPTIONS: `-r ${REGISTER}` }),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^child-noexec: span traced, /m);
  await agent.waitFor(() => reported(service).length === 4, 5000, 'parent ×2, child, child-noexec');
  assert.deepEqual(reported(service).filter((s) => s.name === 'proc-child').map((s) => s.tags.role).sort(), ['child', 'child-noexec']);
  assert.equal(new Set(reported(service).map((s) => s.uuid)).size, 3, 'parent, child, child-noexec: a tracer each');
});

test('cluster worker restarted after a crash, a SIGTERM and a normal end: a new client-uuid each time', async () => {
  const service = 'cluster-restart';
  const r = await runFixture('proc-cluster-restart.js', { env: agentEnv(agent, { JAEGER_SERVICE_NAME: service }) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'generation 1 exited 1\ngeneration 2 exited SIGTERM\ngeneration 3 exited 0\nall generations done\n');
  // The crash's own report, as without the preload; nothing of ours.
  assert.match(r.stderr, /Error: proc-cluster-restart: crash/);
  assert.doesNotMatch(r.stderr, /jaeger-auto/);
  await agent.waitFor(() => reported(service).length === 4, 5000, 'the primary\'s span and one per generation');
  const spans = reported(service);
  const byGeneration = new Map(spans.filter((s) => s.name === 'proc-worker').map((s) => [s.tags.generation, s.uuid]));
  assert.deepEqual([...byGeneration.keys()].sort(), [1n, 2n, 3n]);
  const primary = spans.find((s) => s.name === 'proc-primary')!.uuid;
  assert.equal(new Set([primary, ...byGeneration.values()]).size, 4);
});
