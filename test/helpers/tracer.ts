import { JaegerTracer, type JaegerTracerOptions } from '../../src/tracer/tracer';
import { InMemoryReporter } from '../../src/reporters/in-memory';
import { samplingDecision, type Sampler } from '../../src/samplers/sampler';
import type { Logger } from '../../src/log';

/** A const sampler independent of src/samplers, so tracer tests do not depend on them. */
export function fixedSampler(sampled: boolean): Sampler {
  const decision = samplingDecision(sampled, 'const', sampled);
  return { type: 'const', sample: () => decision, close() {} };
}

/** A logger that records lines instead of printing them. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (msg: string, ...args: unknown[]) => {
    lines.push(`${level}: ${msg} ${args.map(String).join(' ')}`);
  };
  return { lines, error: rec('error'), warn: rec('warn'), info: rec('info'), debug: rec('debug') };
}

/** A tracer that keeps its spans in memory. */
export function memoryTracer(options: Partial<JaegerTracerOptions> & { sampled?: boolean } = {}) {
  const reporter = new InMemoryReporter();
  const tracer = new JaegerTracer({
    serviceName: 'test-service',
    sampler: fixedSampler(options.sampled ?? true),
    reporter,
    logger: recordingLogger(),
    ...options,
  });
  return { tracer, reporter };
}
