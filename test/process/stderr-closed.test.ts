// The tracer's diagnostics go to stderr. When stderr is a pipe the reader has closed (a log shipper
// that died, `2>&1 | head -1`), a write fails with EPIPE, and a stream error no one listens to is an
// uncaught exception: our warning must never be what ends the app.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { FIXTURES, REGISTER, ROOT } from '../helpers/run-fixture';
import { agentEnv } from './env';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

/** Runs a fixture whose stderr pipe we close at once; resolves with its exit and stdout. */
function runWithClosedStderr(fixture: string, env: Record<string, string>, preload: boolean) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }>((resolve) => {
    const argv = [...(preload ? ['-r', REGISTER] : []), path.join(FIXTURES, fixture)];
    const child = spawn(process.execPath, argv, { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.destroy();
    let stdout = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout });
    });
  });
}

const NOISY = {
  'warnings about bad configuration': { JAEGER_AGENT_PORT: '99999', JAEGER_SAMPLER_TYPE: 'nope', JAEGER_REPORTER_TIMEOUT: 'soon' },
  'debug logging': { JAEGER_LOG_LEVEL: 'debug', JAEGER_REPORTER_LOG_SPANS: 'true' },
};

for (const [name, extra] of Object.entries(NOISY)) {
  test(`stderr closed by its reader, ${name}: the app runs to its normal end`, async () => {
    const env = agentEnv(agent, extra);
    const plain = await runWithClosedStderr('proc-one-span.js', env, false);
    assert.equal(plain.code, 0);
    const r = await runWithClosedStderr('proc-one-span.js', env, true);
    assert.equal(r.signal, null);
    assert.equal(r.code, 0, 'an EPIPE of ours ended the app');
    assert.equal(r.stdout, plain.stdout);
  });
}
