import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { REGISTER, ROOT } from '../helpers/run-fixture';
import { startSamplingServer, type Answer } from '../helpers/sampling-server';

// The remote sampler as the loader builds it from JAEGER_* variables, against a manager that
// never finishes its answer: the app still exits the moment it has nothing left to do.

// The app serves one request to itself, then waits for the test to close its stdin.
const APP = `
  const http = require('http');
  const server = http.createServer((req, res) => res.end('ok')).listen(0, '127.0.0.1', () => {
    http.get({ port: server.address().port, host: '127.0.0.1' }, (res) => {
      res.resume();
      res.on('end', () => {
        server.close();
        process.stdin.on('data', () => {}).on('end', () => process.stderr.write('app done\\n'));
      });
    });
  });
`;

async function runAgainst(answer: Answer) {
  const manager = await startSamplingServer();
  manager.answer(answer);
  const child = spawn(process.execPath, ['-r', REGISTER, '-e', APP], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      JAEGER_SERVICE_NAME: 'sampler-exit',
      JAEGER_SAMPLER_TYPE: 'remote',
      JAEGER_SAMPLER_MANAGER_HOST_PORT: manager.url.replace('http://', ''),
      JAEGER_AGENT_HOST: '127.0.0.1',
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  try {
    await manager.nextRequest(); // the poll is in flight and will not end by itself for seconds
    assert.equal(manager.exchanges[0].completed, false);
    const released = Date.now();
    child.stdin.end();
    const code = await exited;
    const took = Date.now() - released;
    return { code, took, stdout, stderr, request: manager.requests[0] };
  } finally {
    clearTimeout(killer);
    child.kill('SIGKILL');
    await manager.close();
  }
}

describe('remote sampler under the loader', () => {
  for (const [name, answer] of [
    ['a manager that never answers', 'hang'],
    ['a manager that trickles its answer', { kind: 'drip', status: 200, everyMs: 20, maxChunks: 1000 }],
  ] as Array<[string, Answer]>) {
    test(`${name} does not hold the app open`, async () => {
      const r = await runAgainst(answer);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /app done/);
      assert.equal(r.stdout, '', 'the tracer writes nothing to stdout');
      assert.match(r.request, /[?&]service=sampler-exit/);
      // Well inside the 5 s poll deadline: the poll's socket and timers are unref'd.
      assert.ok(r.took < 4_000, `exited ${r.took} ms after the app was done`);
    });
  }
});
