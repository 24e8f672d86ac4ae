// How a traced process ends when the app crashes or sets its own exit code: exit code, signal and
// stdout are those of the run without the preload, stderr too (the preload's own stack frames, and
// the Node frames they push past the 10-frame stack limit, aside), and the spans finished before the
// end still reach the agent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureOptions } from '../helpers/run-fixture';
import { agentEnv, waitForSpan } from './env';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const samePid = (s: string) => s.replace(/\(node:\d+\)/g, '(node:PID)');
// Frames of ours (the wrappers and the scope they run in, from the bundle or the compiled files) and Node's own frames, which ours push
// out of the default 10-frame stack; what is left is the message and the app's frames.
const OUR_OR_NODE_FRAME = /^\s+at .*(\/dist\/(src|instrumentations)\/|\/dist\/jaeger-auto\.js:|\(node:|at node:)/;
const appLines = (s: string) => samePid(s).split('\n').filter((l) => !OUR_OR_NODE_FRAME.test(l));

async function both(mode: string, extra: FixtureOptions = {}) {
  const options = { ...extra, args: [mode], env: agentEnv(agent), timeoutMs: 15_000 };
  const baseline = await runFixture('proc-crash.js', { ...options, preload: false });
  const traced = await runFixture('proc-crash.js', options);
  assert.equal(traced.signal, baseline.signal);
  assert.equal(traced.code, baseline.code, traced.stderr);
  assert.equal(traced.stdout, baseline.stdout);
  return { baseline, traced };
}

const CASES: { mode: string; code: number; stack: 'identical' | 'app frames'; stderr: RegExp; execArgv?: string[] }[] = [
  { mode: 'reject', code: 1, stack: 'identical', stderr: /Error: proc-crash: rejected/ },
  { mode: 'own-uncaught', code: 2, stack: 'identical', stderr: /^$/ },
  { mode: 'exit-code', code: 5, stack: 'identical', stderr: /^$/ },
  { mode: 'warn-rejection', code: 0, stack: 'identical', stderr: /UnhandledPromiseRejectionWarning: Error: proc-crash: rejected/, execArgv: ['--unhandled-rejections=warn'] },
  { mode: 'handler-throw', code: 1, stack: 'app frames', stderr: /Error: proc-crash: handler threw\n\s+at Server\./ },
  { mode: 'handler-reject', code: 1, stack: 'app frames', stderr: /Error: proc-crash: handler rejected/ },
  { mode: 'callback-throw', code: 1, stack: 'app frames', stderr: /Error: proc-crash: callback threw/ },
];

for (const c of CASES) {
  test(`${c.mode}: exit code ${c.code}, same stdout and ${c.stack === 'identical' ? 'identical stderr' : 'the same error and app frames on stderr'}, spans delivered`, async () => {
    const { baseline, traced } = await both(c.mode, { execArgv: c.execArgv });
    assert.equal(baseline.code, c.code, baseline.stderr);
    assert.match(baseline.stderr, c.stderr);
    if (c.stack === 'identical') assert.equal(samePid(traced.stderr), samePid(baseline.stderr));
    else assert.deepEqual(appLines(traced.stderr), appLines(baseline.stderr));
    assert.match(baseline.stdout, new RegExp(`^ending by ${c.mode}\n`));
    await waitForSpan(agent, 'proc-first', c.mode);
    // Finished right before the end: sent from the synchronous 'exit' flush (or beforeExit for exit-code).
    await waitForSpan(agent, 'proc-last', c.mode);
  });
}
