import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  HttpSender, parseRetryAfter, retryDelayMs, RETRY_AFTER_MAX_MS, RETRY_BASE_MS, RETRY_MAX_MS, type HttpSenderOptions,
} from '../../src/senders/http';
import { RemoteReporter } from '../../src/reporters/remote';
import { FakeCollector, type CollectorBehaviour } from '../helpers/fake-agent';
import { exporterTracer, finishSpans, tick } from '../helpers/exporter-faults';

// The HTTP exporter against fault-injecting collectors on 127.0.0.1: retries, refusals, silence,
// rejections. Every scenario ends with reported = sent + Σ dropped + queued, through stats() and
// through the metrics factory. Retry delays are shortened through the sender's options.

const collectors: FakeCollector[] = [];
async function startCollector(behaviour: CollectorBehaviour = {}): Promise<FakeCollector> {
  const c = await FakeCollector.start(behaviour);
  collectors.push(c);
  return c;
}
after(() => Promise.all(collectors.map((c) => c.close())));

const FAST_RETRY = { retryBaseMs: 20, retryMaxMs: 100 };

function httpSender(collector: FakeCollector, options: Partial<HttpSenderOptions> = {}): HttpSender {
  return new HttpSender({ endpoint: collector.url, ...FAST_RETRY, logger: { error() {}, warn() {}, info() {}, debug() {} }, ...options });
}

test('503, 502, 504 and 429 are retried until the collector accepts: nothing lost, no drop counted', async () => {
  const faults = [503, 502, 504, 429];
  const collector = await startCollector({ respond: (i) => (i < faults.length ? { status: faults[i] } : undefined) });
  const sender = httpSender(collector);
  const { tracer, check } = exporterTracer(sender);
  const ids = finishSpans(tracer, 20);
  check('before the flush');
  await tracer.reporter.flush();
  await collector.waitFor((c) => c.acceptedSpans.length >= 20, 5000, '20 accepted spans');
  await tracer.reporter.flush(); // the last answer has been counted
  const stats = check('after recovery');
  assert.equal(collector.requests, faults.length + 1, 'the same batch, retried once per fault');
  assert.deepEqual(collector.batches.map((b) => b.status), [...faults, 202]);
  assert.deepEqual(collector.acceptedSpans.map((s) => s.spanId), ids);
  assert.equal(stats.sent, 20);
  assert.equal(stats.queued, 0);
  assert.equal(Object.values(stats.dropped).reduce((a, b) => a + b, 0), 0);
  await tracer.close();
  check('after close');
});

test('Retry-After (seconds) is waited at least before the retry', async () => {
  const collector = await startCollector({ respond: (i) => (i === 0 ? { status: 503, headers: { 'Retry-After': '1' } } : undefined) });
  const { tracer, check } = exporterTracer(httpSender(collector));
  finishSpans(tracer, 3);
  await tracer.reporter.flush();
  await collector.waitFor((c) => c.acceptedSpans.length >= 3, 5000, 'the retried batch');
  const gap = collector.requestTimes[1] - collector.requestTimes[0];
  // A lower bound only: load can only make the gap longer. Without Retry-After it is 10–20 ms.
  assert.ok(gap >= 950, `retried after ${gap} ms`);
  await tracer.close();
  assert.equal(check().sent, 3);
});

test('Retry-After: delta-seconds and HTTP dates, capped; garbage ignored', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('2', now), 2000);
  assert.equal(parseRetryAfter(' 0 ', now), 0);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5000);
  assert.equal(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a date in the past: no wait');
  assert.equal(parseRetryAfter('86400', now), RETRY_AFTER_MAX_MS);
  assert.equal(parseRetryAfter('Fri, 01 Jan 2027 00:00:00 GMT', now), RETRY_AFTER_MAX_MS);
  for (const bad of [undefined, '', '-1', '1.5', 'soon', '1e9', '0x10']) assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
  assert.equal(parseRetryAfter(['3', '9'], now), 3000);
});

test('backoff doubles from the base, is capped, and is jittered to 50–100 %', () => {
  const low = () => 0;
  const high = () => 0.999999;
  assert.equal(retryDelayMs(1, undefined, low), RETRY_BASE_MS / 2);
  assert.ok(Math.abs(retryDelayMs(1, undefined, high) - RETRY_BASE_MS) < 1);
  assert.ok(Math.abs(retryDelayMs(3, undefined, high) - 4 * RETRY_BASE_MS) < 1);
  for (const n of [10, 50, 1000]) {
    assert.equal(retryDelayMs(n, undefined, low), RETRY_MAX_MS / 2);
    assert.ok(retryDelayMs(n, undefined, high) <= RETRY_MAX_MS);
  }
  assert.equal(retryDelayMs(1, 3000, low), 3000, 'Retry-After wins over a shorter backoff');
  assert.equal(retryDelayMs(1, 10 ** 9, low), RETRY_AFTER_MAX_MS);
  const spread = new Set(Array.from({ length: 50 }, () => Math.round(retryDelayMs(4))));
  assert.ok(spread.size > 10, 'delays differ between attempts');
});

test('400 is not retried: the batch is counted as rejected, warned about once', async () => {
  const collector = await startCollector({ status: 400 });
  const { tracer, check, logger } = exporterTracer(httpSender(collector));
  for (let round = 0; round < 3; round++) {
    finishSpans(tracer, 5);
    await tracer.reporter.flush();
  }
  const stats = check();
  assert.equal(collector.requests, 3, 'one request per batch');
  assert.equal(stats.dropped.rejected, 15);
  assert.equal(stats.dropped.send_error, 0);
  assert.equal(stats.sent, 0);
  assert.equal(logger.lines.filter((l) => l.startsWith('warn:')).length, 1, logger.lines.join('\n'));
  assert.match(logger.lines[0], /dropped .* 5 rejected .*HTTP 400/);
  await tracer.close();
  check('after close');
});

test('a collector that never answers: each request destroyed at its timeout, at most 2 sockets and requests, queue bounded', async () => {
  const collector = await startCollector({ hang: true });
  const sender = httpSender(collector, { timeoutMs: 100 });
  const { tracer, check } = exporterTracer(sender, { flushIntervalMs: 20, maxQueueSize: 50 });
  let reported = 0;
  while (collector.abandoned < 4) {
    assert.ok(reported < 20_000, 'bounded load');
    finishSpans(tracer, 10);
    reported += 10;
    const stats = check(`after ${reported} spans`);
    assert.ok(stats.queued <= 50, `queued ${stats.queued}`);
    assert.ok(sender.activeRequests <= 2, `${sender.activeRequests} requests`);
    assert.ok(collector.maxOpenConnections <= 2, `${collector.maxOpenConnections} sockets`);
    await tick(10);
  }
  assert.ok(collector.maxPendingRequests <= 2, `${collector.maxPendingRequests} requests open at once`);
  // The collector never closes a request itself: the client destroyed these at its timeout.
  assert.ok(collector.abandoned >= 4);
  await tracer.close();
  const stats = check('after close');
  assert.equal(stats.sent, 0);
  assert.equal(stats.queued, 0);
  assert.equal(stats.dropped.shutdown + stats.dropped.queue_full, reported);
  assert.ok(collector.maxOpenConnections <= 2);
  await collector.waitFor((c) => c.openConnections === 0, 5000, 'sockets closed');
});

test('collector refusing connections, then back: queue never above its maximum, one probe at a time, nothing lost', async (t) => {
  const collector = await startCollector();
  await collector.refuse();
  const sender = httpSender(collector, { retryBaseMs: 20, retryMaxMs: 200 });
  const flushIntervalMs = 50;
  const { tracer, check } = exporterTracer(sender, { flushIntervalMs, maxQueueSize: 300 });
  const ids: string[] = [];
  for (let round = 0; round < 15; round++) {
    ids.push(...finishSpans(tracer, 10, `r${round}`));
    const stats = check(`refused, round ${round}`);
    assert.ok(stats.queued <= 300);
    assert.ok(sender.activeRequests <= 1, 'a single probe while failing');
    await tick(20);
  }
  assert.equal(check().queued, 150, 'an outage shorter than the queue keeps every span');
  await collector.resume();
  const t0 = Date.now();
  await collector.waitFor((c) => c.acceptedSpans.length >= 150, 15_000, 'all spans after recovery');
  const ms = Date.now() - t0;
  // One flush interval plus the capped backoff (200 ms), with a generous margin for load.
  assert.ok(ms < flushIntervalMs + 200 + 5000, `spans flowed again after ${ms} ms`);
  t.diagnostic(`all 150 spans accepted ${ms} ms after the collector came back (flush interval 50 ms, backoff cap 200 ms)`);
  await tracer.reporter.flush();
  const stats = check('after recovery');
  assert.equal(stats.sent, 150);
  assert.equal(Object.values(stats.dropped).reduce((a, b) => a + b, 0), 0);
  assert.deepEqual(new Set(collector.acceptedSpans.map((s) => s.spanId)), new Set(ids));
  assert.equal(collector.acceptedSpans.length, 150, 'no duplicates');
  await tracer.close();
});

test('an outage longer than the queue: the queue stops at its maximum, the rest is queue_full, the kept spans arrive', async () => {
  assert.equal(new RemoteReporter(httpSender(await startCollector())).maxQueueSize, 2048, 'the default maximum');
  const collector = await startCollector();
  await collector.refuse();
  const sender = httpSender(collector);
  const { tracer, check, logger } = exporterTracer(sender, { flushIntervalMs: 20, maxQueueSize: 100 });
  for (let round = 0; round < 6; round++) {
    finishSpans(tracer, 50);
    assert.ok(check().queued <= 100);
    await tick(10);
  }
  let stats = check();
  assert.equal(stats.queued, 100);
  assert.equal(stats.dropped.queue_full, 200);
  assert.equal(logger.lines.filter((l) => /queue_full/.test(l)).length, 1, 'warned once');
  await collector.resume();
  await collector.waitFor((c) => c.acceptedSpans.length >= 100, 15_000, 'the kept spans');
  await tracer.reporter.flush();
  stats = check('after recovery');
  assert.equal(stats.sent, 100);
  await tracer.close();
});

test('close(): twice is fine; spans reported afterwards are counted as shutdown', async () => {
  const collector = await startCollector();
  const { tracer, reporter, check } = exporterTracer(httpSender(collector));
  finishSpans(tracer, 4);
  await Promise.all([tracer.close(), tracer.close()]);
  await reporter.close();
  const span = tracer.startSpan('late');
  span.finish(); // the tracer still hands it to the closed reporter, which counts it
  const stats = check('after close');
  assert.equal(stats.sent, 4);
  assert.equal(stats.dropped.shutdown, 1);
});

test('flush() against a refusing collector settles once the batch has been tried, leaving it queued for the retry', async () => {
  const collector = await startCollector();
  await collector.refuse();
  // A long backoff: if flush() waited for the retry, it would not settle within the test's life.
  const sender = httpSender(collector, { retryBaseMs: 60_000, retryMaxMs: 60_000 });
  const { tracer, check } = exporterTracer(sender, { flushIntervalMs: 60_000 });
  finishSpans(tracer, 3);
  await tracer.reporter.flush();
  const stats = check('after flush');
  assert.equal(stats.queued, 3, 'kept for the retry, not dropped');
  assert.equal(sender.activeRequests, 0);
  assert.equal(sender.waitingBatches, 1);
  await tracer.reporter.flush(); // parked behind the retry delay: settles at once
  await tracer.close();
  assert.equal(check('after close').dropped.shutdown, 3);
});

test('a busy service: a full batch (128 KiB by default) goes out at once, not at the next flush interval', async () => {
  const collector = await startCollector();
  const sender = new HttpSender({ endpoint: collector.url });
  // A flush interval longer than the test: only a full batch can make a POST happen.
  const { tracer, check } = exporterTracer(sender, { flushIntervalMs: 600_000 });
  finishSpans(tracer, 1000);
  await collector.waitFor((c) => c.acceptedSpans.length >= 400, 10_000, 'a full batch before any flush');
  assert.equal(check('busy').dropped.queue_full, 0);
  await tracer.close();
  assert.equal(check('closed').sent, 1000);
});
