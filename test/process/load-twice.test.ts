// The preload loaded more than once: the same file twice, a second copy of the package reached by
// another path (a global install plus the app's own, simulated with a symlink under
// --preserve-symlinks), and a traced package the app loads before the preload. Never a crash, the
// app's output unchanged, exactly one span per call.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { FIXTURES, REGISTER, ROOT, runFixture } from '../helpers/run-fixture';
import { drainAgent } from './env';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';

// A second path to this package (dist/ is git-ignored): with --preserve-symlinks Node loads every
// module below it again, as it would a second installed copy.
const COPY_DIR = path.join(ROOT, 'dist', 'proc-second-copy');
const COPY_REGISTER = path.join(COPY_DIR, 'jaeger-auto', 'register.js');

let agent: FakeAgent;
before(async () => {
  fs.mkdirSync(COPY_DIR, { recursive: true });
  try {
    fs.symlinkSync(ROOT, path.join(COPY_DIR, 'jaeger-auto'), 'dir');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  agent = await FakeAgent.start();
});
after(async () => {
  await agent.close();
  // Removes the links only (rm does not follow them), so no stray copy is left under dist/.
  fs.rmSync(COPY_DIR, { recursive: true, force: true });
});

function env(service: string): Record<string, string> {
  return { JAEGER_SERVICE_NAME: service, JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port) };
}

/** Runs proc-one-span.js (one request to itself) and returns the spans its service reported. */
async function oneRequest(
  service: string, execArgv: string[], preload = true, extraEnv: Record<string, string> = {},
): Promise<{ spans: DecodedSpan[]; stderr: string }> {
  const r = await runFixture('proc-one-span.js', { env: { ...env(service), ...extraEnv }, execArgv, preload });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '200 hello /one\n');
  await drainAgent(agent); // the process has exited: everything it sent is in once our control datagram is
  const spans = agent.batches.filter((b) => b.batch.process.serviceName === service).flatMap((b) => b.batch.spans);
  return { spans, stderr: r.stderr };
}

function assertOneServerOneClient(spans: DecodedSpan[]): void {
  const kind = (s: DecodedSpan) => tagMap(s.tags)['span.kind'];
  const kinds = spans.map((s) => `${s.operationName} ${kind(s)}`).sort();
  assert.deepEqual(kinds, ['GET client', 'GET server'], JSON.stringify(kinds));
  const server = spans.find((s) => kind(s) === 'server')!;
  const client = spans.find((s) => kind(s) === 'client')!;
  assert.equal(server.parentSpanId, client.spanId, 'the server span is the client span\'s child');
}

test('positive control: one copy of the preload gives one server and one client span', async () => {
  const { spans, stderr } = await oneRequest('load-once', []);
  assert.equal(stderr, '');
  assertOneServerOneClient(spans);
});

test('the same register file twice (-r twice): one span per call', async () => {
  const { spans, stderr } = await oneRequest('load-same-twice', ['-r', REGISTER]);
  assert.equal(stderr, '');
  assertOneServerOneClient(spans);
});

test('a second copy of the package by another path, loaded first: it traces, ours stays inactive', async () => {
  const { spans, stderr } = await oneRequest('load-copy-first', ['--preserve-symlinks', '-r', COPY_REGISTER]);
  assert.equal(stderr, '');
  assertOneServerOneClient(spans);
});

test('a second copy of the package by another path, loaded second: one span per call', async () => {
  const { spans, stderr } = await oneRequest('load-copy-second', ['--preserve-symlinks', '-r', REGISTER, '-r', COPY_REGISTER], false);
  assert.equal(stderr, '');
  assertOneServerOneClient(spans);
});

test('the app requires another copy of register itself, after the preload: one span per call', async () => {
  const { spans, stderr } = await oneRequest('load-copy-by-app', ['--preserve-symlinks'], true, { PROC_REQUIRE: COPY_REGISTER });
  assert.equal(stderr, '');
  assertOneServerOneClient(spans);
});

for (const mode of ['preloaded', 'again'] as const) {
  test(`express loaded by an app preload before ours (${mode}): one warning naming it, one server span per request`, async () => {
    const service = `load-before-${mode}`;
    const options = {
      env: { ...env(service), PROC_EXPRESS_DIR: path.join(ROOT, 'test/versions/express@4.22.1') },
      args: mode === 'again' ? ['again'] : [],
      execArgv: ['-r', path.join(FIXTURES, 'proc-preloaded-first.js')],
    };
    const plain = await runFixture('proc-preloaded-app.js', { ...options, preload: false });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, '200 {"user":"1"}\n200 {"user":"2"}\n');
    const r = await runFixture('proc-preloaded-app.js', options);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, plain.stdout);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^jaeger-auto warn: express was loaded before jaeger-auto/);
    await drainAgent(agent);
    const spans = agent.batches.filter((b) => b.batch.process.serviceName === service).flatMap((b) => b.batch.spans);
    const servers = spans.filter((s) => tagMap(s.tags)['span.kind'] === 'server');
    const clients = spans.filter((s) => tagMap(s.tags)['span.kind'] === 'client');
    assert.equal(servers.length, 2, JSON.stringify(spans.map((s) => s.operationName)));
    assert.equal(clients.length, 2);
    for (const s of servers) assert.match(s.operationName, /^GET( \/users\/:id)?$/);
  });
}

test('two copies of express (one package by two paths): one server span per request, each named by its route', async () => {
  const service = 'two-express';
  const dir = path.join(ROOT, 'test/versions/express@4.22.1');
  const copy = path.join(COPY_DIR, 'express@4.22.1');
  try {
    fs.symlinkSync(dir, copy, 'dir');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const options = { env: { ...env(service), PROC_EXPRESS_DIR: dir, PROC_EXPRESS_COPY: copy }, execArgv: ['--preserve-symlinks'] };
  const plain = await runFixture('proc-two-express.js', { ...options, preload: false });
  assert.equal(plain.code, 0, plain.stderr);
  const r = await runFixture('proc-two-express.js', options);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, plain.stdout);
  assert.equal(r.stderr, '');
  await drainAgent(agent);
  const spans = agent.batches.filter((b) => b.batch.process.serviceName === service).flatMap((b) => b.batch.spans);
  const servers = spans.filter((s) => tagMap(s.tags)['span.kind'] === 'server').map((s) => s.operationName).sort();
  assert.deepEqual(servers, ['GET /a/:id', 'GET /b/:id']);
});
