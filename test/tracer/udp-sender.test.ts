import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { lookup as dnsLookup } from 'node:dns';
import { UdpSender, type LookupAll } from '../../src/senders/udp';
import type { DropReason } from '../../src/senders/sender';
import { FakeAgent, assertWireProcess, assertWireSpan } from '../helpers/fake-agent';
import { tagMap } from '../helpers/thrift-decode';
import { makeSpan } from '../unit/thrift-shapes';
import { recordingLogger } from '../helpers/tracer';
import { runScenario, wireTracer } from './wire-scenario';

// Spans through a real JaegerTracer → RemoteReporter → UdpSender → a UDP socket on 127.0.0.1 →
// decoded by the thrift package's compact reader.

const agents: FakeAgent[] = [];
async function startAgent(): Promise<FakeAgent> {
  const a = await FakeAgent.start();
  agents.push(a);
  return a;
}
after(() => Promise.all(agents.map((a) => a.close())));

function events() {
  const sent: number[] = [];
  const dropped: Array<{ count: number; reason: DropReason; message?: string }> = [];
  return {
    sent, dropped,
    handlers: { onSent: (n: number) => sent.push(n), onDropped: (count: number, reason: DropReason, e?: Error) => dropped.push({ count, reason, message: e?.message }) },
  };
}

for (const traceId128bit of [false, true]) {
  test(`every span field crosses the wire intact (${traceId128bit ? 128 : 64}-bit trace ids)`, async () => {
    const agent = await startAgent();
    const sender = new UdpSender({ host: '127.0.0.1', port: agent.port });
    const { tracer, reporter } = wireTracer(sender, { traceId128bit });
    const before = Date.now() * 1000;
    const spans = runScenario(tracer);
    const afterMs = Date.now() * 1000;
    await tracer.close();
    const got = await agent.waitForSpans(spans.length);
    assert.deepEqual(agent.errors, []);
    assert.equal(got.length, spans.length);
    for (const span of spans) {
      const wire = got.find((s) => s.spanId === span.spanContext.spanId);
      assert.ok(wire, `span ${span.operationName} arrived`);
      assertWireSpan(wire, span);
      const start = Number(wire.startTime);
      assert.ok(start >= before - 1000 && start <= afterMs + 1000, 'start time is now, in µs');
      assert.ok(Number(wire.duration) >= 0 && Number(wire.duration) < 1_000_000, 'duration in µs');
    }
    const root = spans[3];
    assert.equal(root.spanContext.traceId.length, traceId128bit ? 32 : 16);
    const wireRoot = got.find((s) => s.spanId === root.spanContext.spanId)!;
    assert.equal(wireRoot.parentSpanId, '0000000000000000');
    if (!traceId128bit) assert.equal(wireRoot.traceIdHigh, '0000000000000000');
    assert.equal(got.find((s) => s.operationName === 'debug me')?.flags, 3);
    assert.equal(got.find((s) => s.operationName === 'publish orders')?.references?.[0].refType, 1);
    assert.equal(got.find((s) => s.operationName === 'SELECT orders')?.references?.[0].refType, 0);
    const proc = agent.process;
    assertWireProcess(proc, tracer.process);
    const ptags = tagMap(proc?.tags);
    assert.match(String(ptags['jaeger.version']), /^Node-jaeger-auto-/);
    for (const key of ['hostname', 'ip', 'client-uuid']) assert.equal(typeof ptags[key], 'string', key);
    assert.equal(ptags.custom, 'yes');
    assert.equal(ptags['build.number'], 42n);
    assert.deepEqual(reporter.stats().dropped, { queue_full: 0, too_large: 0, send_error: 0, rejected: 0, shutdown: 0 });
    assert.equal(reporter.stats().sent, spans.length);
  });
}

test('a burst larger than one datagram arrives complete, split into datagrams ≤ 65,000 bytes', async () => {
  const agent = await startAgent();
  const sender = new UdpSender({ host: '127.0.0.1', port: agent.port });
  const { tracer, reporter } = wireTracer(sender);
  const n = 1500;
  const ids = new Set<string>();
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan(`burst-${i}`, { tags: { 'http.url': `https://example.com/items/${i}?q=${'x'.repeat(40)}`, i } });
    ids.add(span.spanContext.spanId);
    span.finish();
  }
  await reporter.flush();
  await agent.waitForSpans(n);
  assert.deepEqual(agent.errors, []);
  assert.ok(agent.batches.length >= 3, `${agent.batches.length} datagrams`);
  for (const b of agent.batches) assert.ok(b.size <= 65000, `datagram of ${b.size} bytes`);
  assert.ok(agent.batches.slice(0, -1).every((b) => b.size > 60000), 'datagrams are filled before being sent');
  assert.deepEqual(new Set(agent.spans.map((s) => s.spanId)), ids);
  const seqNos = agent.batches.map((b) => b.batch.seqNo).sort((a, b) => Number(a! - b!));
  assert.deepEqual(seqNos, seqNos.map((_, i) => BigInt(i + 1)), 'seqNo increments per batch');
  assert.equal(reporter.stats().sent, n);
  await tracer.close();
});

test('a synchronous burst of many datagrams reuses two frame buffers, and every datagram arrives intact', async () => {
  // Records which memory each frame lives in, and a copy of its bytes at the moment it was sent.
  class WatchedSender extends UdpSender {
    readonly buffers = new Set<ArrayBufferLike>();
    readonly copies: Buffer[] = [];
    protected override transmit(frame: Buffer, done: (err?: Error | null) => void): boolean {
      this.buffers.add(frame.buffer);
      this.copies.push(Buffer.from(frame));
      return super.transmit(frame, done);
    }
  }
  const agent = await startAgent();
  const sender = new WatchedSender({ host: '127.0.0.1', port: agent.port });
  const { tracer, reporter } = wireTracer(sender);
  // One span first, so the socket is connected before the burst (frames wait for it otherwise).
  tracer.startSpan('warm-up').finish();
  await reporter.flush();
  sender.buffers.clear();
  sender.copies.length = 0;
  const n = 3000;
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan(`burst-${i}`);
    span.setTag('payload', `${i}:${'y'.repeat(300)}`);
    span.finish();
  }
  const datagrams = sender.copies.length;
  await reporter.flush();
  await agent.waitForSpans(n + 1);
  assert.deepEqual(agent.errors, []);
  assert.ok(datagrams >= 10, `${datagrams} datagrams went out during the burst`);
  // Without reuse every datagram of the burst would have had a fresh buffer.
  assert.ok(sender.buffers.size <= 3, `${sender.buffers.size} buffers for ${sender.copies.length} datagrams`);
  // Reused memory never changed a datagram already sent: each arrived as it was when sent.
  const received = agent.batches.slice(1);
  assert.equal(received.length, sender.copies.length);
  for (let i = 0; i < received.length; i++) assert.equal(received[i].size, sender.copies[i].length);
  const spans = agent.spans.slice(1);
  assert.equal(spans.length, n);
  for (let i = 0; i < n; i++) {
    assert.equal(spans[i].operationName, `burst-${i}`);
    assert.equal(tagMap(spans[i].tags).payload, `${i}:${'y'.repeat(300)}`);
  }
  await tracer.close();
});

test('a span with a 200 KB tag is dropped as too_large; its neighbours arrive', async () => {
  const agent = await startAgent();
  const sender = new UdpSender({ host: '127.0.0.1', port: agent.port });
  const { tracer, reporter } = wireTracer(sender);
  tracer.startSpan('before').finish();
  // The tracer's own spans cut such a value (privacy-span-limits.test.ts): a span from elsewhere
  // reaches the sender whole.
  const big = makeSpan({ operationName: 'huge', tags: [{ key: 'payload', value: 'p'.repeat(200 * 1024) }] });
  assert.doesNotThrow(() => reporter.report(big));
  tracer.startSpan('after').finish();
  await tracer.close();
  await agent.waitForSpans(2);
  assert.deepEqual(agent.spans.map((s) => s.operationName), ['before', 'after']);
  assert.equal(reporter.stats().dropped.too_large, 1);
  assert.equal(agent.batches[0].batch.stats?.tooLargeDroppedSpans, 1n);
});

test('a tracer span with a 200 KB tag arrives with the value cut to fit', async () => {
  const agent = await startAgent();
  const sender = new UdpSender({ host: '127.0.0.1', port: agent.port });
  const { tracer, reporter } = wireTracer(sender);
  const big = tracer.startSpan('huge');
  big.setTag('payload', 'p'.repeat(200 * 1024));
  big.finish();
  await tracer.close();
  const [got] = await agent.waitForSpans(1);
  assert.equal(got.operationName, 'huge');
  assert.ok(String(tagMap(got.tags).payload).endsWith('…'));
  assert.equal(reporter.stats().dropped.too_large, 0);
});

test("the default host 'localhost' reaches an agent on 127.0.0.1, resolved once", async () => {
  const agent = await startAgent();
  let lookups = 0;
  const lookup: LookupAll = (host, options, cb) => {
    lookups++;
    dnsLookup(host, options, cb);
  };
  const sender = new UdpSender({ port: agent.port, lookup });
  assert.equal(sender.host, 'localhost');
  const ev = events();
  sender.setEvents(ev.handlers);
  sender.setProcess({ serviceName: 'svc', tags: [] });
  for (let i = 0; i < 3; i++) {
    sender.append(makeSpan({ operationName: `op-${i}` }));
    await sender.flush();
  }
  await agent.waitForSpans(3);
  assert.equal(sender.agentAddress, '127.0.0.1');
  assert.equal(lookups, 1);
  assert.deepEqual(ev.sent, [1, 1, 1]);
  await sender.close();
});

test('IPv4 is preferred when a name has both families; a DNS failure counts as send_error and is retried', async () => {
  const agent = await startAgent();
  let fail = true;
  let lookups = 0;
  const lookup: LookupAll = (_host, _options, cb) => {
    lookups++;
    if (fail) return process.nextTick(cb, Object.assign(new Error('getaddrinfo ENOTFOUND agent'), { code: 'ENOTFOUND' }), []);
    process.nextTick(cb, null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
  };
  const sender = new UdpSender({ host: 'jaeger-agent.example', port: agent.port, lookup });
  const ev = events();
  sender.setEvents(ev.handlers);
  sender.append(makeSpan());
  await sender.flush();
  assert.equal(ev.dropped.length, 1);
  assert.equal(ev.dropped[0].reason, 'send_error');
  assert.match(ev.dropped[0].message ?? '', /cannot resolve agent host 'jaeger-agent.example': getaddrinfo ENOTFOUND/);
  fail = false;
  sender.append(makeSpan());
  await sender.flush();
  sender.append(makeSpan());
  await sender.flush();
  await agent.waitForSpans(2);
  assert.equal(sender.agentAddress, '127.0.0.1');
  assert.equal(lookups, 2);
  await sender.close();
});

test('IPv6: a name with only IPv6 addresses and an IPv6 literal both reach an agent on ::1', async (t) => {
  let agent: FakeAgent;
  try {
    agent = await FakeAgent.start({ ipv6: true });
  } catch {
    t.skip('no IPv6 loopback here');
    return;
  }
  agents.push(agent);
  const lookup: LookupAll = (_h, _o, cb) => process.nextTick(cb, null, [{ address: '::1', family: 6 }]);
  for (const sender of [new UdpSender({ host: 'v6-only.example', port: agent.port, lookup }), new UdpSender({ host: '[::1]', port: agent.port })]) {
    sender.append(makeSpan());
    await sender.close();
    assert.equal(sender.agentAddress, '::1');
  }
  await agent.waitForSpans(2);
});

test('an agent that is not listening: every span is accounted for, nothing throws', async () => {
  const agent = await startAgent();
  const port = agent.port;
  await agent.close();
  agents.splice(agents.indexOf(agent), 1);
  const sender = new UdpSender({ host: '127.0.0.1', port, logger: recordingLogger() });
  const ev = events();
  sender.setEvents(ev.handlers);
  for (let i = 0; i < 5; i++) {
    sender.append(makeSpan());
    await sender.flush();
  }
  const sent = ev.sent.reduce((a, n) => a + n, 0);
  const failed = ev.dropped.filter((d) => d.reason === 'send_error').reduce((a, d) => a + d.count, 0);
  assert.equal(sent + failed, 5);
  await sender.close();
});

test('close() flushes, then later spans are dropped as shutdown', async () => {
  const agent = await startAgent();
  const sender = new UdpSender({ host: '127.0.0.1', port: agent.port });
  const ev = events();
  sender.setEvents(ev.handlers);
  sender.append(makeSpan({ operationName: 'last' }));
  await sender.close();
  await sender.close();
  await agent.waitForSpans(1);
  sender.append(makeSpan());
  assert.deepEqual(ev.dropped.map((d) => d.reason), ['shutdown']);
  assert.equal(sender.queued, 0);
});

test('options are validated: bad ports and packet sizes fall back to the defaults', () => {
  const s = new UdpSender({ port: 0, maxPacketSize: 10 ** 6, host: '' });
  assert.equal(s.port, 6831);
  assert.equal(s.maxPacketSize, 65000);
  assert.equal(s.host, 'localhost');
  assert.equal(new UdpSender({ host: '[::1]' }).host, '::1');
});
