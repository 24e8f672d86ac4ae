import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { UdpSender } from '../../src/senders/udp';
import { FakeAgent } from '../helpers/fake-agent';
import { exporterTracer, finishSpans, tick } from '../helpers/exporter-faults';
import { recordingLogger } from '../helpers/tracer';

// The UDP exporter under floods and faults, against an agent on 127.0.0.1 that decodes every
// datagram. Every scenario ends with reported = sent + Σ dropped + queued.

const agents: FakeAgent[] = [];
async function startAgent(): Promise<FakeAgent> {
  const a = await FakeAgent.start();
  agents.push(a);
  return a;
}
after(() => Promise.all(agents.map((a) => a.close())));

// Any error escaping to the process would fail the run; these record them for a clear message.
function watchProcess() {
  const seen: unknown[] = [];
  const onError = (err: unknown) => { seen.push(err); };
  const onWarning = (w: Error) => { if (/EMSGSIZE|dgram/i.test(String(w))) seen.push(w); };
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  process.on('warning', onWarning);
  return {
    seen,
    stop() {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
      process.off('warning', onWarning);
    },
  };
}

test("10,000 small spans in one second: every datagram ≤ 65,000 bytes and decodes, all arrive", async (t) => {
  const agent = await startAgent();
  const sender = new UdpSender({ host: '127.0.0.1', port: agent.port, logger: recordingLogger() });
  const { tracer, check } = exporterTracer(sender, { flushIntervalMs: 100, maxQueueSize: 20_000 });
  const ids = new Set<string>();
  const t0 = Date.now();
  for (let round = 0; round < 10; round++) {
    for (const id of finishSpans(tracer, 1000, `flood-${round}`)) ids.add(id);
    check(`round ${round}`);
    await tick(50); // ten rounds of a thousand spans over about half a second
  }
  const ms = Date.now() - t0;
  await tracer.reporter.flush();
  const stats = check('flushed');
  assert.equal(stats.reported, 10_000);
  await agent.waitForSpans(10_000, 15_000);
  assert.deepEqual(agent.errors, [], 'every datagram decodes');
  for (const b of agent.batches) assert.ok(b.size <= 65_000, `datagram of ${b.size} bytes`);
  assert.equal(agent.spans.length, 10_000);
  assert.deepEqual(new Set(agent.spans.map((s) => s.spanId)), ids);
  assert.equal(stats.sent, agent.spans.length, 'on a healthy receiver, received = reported ok');
  await tracer.close();
  check('closed');
  t.diagnostic(`10,000 spans finished in ${ms} ms, ${agent.batches.length} datagrams`);
});

test('one span with a 200 KB tag among 99 normal ones: the 99 arrive, it is counted too_large, no error reaches the app', async () => {
  const agent = await startAgent();
  const watch = watchProcess();
  try {
    const sender = new UdpSender({ host: '127.0.0.1', port: agent.port });
    const { tracer, check, logger } = exporterTracer(sender);
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const span = tracer.startSpan(`op-${i}`);
      if (i === 42) span.setTag('blob', 'x'.repeat(200 * 1024));
      else ids.push(span.spanContext.spanId);
      assert.doesNotThrow(() => span.finish());
    }
    await tracer.reporter.flush();
    await agent.waitForSpans(99);
    const stats = check();
    assert.equal(stats.dropped.too_large, 1);
    assert.equal(stats.sent, 99);
    assert.deepEqual(agent.spans.map((s) => s.spanId), ids);
    for (const b of agent.batches) assert.ok(b.size <= 65_000);
    assert.equal(agent.batches.at(-1)?.batch.stats?.tooLargeDroppedSpans, 1n, 'the agent is told too');
    assert.equal(logger.lines.filter((l) => l.startsWith('warn:')).length, 1);
    await tracer.close();
    check('closed');
  } finally {
    watch.stop();
  }
  assert.deepEqual(watch.seen, []);
});

test('agent absent while spans keep coming: no error reaches the app, every span accounted for', async () => {
  const gone = await FakeAgent.start();
  const port = gone.port;
  await gone.close();
  const watch = watchProcess();
  try {
    const sender = new UdpSender({ host: '127.0.0.1', port });
    const { tracer, check } = exporterTracer(sender, { flushIntervalMs: 10 });
    for (let round = 0; round < 20; round++) {
      finishSpans(tracer, 50);
      check(`round ${round}`);
      await tick(5);
    }
    await tracer.reporter.flush();
    await tracer.close();
    const stats = check('closed');
    assert.equal(stats.queued, 0);
    assert.equal(stats.reported, 1000);
    // Datagrams to a closed port are lost without a trace the sender can see (any ICMP refusal
    // surfaces as a socket error that only makes the sender reconnect): they count as sent.
    assert.equal(stats.sent + stats.dropped.send_error, 1000);
  } finally {
    watch.stop();
  }
  assert.deepEqual(watch.seen, []);
});

test('an agent host given as a name is resolved once, however many datagrams follow', async () => {
  const agent = await startAgent();
  let lookups = 0;
  const sender = new UdpSender({
    host: 'jaeger-agent.test', port: agent.port,
    lookup: (_host, _options, cb) => { lookups++; setImmediate(cb, null, [{ address: '127.0.0.1', family: 4 }]); },
  });
  const { tracer, check } = exporterTracer(sender);
  for (let round = 0; round < 20; round++) {
    finishSpans(tracer, 5);
    await tracer.reporter.flush();
  }
  await agent.waitForSpans(100);
  assert.equal(lookups, 1);
  assert.equal(check().sent, 100);
  await tracer.close();
});
