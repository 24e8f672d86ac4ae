// Nothing the tracer does reaches stdout: apps pipe their stdout into other programs, and one stray
// line of ours corrupts their output. Each fixture runs without the preload and then under it with
// the noisiest settings (debug log level, span logging, garbage in every JAEGER_* variable, a
// collector that refuses): stdout must be byte-identical and the exit code the same.
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { needService } from '../helpers/services';
import { versionDir, versionSet } from '../helpers/versions';
import { SCHEMA } from '../../src/config/schema';
import { agentEnv, SERVICE } from './env';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

async function closedTcpPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function settings(): Promise<Record<string, Record<string, string>>> {
  const garbage: Record<string, string> = {};
  for (const entry of SCHEMA) garbage[entry.env] = 'garbage%zz\u2603 -1 ${';
  return {
    'debug log level and span logging': agentEnv(agent, { JAEGER_LOG_LEVEL: 'debug', JAEGER_REPORTER_LOG_SPANS: 'true', JAEGER_REPORTER_FLUSH_INTERVAL: '10' }),
    'garbage in every JAEGER_* variable': garbage,
    'a collector that refuses, at debug level': {
      JAEGER_SERVICE_NAME: SERVICE, JAEGER_LOG_LEVEL: 'debug', JAEGER_ENDPOINT: `http://127.0.0.1:${await closedTcpPort()}/api/traces`,
    },
  };
}

const FIXTURES: { name: string; fixture: string; args?: () => string[]; code: number; service?: 'postgres'; drop?: RegExp }[] = [
  { name: 'http server and client', fixture: 'proc-one-span.js', code: 0 },
  { name: 'http with malformed trace headers', fixture: 'proc-host-app.js', code: 7 },
  { name: 'a throwing http handler', fixture: 'proc-crash.js', args: () => ['handler-throw'], code: 1 },
  {
    // ctx lines report the active span, which only exists under the preload: the app's own output.
    name: 'pg errors', fixture: 'pg-app.js', service: 'postgres', code: 0, drop: /^ctx /,
    args: () => [versionDir('pg', versionSet('pg').versions.at(-1)!), 'errors'],
  },
];

for (const f of FIXTURES) {
  test(`stdout untouched: ${f.name}`, async (t: TestContext) => {
    if (f.service !== undefined && !(await needService(t, f.service))) return;
    const args = f.args?.() ?? [];
    const keep = (s: string) => (f.drop ? s.split('\n').filter((l) => !f.drop!.test(l)).join('\n') : s);
    const plain = await runFixture(f.fixture, { args, env: agentEnv(agent), preload: false });
    assert.equal(plain.code, f.code, plain.stderr);
    assert.notEqual(plain.stdout, '', 'the fixture prints something of its own');
    for (const [name, env] of Object.entries(await settings())) {
      const r = await runFixture(f.fixture, { args, env });
      assert.equal(r.code, plain.code, `${name}: ${r.stderr}`);
      assert.equal(r.signal, null);
      assert.equal(keep(r.stdout), keep(plain.stdout), name);
      // Positive control: the tracer was there and talking (on stderr).
      assert.match(r.stderr, /^jaeger-auto (debug|warn): /m, name);
    }
  });
}
