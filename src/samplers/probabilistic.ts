import { type Sampler, type SamplingDecision, samplingDecision } from './sampler';
import { SAMPLER_TYPE_PROBABILISTIC } from '../tracer/constants';

/** Clamps a sampling probability to [0, 1]; anything that is not a number counts as 0. */
export function clampProbability(rate: number): number {
  if (typeof rate !== 'number' || Number.isNaN(rate) || rate <= 0) return 0;
  return rate >= 1 ? 1 : rate;
}

/**
 * Samples each trace with probability `samplingRate` (clamped to [0, 1]). Math.random() is enough
 * here: sampling needs spread, not unpredictability, and crypto per span would cost far more.
 */
export class ProbabilisticSampler implements Sampler {
  readonly type = SAMPLER_TYPE_PROBABILISTIC;
  readonly samplingRate: number;
  readonly #sampled: SamplingDecision;
  readonly #notSampled: SamplingDecision;

  constructor(samplingRate: number) {
    this.samplingRate = clampProbability(samplingRate);
    this.#sampled = samplingDecision(true, SAMPLER_TYPE_PROBABILISTIC, this.samplingRate);
    this.#notSampled = samplingDecision(false, SAMPLER_TYPE_PROBABILISTIC, this.samplingRate);
  }

  sample(_operationName: string): SamplingDecision {
    // Strict `<` keeps rate 0 at never and rate 1 at always (Math.random() is in [0, 1)).
    return Math.random() < this.samplingRate ? this.#sampled : this.#notSampled;
  }

  close(): void {}
}
