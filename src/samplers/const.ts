import { type Sampler, type SamplingDecision, samplingDecision } from './sampler';
import { SAMPLER_TYPE_CONST } from '../tracer/constants';

/**
 * Samples every trace or none. Its `sampler.param` tag is the boolean decision itself, as the
 * reference clients send it.
 */
export class ConstSampler implements Sampler {
  readonly type = SAMPLER_TYPE_CONST;
  readonly decision: boolean;
  readonly #result: SamplingDecision;

  constructor(decision: boolean) {
    this.decision = decision === true;
    this.#result = samplingDecision(this.decision, SAMPLER_TYPE_CONST, this.decision);
  }

  sample(_operationName: string): SamplingDecision {
    return this.#result;
  }

  close(): void {}
}
