import { JaegerTracer, type JaegerTracerOptions } from '../../src/tracer/tracer';
import { samplingDecision, type Sampler } from '../../src/samplers/sampler';
import type { Reporter } from '../../src/reporters/reporter';
import type { JaegerSpan } from '../../src/tracer/span';

// Helpers for the hostile-propagation tests: a seeded generator and a tracer whose reported spans
// and warnings can be inspected.

/** mulberry32: a tiny seeded PRNG, so every fuzz failure replays from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface PropagationTracer {
  tracer: JaegerTracer;
  reported: JaegerSpan[];
  warnings: string[];
}

/** Our tracer with a const sampler (sampled unless said otherwise) and a reporter keeping spans. */
export function propagationTracer(
  options: Partial<JaegerTracerOptions> & { sampled?: boolean } = {},
): PropagationTracer {
  const sampled = options.sampled ?? true;
  const decision = samplingDecision(sampled, 'const', sampled);
  const sampler: Sampler = { type: 'const', sample: () => decision, close() {} };
  const reported: JaegerSpan[] = [];
  const warnings: string[] = [];
  const reporter: Reporter = {
    setProcess() {},
    report: (span) => { reported.push(span as JaegerSpan); },
    flush: async () => {},
    close: async () => {},
  };
  const logger = {
    error() {}, info() {}, debug() {},
    warn: (msg: string, ...args: unknown[]) => { warnings.push([msg, ...args].join(' ')); },
  };
  const tracer = new JaegerTracer({ serviceName: 'propagation-test', sampler, reporter, logger, ...options });
  return { tracer, reported, warnings };
}
