import type { DropReason } from '../senders/sender';

/** A monotonically increasing count. */
export interface Counter {
  increment(delta?: number): void;
}

/** A value that is set, not summed. */
export interface Gauge {
  update(value: number): void;
}

/**
 * Creates metrics. `name` is a snake_case metric name; `tags` are label pairs fixed at creation.
 * Implementations: the noop default (costs nothing) and PrometheusMetricsFactory.
 */
export interface MetricsFactory {
  createCounter(name: string, tags?: Record<string, string>): Counter;
  createGauge(name: string, tags?: Record<string, string>): Gauge;
}

const NOOP_COUNTER: Counter = { increment() {} };
const NOOP_GAUGE: Gauge = { update() {} };

export const noopMetricsFactory: MetricsFactory = {
  createCounter: () => NOOP_COUNTER,
  createGauge: () => NOOP_GAUGE,
};

/** Every metric the tracer emits, named as the reference Jaeger clients name them. */
export class Metrics {
  readonly tracesStartedSampled: Counter;
  readonly tracesStartedNotSampled: Counter;
  readonly tracesJoinedSampled: Counter;
  readonly tracesJoinedNotSampled: Counter;
  readonly spansStartedSampled: Counter;
  readonly spansStartedNotSampled: Counter;
  readonly spansFinished: Counter;
  readonly decodingErrors: Counter;
  readonly reporterSuccess: Counter;
  readonly reporterFailure: Counter;
  readonly reporterDropped: Counter;
  /** Sampled spans handed to the reporter: ok + Σ dropped by reason + queue length, at any moment. */
  readonly reporterReceived: Counter;
  /** reporter_dropped_spans{reason}: every span not delivered, by reason (err and dropped above, split). */
  readonly reporterDroppedByReason: Readonly<Record<DropReason, Counter>>;
  readonly reporterQueueLength: Gauge;
  readonly samplerRetrieved: Counter;
  readonly samplerQueryFailure: Counter;
  readonly samplerUpdated: Counter;
  readonly samplerUpdateFailure: Counter;
  readonly samplerParsingFailure: Counter;
  readonly baggageUpdateSuccess: Counter;
  readonly baggageUpdateFailure: Counter;
  readonly baggageTruncate: Counter;

  constructor(factory: MetricsFactory = noopMetricsFactory) {
    const c = (name: string, tags?: Record<string, string>) => factory.createCounter(name, tags);
    this.tracesStartedSampled = c('traces', { state: 'started', sampled: 'y' });
    this.tracesStartedNotSampled = c('traces', { state: 'started', sampled: 'n' });
    this.tracesJoinedSampled = c('traces', { state: 'joined', sampled: 'y' });
    this.tracesJoinedNotSampled = c('traces', { state: 'joined', sampled: 'n' });
    this.spansStartedSampled = c('started_spans', { sampled: 'y' });
    this.spansStartedNotSampled = c('started_spans', { sampled: 'n' });
    this.spansFinished = c('finished_spans');
    this.decodingErrors = c('span_context_decoding_errors');
    this.reporterSuccess = c('reporter_spans', { result: 'ok' });
    this.reporterFailure = c('reporter_spans', { result: 'err' });
    this.reporterDropped = c('reporter_spans', { result: 'dropped' });
    this.reporterReceived = c('reporter_received_spans');
    this.reporterDroppedByReason = Object.freeze({
      queue_full: c('reporter_dropped_spans', { reason: 'queue_full' }),
      too_large: c('reporter_dropped_spans', { reason: 'too_large' }),
      send_error: c('reporter_dropped_spans', { reason: 'send_error' }),
      rejected: c('reporter_dropped_spans', { reason: 'rejected' }),
      shutdown: c('reporter_dropped_spans', { reason: 'shutdown' }),
    });
    this.reporterQueueLength = factory.createGauge('reporter_queue_length');
    this.samplerRetrieved = c('sampler_queries', { result: 'ok' });
    this.samplerQueryFailure = c('sampler_queries', { result: 'err' });
    this.samplerUpdated = c('sampler_updates', { result: 'ok' });
    this.samplerUpdateFailure = c('sampler_updates', { result: 'err' });
    this.samplerParsingFailure = c('sampler_parsing_failures');
    this.baggageUpdateSuccess = c('baggage_updates', { result: 'ok' });
    this.baggageUpdateFailure = c('baggage_updates', { result: 'err' });
    this.baggageTruncate = c('baggage_truncations');
  }
}
