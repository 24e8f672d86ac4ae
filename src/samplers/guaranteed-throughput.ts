import { type Sampler, type SamplingDecision, samplingDecision } from './sampler';
import { clampProbability } from './probabilistic';
import { RateLimiter, nonNegativeRate } from './rate-limiter';
import { maxBalanceFor } from './rate-limiting';
import { SAMPLER_TYPE_LOWER_BOUND, SAMPLER_TYPE_PROBABILISTIC } from '../tracer/constants';

/**
 * A probabilistic sampler with a lower bound: when the probability says no, a rate limiter of
 * `lowerBoundTracesPerSecond` may still sample, so a rarely called operation is seen now and then.
 * Those traces carry sampler.type 'lowerbound' and the probability as sampler.param.
 */
export class GuaranteedThroughputSampler implements Sampler {
  readonly type = 'guaranteedthroughput';
  readonly #limiter: RateLimiter;
  #samplingRate: number;
  #probabilistic!: SamplingDecision;
  #lowerBound!: SamplingDecision;
  #notSampled!: SamplingDecision;

  constructor(samplingRate: number, lowerBoundTracesPerSecond: number, now?: () => number) {
    this.#samplingRate = clampProbability(samplingRate);
    const bound = nonNegativeRate(lowerBoundTracesPerSecond);
    this.#limiter = new RateLimiter(bound, maxBalanceFor(bound), now);
    this.#buildDecisions();
  }

  get samplingRate(): number {
    return this.#samplingRate;
  }

  get lowerBoundTracesPerSecond(): number {
    return this.#limiter.creditsPerSecond;
  }

  sample(_operationName: string): SamplingDecision {
    if (Math.random() < this.#samplingRate) {
      // Probabilistic traces spend lower-bound credit too, so the bound only tops up quiet periods
      // instead of adding its rate on top of the probability.
      this.#limiter.checkCredit(1);
      return this.#probabilistic;
    }
    return this.#limiter.checkCredit(1) ? this.#lowerBound : this.#notSampled;
  }

  /** Updates both parameters in place. Returns whether either changed. */
  update(samplingRate: number, lowerBoundTracesPerSecond: number): boolean {
    const rate = clampProbability(samplingRate);
    const bound = nonNegativeRate(lowerBoundTracesPerSecond);
    let changed = false;
    if (rate !== this.#samplingRate) {
      this.#samplingRate = rate;
      this.#buildDecisions();
      changed = true;
    }
    if (bound !== this.#limiter.creditsPerSecond) {
      this.#limiter.update(bound, maxBalanceFor(bound));
      changed = true;
    }
    return changed;
  }

  close(): void {}

  #buildDecisions(): void {
    const rate = this.#samplingRate;
    this.#probabilistic = samplingDecision(true, SAMPLER_TYPE_PROBABILISTIC, rate);
    this.#lowerBound = samplingDecision(true, SAMPLER_TYPE_LOWER_BOUND, rate);
    this.#notSampled = samplingDecision(false, SAMPLER_TYPE_PROBABILISTIC, rate);
  }
}
