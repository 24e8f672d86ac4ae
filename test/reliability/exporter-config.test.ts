import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFixture } from '../helpers/run-fixture';
import { SCHEMA } from '../../src/config/schema';

// Bad reporter settings must cost a warning, never the app: the reference client crashes a second
// after start with JAEGER_AGENT_PORT=99999. The app (proc-host-app.js) serves requests over http
// and raw sockets and ends with exit code 7; its stdout and exit code must be those of a plain run.

const GARBAGE = 'garbage %zz ✗ -1 ,;=';
// Host names are left out: a garbage name would be looked up in DNS, and tests talk to loopback only.
const NO_DNS = new Set(['JAEGER_AGENT_HOST', 'JAEGER_SAMPLER_HOST']);
const SECRET = 'hunter2-secret-value';

async function baseline() {
  const r = await runFixture('proc-host-app.js', { preload: false });
  assert.equal(r.code, 7, r.stderr);
  return r;
}

function warnedVariables(stderr: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of stderr.split('\n').filter(Boolean)) {
    // The variable a warning is about opens it; others may appear in the default's description.
    const name = /^jaeger-auto \w+: (JAEGER_[A-Z0-9_]+)=/.exec(line)?.[1];
    if (name !== undefined) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

test('JAEGER_AGENT_PORT=99999 and JAEGER_ENDPOINT=not a url: the app serves and exits as without the loader; one warning each', async () => {
  const plain = await baseline();
  const r = await runFixture('proc-host-app.js', { env: { JAEGER_SERVICE_NAME: 'bad-config', JAEGER_AGENT_PORT: '99999', JAEGER_ENDPOINT: 'not a url' } });
  assert.equal(r.stdout, plain.stdout);
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.signal, null);
  const warned = warnedVariables(r.stderr);
  assert.equal(warned.get('JAEGER_AGENT_PORT'), 1, r.stderr);
  assert.equal(warned.get('JAEGER_ENDPOINT'), 1, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 2, r.stderr);
});

test('garbage in every JAEGER_* variable: the app serves and exits as without the loader; at most one warning per variable, no secret printed', async () => {
  const plain = await baseline();
  const env: Record<string, string> = {};
  for (const entry of SCHEMA) if (!NO_DNS.has(entry.env)) env[entry.env] = entry.secret ? SECRET : GARBAGE;
  const r = await runFixture('proc-host-app.js', { env });
  assert.equal(r.stdout, plain.stdout);
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.signal, null);
  assert.doesNotMatch(r.stderr, new RegExp(SECRET));
  const warned = warnedVariables(r.stderr);
  for (const [name, n] of warned) assert.equal(n, 1, `${name} warned ${n} times:\n${r.stderr}`);
  // Every line is about a variable (or a rate-limited drop warning): nothing repeats per span.
  const lines = r.stderr.trim().split('\n').filter(Boolean);
  for (const line of lines) assert.match(line, /^jaeger-auto (warn|error): .*(JAEGER_[A-Z_]+|dropped \d+ span)/, line);
  assert.ok(warned.size >= 10, `${warned.size} variables warned about:\n${r.stderr}`);
});
