// How a traced process ends: spans are flushed when the script returns, on SIGTERM/SIGINT without an
// app handler (and the process still dies of that signal), on process.exit() and on an uncaught
// exception (synchronously, to a connected UDP socket); an app's own signal handling is untouched.
// Every case is compared with the same fixture run without the preload.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent, FakeCollector } from '../helpers/fake-agent';
import { runFixture, startFixture } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { agentEnv, SERVICE, waitForSpan } from './env';

const agents: FakeAgent[] = [];
after(() => Promise.all(agents.map((a) => a.close())));
async function newAgent(): Promise<FakeAgent> {
  const agent = await FakeAgent.start();
  agents.push(agent);
  return agent;
}

test('a script that finishes a span and returns delivers it, and beforeExit does not loop', async () => {
  const agent = await newAgent();
  const r = await runFixture('proc-return.js', { env: agentEnv(agent), timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  // One beforeExit that flushes, one that finds nothing left and lets the process end.
  assert.match(r.stdout, /^exit 0 after [12] beforeExit\n$/);
  await waitForSpan(agent, 'proc-return');
  const [span] = agent.spans;
  assert.equal(tagMap(span.tags).answer, 42n);
  assert.equal(agent.process?.serviceName, SERVICE);
  assert.equal(agent.errors.length, 0);
});

test('work the app schedules after beforeExit is flushed at the next beforeExit', async () => {
  const agent = await newAgent();
  const r = await runFixture('proc-return.js', { env: agentEnv(agent), args: ['late'], timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  await waitForSpan(agent, 'proc-return');
  await waitForSpan(agent, 'proc-late');
});

test('a collector that never answers: the process still ends by itself, exit code 0', async () => {
  const collector = await FakeCollector.start({ hang: true });
  try {
    // The in-flight POST holds the loop until its deadline (the HTTP sender's choice, so that an
    // exit flush is delivered); our 2 s bound runs out first and beforeExit must then let go.
    const env = { JAEGER_SERVICE_NAME: SERVICE, JAEGER_ENDPOINT: collector.url, JAEGER_REPORTER_TIMEOUT: '3000' };
    const r = await runFixture('proc-return.js', { env, timeoutMs: 10_000 });
    assert.equal(r.signal, null);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^exit 0 after \d beforeExit\n$/);
    await collector.waitForSpans(1); // it was sent; only the answer never came
  } finally {
    await collector.close();
  }
});

async function signalRun(mode: string, signal: NodeJS.Signals, env: Record<string, string>, preload: boolean) {
  const run = startFixture('proc-signal.js', { args: [mode], env, preload, timeoutMs: 10_000 });
  await run.waitForLine(/^ready$/);
  run.child.kill(signal);
  return run.exited;
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} with no app handler: spans delivered, the process still dies of ${signal}`, async () => {
    const agent = await newAgent();
    const baseline = await signalRun('plain', signal, agentEnv(agent), false);
    assert.equal(baseline.signal, signal); // what a run without us does
    const r = await signalRun('plain', signal, agentEnv(agent), true);
    assert.equal(r.signal, signal, `code ${r.code}, stderr ${r.stderr}`);
    assert.equal(r.code, null);
    assert.equal(r.stdout, baseline.stdout);
    assert.equal(r.stderr, '');
    await waitForSpan(agent, 'proc-signal', 'plain');
  });
}

test('SIGTERM with a collector that never answers: the signal is held back for the bound only', async () => {
  const collector = await FakeCollector.start({ hang: true });
  try {
    const env = { JAEGER_SERVICE_NAME: SERVICE, JAEGER_ENDPOINT: collector.url, JAEGER_REPORTER_TIMEOUT: '60000' };
    const r = await signalRun('plain', 'SIGTERM', env, true);
    assert.equal(r.signal, 'SIGTERM', `code ${r.code}, stderr ${r.stderr}`); // not the runner's SIGKILL at 10 s
    await collector.waitForSpans(1);
  } finally {
    await collector.close();
  }
});

for (const mode of ['own', 'late-own']) {
  test(`an app with its own signal handler (${mode}) keeps it: its log line, exit 0, not killed by us`, async () => {
    const agent = await newAgent();
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const baseline = await signalRun(mode, signal, agentEnv(agent), false);
      const r = await signalRun(mode, signal, agentEnv(agent), true);
      assert.equal(r.signal, null, `killed by ${r.signal}`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^own handler ${signal}$`, 'm'));
      assert.equal(r.stdout, baseline.stdout);
      assert.equal(r.stderr, '');
    }
  });
}

for (const mode of ['exit-helper', 'late-exit-helper']) {
  test(`a library that re-raises only when its listener is alone (signal-exit style, ${mode}) still ends the process`, async () => {
    const agent = await newAgent();
    const baseline = await signalRun(mode, 'SIGTERM', agentEnv(agent), false);
    assert.equal(baseline.signal, 'SIGTERM');
    const r = await signalRun(mode, 'SIGTERM', agentEnv(agent), true);
    assert.equal(r.signal, 'SIGTERM', `code ${r.code}, stdout ${r.stdout}`);
    assert.equal(r.stdout, baseline.stdout);
    assert.match(r.stdout, /^helper re-raises SIGTERM$/m);
    // Our listener came back when the helper removed its own, so the re-raised signal was flushed.
    await waitForSpan(agent, 'proc-signal', mode);
  });
}

test('process.exit(3): exit code 3, and spans finished just before reach the agent over UDP', async () => {
  const agent = await newAgent();
  const baseline = await runFixture('proc-exit.js', { args: ['exit'], env: agentEnv(agent), preload: false });
  const r = await runFixture('proc-exit.js', { args: ['exit'], env: agentEnv(agent) });
  assert.equal(baseline.code, 3);
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, baseline.stdout);
  assert.equal(r.stderr, '');
  await waitForSpan(agent, 'proc-first', 'exit');
  // Sent from the synchronous 'exit' listener: process.exit() left no turn of the event loop.
  await waitForSpan(agent, 'proc-last', 'exit');
});

test('an uncaught exception: the same stack trace and exit code 1, and the spans still go out', async () => {
  const agent = await newAgent();
  const baseline = await runFixture('proc-exit.js', { args: ['throw'], env: agentEnv(agent), preload: false });
  const r = await runFixture('proc-exit.js', { args: ['throw'], env: agentEnv(agent) });
  assert.equal(baseline.code, 1);
  assert.match(baseline.stderr, /Error: proc-exit: boom/);
  assert.equal(r.code, 1);
  assert.equal(r.stderr, baseline.stderr);
  assert.equal(r.stdout, baseline.stdout);
  await waitForSpan(agent, 'proc-last', 'throw');
});

test('process.exit() before the first batch went out: exit code and output unchanged', async () => {
  const agent = await newAgent();
  const baseline = await runFixture('proc-exit.js', { args: ['cold'], env: agentEnv(agent), preload: false });
  const r = await runFixture('proc-exit.js', { args: ['cold'], env: agentEnv(agent) });
  assert.equal(r.code, 4, r.stderr);
  assert.equal(r.stdout, baseline.stdout);
  assert.equal(r.stderr, '');
  // The span is lost here (the socket was never opened); the README's Shutdown section says so.
});
