import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { FakeAgent, FakeCollector } from '../helpers/fake-agent';

// A sender must never keep the application alive: a script that sends spans and then simply ends
// must exit promptly, without calling close(). Each case runs in its own node process.

const DIST = path.resolve(__dirname, '../..');
const receivers: Array<{ close(): Promise<void> }> = [];
after(() => Promise.all(receivers.map((r) => r.close())));

function runScript(body: string): Promise<{ ms: number; code: number | null; stderr: string }> {
  const script = `
    const { UdpSender } = require(${JSON.stringify(`${DIST}/src/senders/udp`)});
    const { HttpSender } = require(${JSON.stringify(`${DIST}/src/senders/http`)});
    const { JaegerSpanContext } = require(${JSON.stringify(`${DIST}/src/tracer/span-context`)});
    const span = (op) => ({ operationName: op, spanContext: new JaegerSpanContext('00000000000000aa', '00000000000000bb', '', 1),
      startTime: Date.now() * 1000, duration: 5, tags: [{ key: 'k', value: 'v' }], logs: [], references: [] });
    ${body}
  `;
  const t0 = Date.now();
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ['-e', script], { timeout: 10_000 }, (err, _stdout, stderr) => {
      resolve({ ms: Date.now() - t0, code: err ? (err as { code?: number }).code ?? -1 : 0, stderr });
    });
    child.stdin?.end();
  });
}

test('UDP: a process that flushed and did not close exits at once; its spans arrived', async () => {
  const agent = await FakeAgent.start();
  receivers.push(agent);
  const r = await runScript(`
    const s = new UdpSender({ port: ${agent.port} });
    s.setProcess({ serviceName: 'exit-test', tags: [] });
    s.append(span('udp-exit'));
    s.flush().then(() => s.append(span('never-flushed')));
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 3000, `exited after ${r.ms} ms`);
  await agent.waitForSpans(1);
  assert.equal(agent.spans[0].operationName, 'udp-exit');
});

test('HTTP: an idle keep-alive socket does not hold the process open', async () => {
  const collector = await FakeCollector.start();
  receivers.push(collector);
  const r = await runScript(`
    const s = new HttpSender({ endpoint: ${JSON.stringify(collector.url)} });
    s.setProcess({ serviceName: 'exit-test', tags: [] });
    s.append(span('http-exit'));
    s.flush().then(() => { globalThis.flushedAt = Date.now(); });
  `);
  assert.equal(r.code, 0, r.stderr);
  // Well under the agent's 4 s idle-socket timeout: the socket was unref'd, not timed out.
  assert.ok(r.ms < 3000, `exited after ${r.ms} ms`);
  await collector.waitForSpans(1);
});

test('HTTP: a collector that never answers holds the process no longer than the timeout', async () => {
  const collector = await FakeCollector.start({ hang: true });
  receivers.push(collector);
  const r = await runScript(`
    const s = new HttpSender({ endpoint: ${JSON.stringify(collector.url)}, timeoutMs: 300 });
    s.append(span('http-hang'));
    s.flush();
  `);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.ms < 4000, `exited after ${r.ms} ms`);
});

test('the runtime path never loads the thrift package (55–80 ms of start-up)', async () => {
  const agent = await FakeAgent.start();
  receivers.push(agent);
  const r = await runScript(`
    const s = new UdpSender({ port: ${agent.port} });
    const h = new HttpSender({ endpoint: 'http://127.0.0.1:1/api/traces' });
    s.append(span('x'));
    h.append(span('x'));
    s.flush().then(() => {
      const loaded = Object.keys(require.cache).filter((f) => /node_modules[\\\\/](thrift|node-int64)[\\\\/]/.test(f));
      if (loaded.length > 0) { console.error('loaded: ' + loaded.join(', ')); process.exitCode = 3; }
      h.close();
    });
  `);
  assert.equal(r.code, 0, r.stderr);
});
