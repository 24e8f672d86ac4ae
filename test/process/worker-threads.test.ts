// Worker threads: each one builds its own tracer (its own socket and client-uuid, process tag
// thread.id) reporting under the process's service name; JAEGER_WORKER_THREADS=false leaves them
// untouched. However a worker ends (return, process.exit, terminate(), terminated while starting),
// the app is not disturbed, and many short-lived workers leave no socket behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FakeAgent, FakeCollector } from '../helpers/fake-agent';
import { REGISTER, ROOT, runFixture } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { needService } from '../helpers/services';
import { newestVersionDir } from '../helpers/versions';
import { agentEnv, drainAgent, SERVICE } from './env';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

interface Reported { span: DecodedSpan; tags: Record<string, unknown>; uuid: string; thread: unknown; service: string }

/** Every span received so far with its batch's process (service, client-uuid, thread.id). */
function reported(a: FakeAgent): Reported[] {
  return a.batches.flatMap(({ batch }) => {
    const p = tagMap(batch.process.tags);
    return batch.spans.map((span) => ({
      span, tags: tagMap(span.tags), uuid: p['client-uuid'] as string, thread: p['thread.id'], service: batch.process.serviceName,
    }));
  });
}

/** The shared agent's spans of one fixture mode (tag mode), so tests sharing it do not mix. */
function ofMode(a: FakeAgent, mode: string): Reported[] {
  return reported(a).filter((r) => r.tags.mode === mode);
}

test('a worker thread doing HTTP and pg reports under the same service with its own client-uuid and thread.id', async (t) => {
  if (!(await needService(t, 'postgres'))) return;
  const own = await FakeAgent.start();
  t.after(() => own.close());
  const r = await runFixture('proc-worker-thread.js', { env: agentEnv(own), args: [newestVersionDir('pg')] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^in the worker: http\.request \w+, span traced$/m);
  const workerId = BigInt(/^worker (\d+): GET 200 ok, pg n=1$/m.exec(r.stdout)?.[1] ?? 'no worker line');
  assert.match(r.stdout, /^worker exited 0$/m);

  const has = (pred: (x: Reported) => boolean) => (a: FakeAgent) => reported(a).some(pred);
  const isClientGet = (x: Reported) => x.span.operationName === 'GET' && x.tags['span.kind'] === 'client';
  const isServerGet = (x: Reported) => x.span.operationName === 'GET' && x.tags['span.kind'] === 'server';
  const isPg = (x: Reported) => x.tags.component === 'pg' && x.tags['db.statement'] === 'SELECT ? AS n';
  await own.waitFor(has(isClientGet), 5000, 'the worker\'s GET');
  await own.waitFor(has(isPg), 5000, 'the worker\'s pg query');
  await own.waitFor(has(isServerGet), 5000, 'the main thread\'s server span');
  await own.waitFor(has((x) => x.span.operationName === 'proc-main'), 5000, 'proc-main');
  await own.waitFor(has((x) => x.span.operationName === 'proc-in-worker'), 5000, 'proc-in-worker');

  const all = reported(own);
  for (const x of all) assert.equal(x.service, SERVICE);
  const inWorker = all.filter((x) => x.thread !== undefined);
  const inMain = all.filter((x) => x.thread === undefined);
  assert.deepEqual(new Set(inWorker.map((x) => x.thread)), new Set([workerId]));
  assert.deepEqual(inWorker.filter(isClientGet).length, 1);
  assert.deepEqual(inWorker.filter(isPg).length, 1);
  assert.ok(inWorker.some((x) => x.span.operationName === 'proc-in-worker'));
  assert.ok(inMain.some(isServerGet) && inMain.some((x) => x.span.operationName === 'proc-main'));
  // One tracer per thread: one client-uuid each, and they differ.
  const workerUuids = new Set(inWorker.map((x) => x.uuid));
  const mainUuids = new Set(inMain.map((x) => x.uuid));
  assert.equal(workerUuids.size, 1);
  assert.equal(mainUuids.size, 1);
  assert.notEqual([...workerUuids][0], [...mainUuids][0]);
  // The worker's GET and the main thread's server span are one trace: the headers carried it.
  const client = inWorker.find(isClientGet)!.span;
  const server = inMain.find(isServerGet)!.span;
  assert.equal(server.traceIdLow, client.traceIdLow);
  assert.equal(server.parentSpanId, client.spanId);
  assert.equal(own.errors.length, 0);
});

test('JAEGER_WORKER_THREADS=false: the worker sees what it sees without the preload; the main thread is traced', async (t) => {
  const own = await FakeAgent.start();
  t.after(() => own.close());
  const baseline = await runFixture('proc-worker-thread.js', { env: agentEnv(own), preload: false });
  assert.equal(baseline.code, 0, baseline.stderr);
  const r = await runFixture('proc-worker-thread.js', {
    env: agentEnv(own, { JAEGER_WORKER_THREADS: 'false', JAEGER_LOG_LEVEL: 'debug' }),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, baseline.stdout);
  assert.match(r.stdout, /^in the worker: http\.request \w+, span no-op$/m);
  assert.match(r.stderr, /^jaeger-auto debug: not tracing: worker thread \d+: JAEGER_WORKER_THREADS=false$/m);
  await own.waitFor((a) => a.spans.some((s) => s.operationName === 'proc-main'), 5000, 'proc-main');
  await drainAgent(own);
  // The main thread's server span and proc-main; nothing from the worker.
  assert.deepEqual(reported(own).map((x) => x.span.operationName).sort(), ['GET', 'proc-main']);
  assert.ok(reported(own).every((x) => x.thread === undefined));
});

test('process.exit() inside a worker: its spans arrive (flushed on the worker\'s exit), the app goes on', async () => {
  const r = await runFixture('proc-worker-modes.js', { env: agentEnv(agent), args: ['exit'] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^worker \d+ exit: span traced\nworker exited 5\ndone\n$/);
  await agent.waitFor((a) => ofMode(a, 'exit').length === 3, 5000, 'proc-worker, proc-worker-last and proc-main');
  const spans = ofMode(agent, 'exit');
  const last = spans.find((x) => x.span.operationName === 'proc-worker-last')!;
  assert.equal(last.thread, last.tags.thread); // the process tag names the thread that made the span
  assert.notEqual(last.uuid, spans.find((x) => x.span.operationName === 'proc-main')!.uuid);
});

test('worker.terminate(): no crash, no hang; spans flushed before arrive, spans finished since are lost', async () => {
  // No timed flush: the only sends are the fixture's own flush and the exits.
  const env = agentEnv(agent, { JAEGER_REPORTER_FLUSH_INTERVAL: '600000' });
  const r = await runFixture('proc-worker-modes.js', { env, args: ['terminate'] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^worker \d+ terminate: span traced\nworker exited 1\ndone\n$/);
  await agent.waitFor((a) => ofMode(a, 'terminate').some((x) => x.span.operationName === 'proc-main'), 5000, 'proc-main');
  await drainAgent(agent);
  // As the README says: terminate() stops the worker's JavaScript at once, no exit listener runs.
  assert.deepEqual(ofMode(agent, 'terminate').map((x) => x.span.operationName).sort(), ['proc-main', 'proc-worker']);
});

test('a worker terminated as soon as it is online (its tracer still starting): no crash, no hang', async () => {
  for (let i = 0; i < 3; i++) {
    const r = await runFixture('proc-worker-modes.js', { env: agentEnv(agent), args: ['terminate-early'] });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /worker exited 1\ndone\n$/);
  }
  await agent.waitFor((a) => ofMode(a, 'terminate-early').filter((x) => x.span.operationName === 'proc-main').length === 3, 5000, 'proc-main ×3');
});

test('execArgv: [] drops a -r preload for that worker (not traced); with NODE_OPTIONS the worker is traced anyway', async () => {
  const r = await runFixture('proc-worker-modes.js', { env: agentEnv(agent), args: ['no-execargv'] });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^worker \d+ no-execargv: span no-op$/m);
  const viaEnv = await runFixture('proc-worker-modes.js', {
    preload: false, env: agentEnv(agent, { NODE_OPTIONS: `-r ${REGISTER}`, JAEGER_SERVICE_NAME: 'via-node-options' }), args: ['no-execargv'],
  });
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.equal(viaEnv.stderr, '');
  assert.match(viaEnv.stdout, /^worker \d+ no-execargv: span traced$/m);
  await agent.waitFor((a) => ofMode(a, 'no-execargv').filter((x) => x.service === 'via-node-options').length === 2, 5000, 'both spans of the NODE_OPTIONS run');
  const spans = ofMode(agent, 'no-execargv').filter((x) => x.service === 'via-node-options');
  assert.equal(new Set(spans.map((x) => x.uuid)).size, 2);
});

for (const mode of ['share-env', 'eval']) {
  test(`a worker started with ${mode === 'eval' ? 'eval: true' : 'env: SHARE_ENV'} is traced like any other`, async () => {
    const r = await runFixture('proc-worker-modes.js', { env: agentEnv(agent), args: [mode] });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, new RegExp(`^worker \\d+ ${mode}: span traced\\nworker exited 0\\ndone\\n$`));
    await agent.waitFor((a) => ofMode(a, mode).length === 2, 5000, `both spans of ${mode}`);
    const worker = ofMode(agent, mode).find((x) => x.span.operationName === 'proc-worker')!;
    assert.equal(worker.service, SERVICE);
    assert.equal(worker.thread, worker.tags.thread);
  });
}

test('20 short-lived workers in a row: 20 tracers, 20 client-uuids, no socket or handle left behind', async (t) => {
  const own = await FakeAgent.start(); // its errors are this test's alone
  t.after(() => own.close());
  const r = await runFixture('proc-worker-modes.js', { env: agentEnv(own), args: ['many'] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^exit codes 0$/m);
  const [before, during, afterAll] = (/^sockets before (\d+) during (\d+) after (\d+)$/m.exec(r.stdout) ?? []).slice(1).map(Number);
  assert.ok(during > before, `a live worker's socket is counted (${before} → ${during})`);
  assert.equal(afterAll, before, 'every worker\'s socket is closed with its worker');
  assert.match(r.stdout, /^active handles $/m);
  await own.waitFor((a) => ofMode(a, 'many').filter((x) => x.span.operationName === 'proc-worker').length === 20, 5000, '20 worker spans');
  const workers = ofMode(own, 'many').filter((x) => x.span.operationName === 'proc-worker');
  assert.equal(new Set(workers.map((x) => x.uuid)).size, 20);
  assert.equal(new Set(workers.map((x) => x.thread)).size, 20);
  assert.equal(own.errors.length, 0);
});

test('two copies of the package preloaded: in a worker too, one copy is active (the flag on process is per thread)', async (t) => {
  // A second path to this package, loaded again under --preserve-symlinks, as a second install would be.
  const dir = path.join(ROOT, 'dist', 'proc-worker-copy');
  fs.mkdirSync(dir, { recursive: true });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true })); // the link only
  try {
    fs.symlinkSync(ROOT, path.join(dir, 'jaeger-auto'), 'dir');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const r = await runFixture('proc-worker-modes.js', {
    env: agentEnv(agent, { JAEGER_LOG_LEVEL: 'debug', JAEGER_SERVICE_NAME: 'two-copies' }),
    execArgv: ['--preserve-symlinks', '-r', path.join(dir, 'jaeger-auto', 'register.js')],
    args: ['share-env'],
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^worker \d+ share-env: span traced$/m);
  // The worker inherits both -r flags: the second copy stands aside in each thread.
  assert.equal(r.stderr.match(/^jaeger-auto debug: another copy of jaeger-auto .* is already active/gm)?.length, 2, r.stderr);
  await agent.waitFor((a) => ofMode(a, 'share-env').filter((x) => x.service === 'two-copies').length === 2, 5000, 'both spans');
  await drainAgent(agent);
  const spans = ofMode(agent, 'share-env').filter((x) => x.service === 'two-copies');
  assert.deepEqual(spans.map((x) => x.span.operationName).sort(), ['proc-main', 'proc-worker']); // once each
});

test('over HTTP (JAEGER_ENDPOINT) a worker posts its own batches, flushed at its end', async (t) => {
  const collector = await FakeCollector.start();
  t.after(() => collector.close());
  const r = await runFixture('proc-worker-modes.js', { env: { JAEGER_SERVICE_NAME: SERVICE, JAEGER_ENDPOINT: collector.url }, args: ['eval'] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^worker \d+ eval: span traced$/m);
  await collector.waitFor((c) => c.spans.length === 2, 5000, 'proc-worker and proc-main');
  const byName = new Map(collector.batches.flatMap(({ batch }) => batch.spans.map((s) => [s.operationName, tagMap(batch.process.tags)])));
  const worker = byName.get('proc-worker')!;
  assert.equal(typeof worker['thread.id'], 'bigint');
  assert.equal(byName.get('proc-main')!['thread.id'], undefined);
  assert.notEqual(worker['client-uuid'], byName.get('proc-main')!['client-uuid']);
});
