import type { Sampler } from './sampler';
import { ProbabilisticSampler } from './probabilistic';
import { RateLimitingSampler } from './rate-limiting';
import { PerOperationSampler, type OperationSamplingStrategy, type OperationStrategy } from './per-operation';

// The sampling manager's JSON answer, read strictly enough that garbage is refused rather than
// half-applied, and leniently where real servers differ: proto3 JSON omits zero-valued fields, and
// some servers send strategyType as its enum number.

/** A strategy the remote sampler knows how to apply. */
export type SamplingStrategy =
  | { readonly kind: 'probabilistic'; readonly samplingRate: number }
  | { readonly kind: 'ratelimiting'; readonly maxTracesPerSecond: number }
  | { readonly kind: 'peroperation'; readonly operationSampling: OperationSamplingStrategy };

type Json = Record<string, unknown>;

const path = (where: string, key: string): string => (where === '' ? key : `${where}.${key}`);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function object(parent: Json, key: string, where: string): Json {
  const v = parent[key];
  if (!isObject(v)) throw new Error(`${path(where, key)} is not an object`);
  return v;
}

/** A missing number is 0: proto3 JSON leaves out fields that hold their zero value. */
function number(parent: Json, key: string, where: string): number {
  const v = parent[key];
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${path(where, key)} is not a number`);
  return v;
}

function kindOf(body: Json): 'probabilistic' | 'ratelimiting' {
  const t = body.strategyType;
  if (t === 'PROBABILISTIC' || t === 0) return 'probabilistic';
  if (t === 'RATE_LIMITING' || t === 1) return 'ratelimiting';
  // An omitted strategyType is the enum's zero value, PROBABILISTIC; a lone rate-limiting block is
  // accepted too, since its meaning is unambiguous.
  if (t === undefined && body.probabilisticSampling === undefined && isObject(body.rateLimitingSampling)) {
    return 'ratelimiting';
  }
  if (t === undefined) return 'probabilistic';
  throw new Error(`unknown strategyType ${JSON.stringify(t)}`);
}

function operationSampling(raw: Json): OperationSamplingStrategy {
  const where = 'operationSampling';
  const list = raw.perOperationStrategies ?? [];
  if (!Array.isArray(list)) throw new Error(`${where}.perOperationStrategies is not an array`);
  const perOperationStrategies: OperationStrategy[] = list.map((entry: unknown, i) => {
    const at = `${where}.perOperationStrategies[${i}]`;
    if (!isObject(entry) || typeof entry.operation !== 'string') throw new Error(`${at}.operation is not a string`);
    const prob = object(entry, 'probabilisticSampling', at);
    return { operation: entry.operation, probabilisticSampling: { samplingRate: number(prob, 'samplingRate', at) } };
  });
  return {
    defaultSamplingProbability: number(raw, 'defaultSamplingProbability', where),
    defaultLowerBoundTracesPerSecond: number(raw, 'defaultLowerBoundTracesPerSecond', where),
    perOperationStrategies,
  };
}

/** Parses a sampling manager's answer; throws an Error saying what is wrong with it. */
export function parseStrategy(text: string): SamplingStrategy {
  const body: unknown = JSON.parse(text);
  if (!isObject(body)) throw new Error('the answer is not a JSON object');
  // operationSampling wins: servers send it alongside a probabilistic fallback for old clients.
  if (body.operationSampling !== undefined && body.operationSampling !== null) {
    return { kind: 'peroperation', operationSampling: operationSampling(object(body, 'operationSampling', '')) };
  }
  if (kindOf(body) === 'probabilistic') {
    const prob = object(body, 'probabilisticSampling', '');
    return { kind: 'probabilistic', samplingRate: number(prob, 'samplingRate', 'probabilisticSampling') };
  }
  const rate = object(body, 'rateLimitingSampling', '');
  return { kind: 'ratelimiting', maxTracesPerSecond: number(rate, 'maxTracesPerSecond', 'rateLimitingSampling') };
}

const badProbability = (p: number): boolean => !(p >= 0 && p <= 1);

/** Says why a parsed strategy cannot be applied (a value out of range), or undefined when it can. */
export function strategyProblem(s: SamplingStrategy): string | undefined {
  switch (s.kind) {
    case 'probabilistic':
      return badProbability(s.samplingRate) ? `samplingRate ${s.samplingRate} is outside [0, 1]` : undefined;
    case 'ratelimiting':
      return s.maxTracesPerSecond < 0 ? `maxTracesPerSecond ${s.maxTracesPerSecond} is negative` : undefined;
    case 'peroperation': {
      const o = s.operationSampling;
      if (badProbability(o.defaultSamplingProbability)) {
        return `defaultSamplingProbability ${o.defaultSamplingProbability} is outside [0, 1]`;
      }
      if (o.defaultLowerBoundTracesPerSecond < 0) {
        return `defaultLowerBoundTracesPerSecond ${o.defaultLowerBoundTracesPerSecond} is negative`;
      }
      const bad = o.perOperationStrategies.find((e) => badProbability(e.probabilisticSampling.samplingRate));
      return bad === undefined ? undefined : `samplingRate for operation ${JSON.stringify(bad.operation)} is outside [0, 1]`;
    }
  }
}

/**
 * The sampler to use under `strategy`: `current` itself when it is of the right kind (updated in
 * place where it has state worth keeping), else a new one. `changed` is false when nothing did.
 */
export function applyStrategy(
  current: Sampler,
  strategy: SamplingStrategy,
  maxOperations: number,
): { sampler: Sampler; changed: boolean } {
  switch (strategy.kind) {
    case 'probabilistic':
      if (current instanceof ProbabilisticSampler && current.samplingRate === strategy.samplingRate) {
        return { sampler: current, changed: false };
      }
      return { sampler: new ProbabilisticSampler(strategy.samplingRate), changed: true };
    case 'ratelimiting':
      // In place: a new rate keeps the bucket's fill rather than granting a fresh burst.
      if (current instanceof RateLimitingSampler) {
        return { sampler: current, changed: current.update(strategy.maxTracesPerSecond) };
      }
      return { sampler: new RateLimitingSampler(strategy.maxTracesPerSecond), changed: true };
    case 'peroperation':
      if (current instanceof PerOperationSampler) {
        return { sampler: current, changed: current.update(strategy.operationSampling) };
      }
      return { sampler: new PerOperationSampler(strategy.operationSampling, maxOperations), changed: true };
  }
}
