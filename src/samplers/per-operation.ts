import type { Sampler, SamplingDecision } from './sampler';
import { GuaranteedThroughputSampler } from './guaranteed-throughput';
import { ProbabilisticSampler, clampProbability } from './probabilistic';
import { nonNegativeRate } from './rate-limiter';

/** One operation's entry in a per-operation strategy, as the sampling manager sends it. */
export interface OperationStrategy {
  readonly operation: string;
  readonly probabilisticSampling: { readonly samplingRate: number };
}

/** The `operationSampling` part of a sampling manager's answer. */
export interface OperationSamplingStrategy {
  readonly defaultSamplingProbability: number;
  readonly defaultLowerBoundTracesPerSecond: number;
  readonly perOperationStrategies: readonly OperationStrategy[];
}

/** The reference clients' cap on the number of operations given their own sampler. */
export const DEFAULT_MAX_OPERATIONS = 2000;

/**
 * One GuaranteedThroughputSampler per operation name: the strategy's rate for listed operations,
 * the default probability and lower bound for others. Once `maxOperations` operations have a
 * sampler, further unknown operations use the default probability alone and are not remembered,
 * which bounds memory when operation names are high-cardinality by mistake.
 */
export class PerOperationSampler implements Sampler {
  readonly type = 'peroperation';
  readonly maxOperations: number;
  readonly #byOperation = new Map<string, GuaranteedThroughputSampler>();
  readonly #now: (() => number) | undefined;
  #defaultSampler: ProbabilisticSampler;
  #defaultLowerBound: number;

  constructor(strategy: OperationSamplingStrategy, maxOperations = DEFAULT_MAX_OPERATIONS, now?: () => number) {
    this.maxOperations = maxOperations >= 0 ? Math.floor(maxOperations) : DEFAULT_MAX_OPERATIONS;
    this.#now = now;
    this.#defaultSampler = new ProbabilisticSampler(strategy.defaultSamplingProbability);
    this.#defaultLowerBound = nonNegativeRate(strategy.defaultLowerBoundTracesPerSecond);
    this.update(strategy);
  }

  get defaultSamplingProbability(): number {
    return this.#defaultSampler.samplingRate;
  }

  get defaultLowerBoundTracesPerSecond(): number {
    return this.#defaultLowerBound;
  }

  /** How many operations have their own sampler. */
  get operationCount(): number {
    return this.#byOperation.size;
  }

  sample(operationName: string): SamplingDecision {
    let sampler = this.#byOperation.get(operationName);
    if (sampler === undefined) {
      if (this.#byOperation.size >= this.maxOperations) return this.#defaultSampler.sample(operationName);
      sampler = this.#create(this.#defaultSampler.samplingRate);
      this.#byOperation.set(operationName, sampler);
    }
    return sampler.sample(operationName);
  }

  /**
   * Applies a new strategy in place, keeping each operation's rate-limiter balance. Operations the
   * strategy no longer lists fall back to the defaults (the manager's current word for them).
   * Returns whether anything changed.
   */
  update(strategy: OperationSamplingStrategy): boolean {
    let changed = false;
    const defaultRate = clampProbability(strategy.defaultSamplingProbability);
    if (defaultRate !== this.#defaultSampler.samplingRate) {
      this.#defaultSampler = new ProbabilisticSampler(defaultRate);
      changed = true;
    }
    const lowerBound = nonNegativeRate(strategy.defaultLowerBoundTracesPerSecond);
    if (lowerBound !== this.#defaultLowerBound) {
      this.#defaultLowerBound = lowerBound;
      changed = true;
    }
    const listed = new Map<string, number>();
    for (const s of strategy.perOperationStrategies) listed.set(s.operation, s.probabilisticSampling.samplingRate);
    for (const [operation, sampler] of this.#byOperation) {
      const rate = listed.get(operation) ?? this.#defaultSampler.samplingRate;
      if (sampler.update(rate, this.#defaultLowerBound)) changed = true;
    }
    // Listed operations always get their own sampler: the manager's list is bounded by its own
    // configuration, and maxOperations guards only against names discovered at run time.
    for (const [operation, rate] of listed) {
      if (this.#byOperation.has(operation)) continue;
      this.#byOperation.set(operation, this.#create(rate));
      changed = true;
    }
    return changed;
  }

  close(): void {}

  #create(samplingRate: number): GuaranteedThroughputSampler {
    return new GuaranteedThroughputSampler(samplingRate, this.#defaultLowerBound, this.#now);
  }
}
