// tracer.close(): safe to call any number of times (one promise, settled once), and spans finished
// afterwards are not sent but still accounted for by a reporter that keeps accounts, so that
// `sampled spans finished = sent + dropped + queued` holds after shutdown too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JaegerTracer } from '../../src/tracer/tracer';
import { InMemoryReporter } from '../../src/reporters/in-memory';
import { RemoteReporter } from '../../src/reporters/remote';
import { UdpSender } from '../../src/senders/udp';
import type { Reporter } from '../../src/reporters/reporter';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import { FakeAgent } from '../helpers/fake-agent';
import { fixedSampler, recordingLogger } from '../helpers/tracer';

/** A reporter that keeps accounts (has stats()) and records every call. */
function accountingReporter() {
  const calls: string[] = [];
  let closed = false;
  const reporter: Reporter = {
    setProcess() {},
    report(span: FinishedSpan) { calls.push(`${closed ? 'after' : 'before'} close: ${span.operationName}`); },
    async flush() {},
    async close() { closed = true; calls.push('close'); },
    stats() { return { reported: 0, sent: 0, dropped: { queue_full: 0, too_large: 0, send_error: 0, rejected: 0, shutdown: 0 }, queued: 0, inFlight: 0 }; },
  };
  return { reporter, calls };
}

test('close() twice: no throw, the same promise both times (and with a callback), closed once', async () => {
  const { reporter, calls } = accountingReporter();
  const tracer = new JaegerTracer({ serviceName: 's', sampler: fixedSampler(true), reporter, logger: recordingLogger() });
  const first = tracer.close();
  const second = tracer.close();
  assert.equal(second, first);
  await first;
  let called = 0;
  const third = tracer.close((err) => { assert.equal(err, undefined); called++; });
  assert.equal(third, first);
  await third;
  await new Promise<void>((resolve) => setImmediate(resolve));
  assert.equal(called, 1);
  assert.deepEqual(calls, ['close']);
});

test('a span finished after close() reaches an accounting reporter (to be counted), never an in-memory one', async () => {
  const { reporter, calls } = accountingReporter();
  const tracer = new JaegerTracer({ serviceName: 's', sampler: fixedSampler(true), reporter, logger: recordingLogger() });
  tracer.startSpan('early').finish();
  await tracer.close();
  tracer.startSpan('late').finish();
  assert.deepEqual(calls, ['before close: early', 'close', 'after close: late']);

  const memory = new InMemoryReporter();
  const plain = new JaegerTracer({ serviceName: 's', sampler: fixedSampler(true), reporter: memory, logger: recordingLogger() });
  plain.startSpan('early').finish();
  await plain.close();
  plain.startSpan('late').finish();
  assert.deepEqual(memory.spans.map((s) => s.operationName), ['early']);
});

test('a reporter that throws does not break span.finish(): one warning', () => {
  const logger = recordingLogger();
  const reporter: Reporter = {
    setProcess() {}, async flush() {}, async close() {},
    report() { throw new Error('reporter boom'); },
  };
  const tracer = new JaegerTracer({ serviceName: 's', sampler: fixedSampler(true), reporter, logger });
  tracer.startSpan('a').finish();
  tracer.startSpan('b').finish();
  assert.equal(logger.lines.filter((l) => l.includes('reporter boom')).length, 1, logger.lines.join('\n'));
});

test('over UDP: spans finished after close are not sent, and finished = sent + dropped + queued', async (t) => {
  const agent = await FakeAgent.start();
  t.after(() => agent.close());
  const reporter = new RemoteReporter(new UdpSender({ host: '127.0.0.1', port: agent.port, logger: recordingLogger() }), {
    logger: recordingLogger(),
  });
  const tracer = new JaegerTracer({ serviceName: 'close-udp', sampler: fixedSampler(true), reporter, logger: recordingLogger() });
  for (let i = 0; i < 3; i++) tracer.startSpan(`before-${i}`).finish();
  await Promise.all([tracer.close(), tracer.close()]);
  for (let i = 0; i < 2; i++) tracer.startSpan(`after-${i}`).finish();
  await agent.waitForSpans(3);
  const stats = reporter.stats();
  assert.equal(stats.sent, 3);
  assert.equal(stats.queued, 0);
  assert.deepEqual(agent.spans.map((s) => s.operationName).sort(), ['before-0', 'before-1', 'before-2']);
  const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
  assert.equal(stats.reported, 5);
  assert.equal(stats.dropped.shutdown, 2);
  assert.equal(stats.sent + dropped + stats.queued, 5);
});
