import { Metrics, type Counter, type MetricsFactory } from '../../src/metrics/metrics';
import type { SamplingDecision } from '../../src/samplers/sampler';

/** A clock the test moves by hand, in milliseconds, for rate limiters. */
export function fakeClock(startMs = 1_000) {
  let now = startMs;
  return {
    now: (): number => now,
    advance(ms: number): void {
      now += ms;
    },
  };
}

class CountingCounter implements Counter {
  value = 0;
  increment(delta = 1): void {
    this.value += delta;
  }
}

/** Metrics whose counters count, and a reader for any of them. */
export function countingMetrics(): { metrics: Metrics; count(counter: Counter): number } {
  const factory: MetricsFactory = {
    createCounter: () => new CountingCounter(),
    createGauge: () => ({ update() {} }),
  };
  return {
    metrics: new Metrics(factory),
    count: (counter) => (counter instanceof CountingCounter ? counter.value : Number.NaN),
  };
}

/** A decision's tags as a plain object, for deepEqual. */
export function tagsOf(decision: SamplingDecision): Record<string, unknown> {
  return Object.fromEntries(decision.tags.map((t) => [t.key, t.value]));
}
