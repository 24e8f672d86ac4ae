import { type Sampler, type SamplingDecision, samplingDecision } from './sampler';
import { RateLimiter, nonNegativeRate } from './rate-limiter';
import { SAMPLER_TYPE_RATE_LIMITING } from '../tracer/constants';

/** A bucket holds a second's worth of traces; rates below 1/s still need room for one whole trace. */
export const maxBalanceFor = (tracesPerSecond: number): number => Math.max(tracesPerSecond, 1);

/**
 * Samples at most `maxTracesPerSecond` traces per second (a token bucket). The first trace is
 * sampled at once; see RateLimiter for why the bucket starts with one credit.
 */
export class RateLimitingSampler implements Sampler {
  readonly type = SAMPLER_TYPE_RATE_LIMITING;
  readonly #limiter: RateLimiter;
  #sampled!: SamplingDecision;
  #notSampled!: SamplingDecision;

  constructor(maxTracesPerSecond: number, now?: () => number) {
    const rate = nonNegativeRate(maxTracesPerSecond);
    this.#limiter = new RateLimiter(rate, maxBalanceFor(rate), now);
    this.#buildDecisions();
  }

  get maxTracesPerSecond(): number {
    return this.#limiter.creditsPerSecond;
  }

  sample(_operationName: string): SamplingDecision {
    return this.#limiter.checkCredit(1) ? this.#sampled : this.#notSampled;
  }

  /** Changes the rate in place, keeping the bucket's fill proportion. Returns whether it changed. */
  update(maxTracesPerSecond: number): boolean {
    const rate = nonNegativeRate(maxTracesPerSecond);
    if (rate === this.#limiter.creditsPerSecond) return false;
    this.#limiter.update(rate, maxBalanceFor(rate));
    this.#buildDecisions();
    return true;
  }

  close(): void {}

  #buildDecisions(): void {
    const rate = this.#limiter.creditsPerSecond;
    this.#sampled = samplingDecision(true, SAMPLER_TYPE_RATE_LIMITING, rate);
    this.#notSampled = samplingDecision(false, SAMPLER_TYPE_RATE_LIMITING, rate);
  }
}
