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
 * Longer names seen at run time get no sampler of their own: the map keeps its keys alive, and
 * 2,000 names of a megabyte each (a URL or a query as the span name) would hold 2 GB.
 */
export const MAX_OPERATION_NAME_LENGTH = 512;

/**
 * One GuaranteedThroughputSampler per operation name: the strategy's rate for listed operations,
 * the default probability and lower bound for others. Once `maxOperations` operations have a
 * sampler, further operations (listed by the manager or seen at run time) use the default
 * probability alone and are not remembered, which bounds memory when operation names are
 * high-cardinality by mistake or the manager's list is absurdly long.
 */
export class PerOperationSampler implements Sampler {
  readonly type = 'peroperation';
  readonly maxOperations: number;
  #byOperation = new Map<string, GuaranteedThroughputSampler>();
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
      const full = this.#byOperation.size >= this.maxOperations;
      if (full || typeof operationName !== 'string' || operationName.length > MAX_OPERATION_NAME_LENGTH) {
        return this.#defaultSampler.sample(operationName);
      }
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
    // The manager's list is capped too: a misconfigured or hostile manager listing 100,000
    // operations must not grow the map past maxOperations. Operations beyond the cap use the default.
    const listed = new Map<string, number>();
    for (const s of strategy.perOperationStrategies) {
      if (listed.size >= this.maxOperations && !listed.has(s.operation)) continue;
      listed.set(s.operation, s.probabilisticSampling.samplingRate);
    }
    const next = new Map<string, GuaranteedThroughputSampler>();
    for (const [operation, rate] of listed) {
      const existing = this.#byOperation.get(operation);
      if (existing === undefined) {
        next.set(operation, this.#create(rate));
        changed = true;
      } else {
        if (existing.update(rate, this.#defaultLowerBound)) changed = true;
        next.set(operation, existing);
      }
    }
    // Operations seen at run time but no longer (or never) listed take the defaults, the manager's
    // current word for them, and keep their rate-limiter balance while there is room for them.
    for (const [operation, sampler] of this.#byOperation) {
      if (next.has(operation)) continue;
      if (next.size >= this.maxOperations) {
        changed = true;
        continue;
      }
      if (sampler.update(this.#defaultSampler.samplingRate, this.#defaultLowerBound)) changed = true;
      next.set(operation, sampler);
    }
    this.#byOperation = next;
    return changed;
  }

  close(): void {}

  #create(samplingRate: number): GuaranteedThroughputSampler {
    return new GuaranteedThroughputSampler(samplingRate, this.#defaultLowerBound, this.#now);
  }
}
