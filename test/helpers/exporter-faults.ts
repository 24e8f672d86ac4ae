// Shared by the exporter fault tests (and usable by the soak scenarios): a real JaegerTracer with a
// RemoteReporter over the sender under test, a metrics factory that counts, and the accounting
// identity checked both through stats() and through the metrics.

import assert from 'node:assert/strict';
import { JaegerTracer } from '../../src/tracer/tracer';
import { RemoteReporter } from '../../src/reporters/remote';
import type { ReporterStats } from '../../src/reporters/reporter';
import { samplingDecision, type Sampler } from '../../src/samplers/sampler';
import type { Sender } from '../../src/senders/sender';
import { Metrics, type MetricsFactory } from '../../src/metrics/metrics';
import { recordingLogger } from './tracer';

/** Counters and gauges kept in maps keyed `name{k=v,...}`. */
export function countingMetrics() {
  const values = new Map<string, number>();
  const key = (name: string, tags?: Record<string, string>) =>
    `${name}{${Object.entries(tags ?? {}).map(([k, v]) => `${k}=${v}`).join(',')}}`;
  const factory: MetricsFactory = {
    createCounter(name, tags) {
      const k = key(name, tags);
      values.set(k, values.get(k) ?? 0);
      return { increment: (d = 1) => { values.set(k, (values.get(k) ?? 0) + d); } };
    },
    createGauge(name, tags) {
      const k = key(name, tags);
      values.set(k, 0);
      return { update: (v) => { values.set(k, v); } };
    },
  };
  const get = (name: string): number => values.get(name) ?? NaN;
  return { factory, values, get };
}

export type CountingMetrics = ReturnType<typeof countingMetrics>;

export function totalDropped(stats: ReporterStats): number {
  return Object.values(stats.dropped).reduce((a, b) => a + b, 0);
}

/** reported = sent + Σ dropped + queued (queued includes batches in flight or awaiting a retry). */
export function assertAccounting(stats: ReporterStats | undefined, what = 'accounting'): void {
  assert.ok(stats, `${what}: stats available`);
  assert.equal(stats.reported, stats.sent + totalDropped(stats) + stats.queued, `${what}: ${JSON.stringify(stats)}`);
  assert.ok(stats.inFlight >= 0 && stats.inFlight <= stats.queued, `${what}: inFlight within queued`);
}

/** The same identity through the metrics factory. */
export function assertMetricsAccounting(m: CountingMetrics, stats: ReporterStats): void {
  const dropped = ['queue_full', 'too_large', 'send_error', 'rejected', 'shutdown']
    .map((r) => m.get(`reporter_dropped_spans{reason=${r}}`));
  const [received, ok, queue] = [m.get('reporter_received_spans{}'), m.get('reporter_spans{result=ok}'), m.get('reporter_queue_length{}')];
  assert.equal(received, stats.reported, 'reporter_received_spans');
  assert.equal(ok, stats.sent, 'reporter_spans{result=ok}');
  assert.equal(queue, stats.queued, 'reporter_queue_length');
  assert.equal(received, ok + dropped.reduce((a, b) => a + b, 0) + queue, 'metrics identity');
  assert.equal(
    m.get('reporter_spans{result=err}') + m.get('reporter_spans{result=dropped}'),
    dropped.reduce((a, b) => a + b, 0),
    'err + dropped = Σ reporter_dropped_spans',
  );
}

export interface ExporterTracerOptions {
  flushIntervalMs?: number;
  maxQueueSize?: number;
}

/** A sampling-everything tracer reporting through `sender`, with counted metrics and a recorded log. */
export function exporterTracer(sender: Sender, options: ExporterTracerOptions = {}) {
  const decision = samplingDecision(true, 'const', 1);
  const sampler: Sampler = { type: 'const', sample: () => decision, close() {} };
  const logger = recordingLogger();
  const metrics = countingMetrics();
  const m = new Metrics(metrics.factory);
  const reporter = new RemoteReporter(sender, {
    flushIntervalMs: options.flushIntervalMs ?? 60_000, maxQueueSize: options.maxQueueSize, metrics: m, logger,
  });
  const tracer = new JaegerTracer({ serviceName: 'exporter-faults', sampler, reporter, logger, metrics: m });
  const check = (what?: string): ReporterStats => {
    const stats = tracer.stats()!;
    assertAccounting(stats, what);
    assertMetricsAccounting(metrics, stats);
    return stats;
  };
  return { tracer, reporter, logger, metrics, check };
}

/** Finishes `n` small spans named `${prefix}-${i}`; returns their span ids. */
export function finishSpans(tracer: JaegerTracer, n: number, prefix = 'op', tags: Record<string, unknown> = {}): string[] {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const span = tracer.startSpan(`${prefix}-${i}`, { tags: { i, ...tags } });
    ids.push(span.spanContext.spanId);
    span.finish();
  }
  return ids;
}

/** Load pacing for a generator (not synchronisation): lets timers and sockets run between rounds. */
export function tick(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
