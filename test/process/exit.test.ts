// A traced process ends by itself, as soon as the same process without the preload would: nothing
// of ours keeps the event loop alive (no ref'd timer or socket), and the exit flush costs one round
// trip to the agent or collector, not a timer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { FakeAgent, FakeCollector } from '../helpers/fake-agent';
import { REGISTER, ROOT, runFixture, startFixture, type FixtureOptions, type FixtureResult } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { agentEnv, SERVICE } from './env';

// Generous: the exit flush is one loopback round trip (tens of ms); what this catches is an exit
// that waits for one of our timers (the 1 s flush interval, the 2 s exit bound).
const EXTRA_EXIT_MS = 2000;

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

async function timed(fixture: string, options: FixtureOptions): Promise<FixtureResult & { ms: number }> {
  const start = process.hrtime.bigint();
  const r = await runFixture(fixture, { timeoutMs: 15_000, ...options });
  return { ...r, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

function nodeEval(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['-r', REGISTER, '-e', '1'], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 10_000,
    }, (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }));
  });
}

test('node -r register -e "1" exits with code 0 and no output (no ref\'d timer or socket)', async () => {
  const envs = [
    {},
    agentEnv(agent),
    agentEnv(agent, { JAEGER_SAMPLER_TYPE: 'remote', JAEGER_REPORTER_FLUSH_INTERVAL: '60000' }),
  ];
  for (const env of envs) {
    const r = await nodeEval(env);
    // A ref'd handle of ours would keep it alive until execFile's 10 s timeout kills it (code null).
    assert.equal(r.code, 0, `${JSON.stringify(env)}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, '');
  }
});

test('once the tracer has sent a span, it keeps nothing alive: the same active resources as a plain run', async (t) => {
  const collector = await FakeCollector.start();
  t.after(() => collector.close());
  const plain = await runFixture('proc-idle.js', { preload: false });
  assert.equal(plain.code, 0, plain.stderr);
  const envs = {
    udp: agentEnv(agent),
    http: { JAEGER_SERVICE_NAME: SERVICE, JAEGER_ENDPOINT: collector.url },
    'remote sampler': agentEnv(agent, { JAEGER_SAMPLER_TYPE: 'remote', JAEGER_SAMPLING_ENDPOINT: collector.url }),
  };
  for (const [name, env] of Object.entries(envs)) {
    const r = await runFixture('proc-idle.js', { env });
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.equal(r.stdout, plain.stdout, name);
  }
  await collector.waitForSpans(1);
});

for (const transport of ['udp', 'http'] as const) {
  test(`a script that finishes 100 spans and returns (${transport}): all 100 delivered, exit 0, no later than a plain run + ${EXTRA_EXIT_MS} ms`, async (t) => {
    const collector = transport === 'http' ? await FakeCollector.start() : undefined;
    t.after(() => collector?.close());
    const service = `hundred-${transport}`;
    const env = collector
      ? { JAEGER_SERVICE_NAME: service, JAEGER_ENDPOINT: collector.url }
      : agentEnv(agent, { JAEGER_SERVICE_NAME: service });
    const plain = await timed('proc-hundred.js', { env, preload: false });
    assert.equal(plain.code, 0, plain.stderr);
    const r = await timed('proc-hundred.js', { env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.signal, null);
    assert.equal(r.stdout, plain.stdout);
    assert.equal(r.stderr, '');
    const receiver = collector ?? agent;
    await receiver.waitFor(
      (x) => x.batches.filter((b) => b.batch.process.serviceName === service).flatMap((b) => b.batch.spans).length >= 100,
      5000, '100 spans',
    );
    const spans = receiver.batches.filter((b) => b.batch.process.serviceName === service).flatMap((b) => b.batch.spans);
    assert.deepEqual(spans.map((s) => Number(tagMap(s.tags).i)).sort((a, b) => a - b), [...Array(100).keys()]);
    t.diagnostic(`exit: ${Math.round(plain.ms)} ms plain, ${Math.round(r.ms)} ms traced`);
    assert.ok(r.ms < plain.ms + EXTRA_EXIT_MS, `${Math.round(r.ms)} ms traced vs ${Math.round(plain.ms)} ms plain`);
  });
}

test('SIGTERM with no app handler, spans going to an HTTP collector: delivered, and the process dies of SIGTERM', async (t) => {
  const collector = await FakeCollector.start();
  t.after(() => collector.close());
  const run = startFixture('proc-signal.js', {
    args: ['plain'], timeoutMs: 10_000,
    env: { JAEGER_SERVICE_NAME: SERVICE, JAEGER_ENDPOINT: collector.url, JAEGER_REPORTER_FLUSH_INTERVAL: '60000' },
  });
  await run.waitForLine(/^ready$/);
  run.child.kill('SIGTERM');
  const r = await run.exited;
  assert.equal(r.signal, 'SIGTERM', `code ${r.code}, stderr ${r.stderr}`);
  assert.equal(r.stderr, '');
  // Finished before "ready"; with a 60 s flush interval only the signal flush can have sent it.
  await collector.waitFor((c) => c.spans.some((s) => s.operationName === 'proc-signal'), 5000, 'proc-signal');
});

test('a collector that accepts and never answers: the script still exits 0 at the exit-flush bound, well before the request timeout', async (t) => {
  const collector = await FakeCollector.start({ hang: true });
  t.after(() => collector.close());
  // A request timeout far beyond the exit bound (2 s): without giving up on the request in flight,
  // the process would live until it.
  const env = { JAEGER_SERVICE_NAME: 'hundred-hung', JAEGER_ENDPOINT: collector.url, JAEGER_REPORTER_TIMEOUT: '30000' };
  const plain = await timed('proc-hundred.js', { env, preload: false });
  const r = await timed('proc-hundred.js', { env });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.signal, null);
  assert.equal(r.stdout, plain.stdout);
  await collector.waitFor((c) => c.requests >= 1, 5000, 'the request that hung');
  t.diagnostic(`exit: ${Math.round(plain.ms)} ms plain, ${Math.round(r.ms)} ms traced with a hung collector`);
  assert.ok(r.ms < plain.ms + 2000 + 8000, `${Math.round(r.ms)} ms traced vs ${Math.round(plain.ms)} ms plain`);
  assert.ok(r.ms < 25_000, 'ended before the 30 s request timeout');
});
