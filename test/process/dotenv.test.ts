// `require('dotenv').config()` on the app's first line configures the tracer: the preload reads
// JAEGER_* only when it builds the tracer, after the main module's synchronous top level. Real
// dotenv, a real .env file, both entry points (-r and NODE_OPTIONS).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeAgent } from '../helpers/fake-agent';
import { REGISTER, runFixture } from '../helpers/run-fixture';
import { tagMap } from '../helpers/thrift-decode';
import { drainAgent } from './env';

let agent: FakeAgent;
let tmp: string;
before(async () => {
  agent = await FakeAgent.start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jaeger-auto-dotenv-'));
});
after(async () => {
  await agent.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A directory whose .env holds `lines`; the fixture runs there with no JAEGER_* in its environment. */
function envDir(name: string, lines: string[]): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, '.env'), `${lines.join('\n')}\n`);
  return dir;
}

const spansOf = (service: string) => agent.batches
  .filter(({ batch }) => batch.process.serviceName === service)
  .flatMap(({ batch }) => batch.spans.map((s) => `${s.operationName}${tagMap(s.tags)['span.kind'] ? ` ${tagMap(s.tags)['span.kind']}` : ''}`));

for (const entry of ['-r', 'NODE_OPTIONS'] as const) {
  test(`.env sets JAEGER_SERVICE_NAME and JAEGER_AGENT_PORT (${entry}): every span arrives there, under that name`, async () => {
    const service = `from-dotenv-${entry === '-r' ? 'r' : 'node-options'}`;
    const cwd = envDir(service, [
      '# loaded by the app itself',
      `JAEGER_SERVICE_NAME=${service}`,
      'JAEGER_AGENT_HOST=127.0.0.1',
      `JAEGER_AGENT_PORT=${agent.port}`,
    ]);
    const r = await runFixture('proc-dotenv.js', entry === '-r'
      ? { cwd }
      : { cwd, preload: false, env: { NODE_OPTIONS: `-r ${REGISTER}` } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no warning: the service name was there when the tracer was built');
    assert.match(r.stdout, new RegExp(`^service ${service}\\nGET 200\\n(.*\\n)?worker done\\n$`, 'm'));
    const expected = ['GET client', 'GET server', 'proc-dotenv', 'proc-dotenv-worker'];
    await agent.waitFor(() => spansOf(service).length === expected.length, 5000, `${expected.length} spans of ${service}`);
    assert.deepEqual(spansOf(service).sort(), expected);
  });
}

test('.env sets JAEGER_DISABLED=true: nothing is sent, the app runs as it would', async () => {
  const cwd = envDir('disabled', ['JAEGER_SERVICE_NAME=dotenv-disabled', 'JAEGER_AGENT_HOST=127.0.0.1', `JAEGER_AGENT_PORT=${agent.port}`, 'JAEGER_DISABLED=true']);
  const r = await runFixture('proc-dotenv.js', { cwd });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^GET 200$/m);
  await drainAgent(agent);
  assert.deepEqual(spansOf('dotenv-disabled'), []);
});
