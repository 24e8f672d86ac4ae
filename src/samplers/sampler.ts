import type { Tag } from '../tracer/finished-span';
import { sharedTagList } from '../tracer/shared-tag';

/**
 * One sampling decision. Samplers build their decisions once and return the same objects, so a
 * decision costs no allocation on the span hot path.
 */
export interface SamplingDecision {
  readonly sampled: boolean;
  /** Tags a sampled root span carries: sampler.type and sampler.param. */
  readonly tags: readonly Tag[];
}

/** The one sampler interface. Called only for root spans (children inherit the parent's flags). */
export interface Sampler {
  /** 'const' | 'probabilistic' | 'ratelimiting' | 'remote' | … */
  readonly type: string;
  sample(operationName: string): SamplingDecision;
  /** Stops timers and pending requests; idempotent. */
  close(): void;
}

/** Builds a decision whose tags are sampler.type and sampler.param. */
export function samplingDecision(sampled: boolean, type: string, param: unknown): SamplingDecision {
  return Object.freeze({
    sampled,
    // Frozen tags in a list typed readonly, not frozen (see sharedTags: read on every root span).
    tags: sharedTagList([['sampler.type', type], ['sampler.param', param]]),
  });
}
