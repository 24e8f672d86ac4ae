import { JaegerTracer } from '../../src/tracer/tracer';
import { JaegerSpanContext } from '../../src/tracer/span-context';
import { samplingDecision, type Sampler } from '../../src/samplers/sampler';
import type { Reporter } from '../../src/reporters/reporter';
import type { PropagationFormat } from '../../src/codecs/composite';

// Codec tests build their tracers from inline parts, independent of src/samplers and src/reporters.

const silentLogger = { error() {}, warn() {}, info() {}, debug() {} };

export interface CodecTracerOptions {
  sampled?: boolean;
  propagation?: readonly PropagationFormat[];
  traceId128bit?: boolean;
}

/** Our tracer with a const sampler and a reporter that keeps nothing. */
export function codecTracer(options: CodecTracerOptions = {}): JaegerTracer {
  const decision = samplingDecision(options.sampled ?? true, 'const', options.sampled ?? true);
  const sampler: Sampler = { type: 'const', sample: () => decision, close() {} };
  const reporter: Reporter = { setProcess() {}, report() {}, flush: async () => {}, close: async () => {} };
  return new JaegerTracer({
    serviceName: 'codec-test',
    sampler,
    reporter,
    logger: silentLogger,
    propagation: options.propagation,
    traceId128bit: options.traceId128bit,
  });
}

/** A remote-looking context built directly, for codec-level tests. */
export function makeContext(fields: {
  traceId?: string;
  spanId?: string;
  parentId?: string;
  flags?: number;
  baggage?: Record<string, string>;
  traceState?: string;
} = {}): JaegerSpanContext {
  return new JaegerSpanContext(
    fields.traceId ?? '0af7651916cd43dd',
    fields.spanId ?? 'b7ad6b7169203331',
    fields.parentId ?? '',
    fields.flags ?? 1,
    fields.baggage,
    '',
    fields.traceState ?? '',
  );
}

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-var-requires */
/** The reference client (jaeger-client 3.19), untyped: it ships no declarations. */
export const jaegerClient: any = require('jaeger-client');

/** A jaeger-client tracer with a const sampler, an in-memory reporter and a silent logger. */
export function referenceTracer(options: { sampled?: boolean; traceId128bit?: boolean } = {}): any {
  return new jaegerClient.Tracer(
    'reference',
    new jaegerClient.InMemoryReporter(),
    new jaegerClient.ConstSampler(options.sampled ?? true),
    { logger: { info() {}, error() {} }, traceId128bit: options.traceId128bit === true },
  );
}

/** Baggage items with characters every encoder has to get right. */
export const SPECIAL_BAGGAGE: Readonly<Record<string, string>> = Object.freeze({
  plain: 'value',
  equals: 'a=b=c',
  comma: 'x, y,z',
  percent: '100% sure %zz %',
  spaces: '  padded  ',
  unicode: 'héllo wörld ✓ 日本 😀',
  empty: '',
  semi: 'a;b',
});
