// Jaeger-specific names. Generic OpenTracing tag keys come from opentracing.Tags.

/** Span context flag bits, as in the Thrift Span.flags field and the uber-trace-id header. */
export const SAMPLED_FLAG = 0x01;
export const DEBUG_FLAG = 0x02;

export const SAMPLER_TYPE_TAG_KEY = 'sampler.type';
export const SAMPLER_PARAM_TAG_KEY = 'sampler.param';

export const SAMPLER_TYPE_CONST = 'const';
export const SAMPLER_TYPE_PROBABILISTIC = 'probabilistic';
export const SAMPLER_TYPE_RATE_LIMITING = 'ratelimiting';
export const SAMPLER_TYPE_LOWER_BOUND = 'lowerbound';
export const SAMPLER_TYPE_REMOTE = 'remote';

export const JAEGER_DEBUG_HEADER = 'jaeger-debug-id';
export const JAEGER_BAGGAGE_HEADER = 'jaeger-baggage';
export const TRACER_STATE_HEADER_NAME = 'uber-trace-id';
export const TRACER_BAGGAGE_HEADER_PREFIX = 'uberctx-';

export const JAEGER_CLIENT_VERSION_TAG_KEY = 'jaeger.version';
export const TRACER_HOSTNAME_TAG_KEY = 'hostname';
export const TRACER_IP_TAG_KEY = 'ip';
export const TRACER_CLIENT_ID_TAG_KEY = 'client-uuid';

/** Our package version, read once at load: it names us in the jaeger.version process tag. */
export const VERSION: string = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return String(require('../../../package.json').version);
  } catch {
    return '0.0.0';
  }
})();
export const JAEGER_CLIENT_VERSION = `Node-jaeger-auto-${VERSION}`;
