import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchingSender } from '../../src/senders/batching-sender';
import { SendError } from '../../src/senders/sender';
import { RemoteReporter, DROP_WARN_INTERVAL_MS } from '../../src/reporters/remote';
import { CompositeReporter } from '../../src/reporters/composite';
import { InMemoryReporter } from '../../src/reporters/in-memory';
import { LoggingReporter } from '../../src/reporters/logging';
import { assertAccounting, exporterTracer, finishSpans } from '../helpers/exporter-faults';
import { memoryTracer, recordingLogger } from '../helpers/tracer';

// The accounting identity, reported = sent + Σ dropped + queued, checked at every step of a
// transport whose sends the test completes by hand, and the drop warnings' rate limit.

type Done = (err?: Error | null) => void;

/** A sender whose frames wait in `frames` until the test settles them. */
class ManualSender extends BatchingSender {
  readonly frames: Array<{ frame: Buffer; done: Done }> = [];
  released = false;

  constructor(maxFrameBytes = 4096) {
    super({ protocol: 'compact', envelope: true, maxFrameBytes, recycle: false, logger: recordingLogger() });
  }

  protected transmit(frame: Buffer, done: Done): void {
    this.frames.push({ frame, done });
  }

  protected release(): void {
    this.released = true;
    for (const f of this.frames.splice(0)) f.done(new SendError('closed', 'shutdown'));
  }

  settle(err?: Error): void {
    const f = this.frames.shift();
    assert.ok(f, 'a frame in flight');
    f.done(err);
  }
}

test('the identity holds at every step: buffered, in flight, sent, failed, rejected, too large, queue full, shutdown', async () => {
  const sender = new ManualSender(4096);
  const { tracer, check } = exporterTracer(sender, { maxQueueSize: 60 });
  finishSpans(tracer, 10, 'a');
  let s = check('buffered');
  assert.deepEqual([s.queued, s.inFlight], [10, 0]);
  void tracer.reporter.flush();
  s = check('in flight');
  assert.deepEqual([s.queued, s.inFlight, sender.frames.length], [10, 10, 1]);
  sender.settle();
  s = check('sent');
  assert.deepEqual([s.sent, s.queued], [10, 0]);

  finishSpans(tracer, 20, 'b', { pad: 'x'.repeat(300) }); // more than one 4 KB frame: one goes in flight at once
  check('overflowing into a second frame');
  void tracer.reporter.flush();
  check('two frames in flight');
  sender.settle(new Error('network down'));
  s = check('one frame failed');
  assert.ok(s.dropped.send_error > 0);
  assert.ok(sender.frames.length > 0);
  while (sender.frames.length > 0) {
    sender.settle(new SendError('HTTP 400', 'rejected'));
    s = check('a frame rejected');
  }
  assert.ok(s.dropped.rejected > 0);
  assert.equal(s.dropped.send_error + s.dropped.rejected, 20);

  const big = tracer.startSpan('big');
  big.setTag('blob', 'x'.repeat(10_000));
  big.finish();
  s = check('too large');
  assert.equal(s.dropped.too_large, 1);

  finishSpans(tracer, 100, 'c'); // 60 fit, the rest find the queue full
  s = check('queue full');
  assert.equal(s.queued, 60);
  assert.equal(s.dropped.queue_full, 40);

  const closing = tracer.close();
  check('closing');
  while (sender.frames.length > 0 && !sender.released) {
    sender.settle();
    check('draining');
  }
  await closing;
  s = check('closed');
  assert.equal(s.queued, 0);
  assert.equal(s.reported, 10 + 20 + 1 + 100);
});

test('spans that reach a closed reporter are counted as shutdown, silently', async () => {
  const sender = new ManualSender();
  const { tracer, reporter, check, logger } = exporterTracer(sender);
  await Promise.all([tracer.close(), tracer.close()]);
  await assert.doesNotReject(tracer.close());
  const span = tracer.startSpan('late');
  span.finish();
  reporter.report(span);
  reporter.report(span);
  const s = check();
  assert.equal(s.dropped.shutdown, 2);
  assert.deepEqual(logger.lines.filter((l) => l.startsWith('warn:')), [], 'no warning at shutdown');
});

test('drops are warned about at most once per reason per minute', () => {
  const sender = new ManualSender(2048);
  const { tracer, logger } = exporterTracer(sender, { maxQueueSize: 5 });
  const warnings = () => logger.lines.filter((l) => l.startsWith('warn:'));
  const realNow = Date.now;
  let offset = 0;
  Date.now = () => realNow() + offset;
  try {
    for (let i = 0; i < 3; i++) {
      const big = tracer.startSpan('big');
      big.setTag('blob', 'x'.repeat(5000));
      big.finish();
    }
    finishSpans(tracer, 50); // 45 queue_full drops
    assert.equal(warnings().length, 2, warnings().join('\n'));
    assert.match(warnings()[0], /too_large/);
    assert.match(warnings()[1], /queue_full/);
    offset = DROP_WARN_INTERVAL_MS - 1000;
    finishSpans(tracer, 5);
    assert.equal(warnings().length, 2, 'still within the minute');
    offset = DROP_WARN_INTERVAL_MS + 1000;
    finishSpans(tracer, 5);
    assert.equal(warnings().length, 3, 'a minute later: once more');
    assert.match(warnings()[2], /queue_full/);
  } finally {
    Date.now = realNow;
  }
  void tracer.close();
});

test('tracer.stats(): the reporter\'s counters; summed through a CompositeReporter; undefined without any', async () => {
  const sender = new ManualSender();
  const remote = new RemoteReporter(sender, { logger: recordingLogger() });
  const composite = new CompositeReporter([remote, new LoggingReporter(recordingLogger()), new InMemoryReporter()]);
  composite.report({ operationName: 'x' } as never); // an encoder fault: one span, send_error
  const s = composite.stats();
  assertAccounting(s);
  assert.equal(s?.reported, 1);
  assert.equal(s?.dropped.send_error, 1);
  const { tracer } = memoryTracer();
  assert.equal(tracer.stats(), undefined);
  await composite.close();
});
