// jaeger-auto's public API: the tracer, its parts, and the ways to configure it.
export { JaegerTracer, DEFAULT_PROPAGATION, type JaegerTracerOptions } from './tracer/tracer';
export { JaegerSpan } from './tracer/span';
export { JaegerSpanContext } from './tracer/span-context';
export type { FinishedSpan, ProcessInfo, Tag, LogRecord, SpanReference, ReferenceType } from './tracer/finished-span';
export * as constants from './tracer/constants';

export type { Sampler, SamplingDecision } from './samplers/sampler';
export { ConstSampler } from './samplers/const';
export { ProbabilisticSampler } from './samplers/probabilistic';
export { RateLimitingSampler } from './samplers/rate-limiting';
export { GuaranteedThroughputSampler } from './samplers/guaranteed-throughput';
export { PerOperationSampler } from './samplers/per-operation';
export { RemoteSampler, type RemoteSamplerOptions } from './samplers/remote';

export type { Reporter } from './reporters/reporter';
export { RemoteReporter, type RemoteReporterOptions, type ReporterStats } from './reporters/remote';
export { LoggingReporter } from './reporters/logging';
export { InMemoryReporter } from './reporters/in-memory';
export { CompositeReporter } from './reporters/composite';

export type { Sender, SenderEvents, DropReason } from './senders/sender';
export { UdpSender, type UdpSenderOptions } from './senders/udp';
export { HttpSender, type HttpSenderOptions } from './senders/http';

export type { Codec, Carrier } from './codecs/codec';
export type { PropagationFormat } from './codecs/composite';

export { Metrics, type MetricsFactory, type Counter, type Gauge } from './metrics/metrics';
export { PrometheusMetricsFactory } from './metrics/prometheus';
export type { Logger, LogLevel } from './log';

export { Config, type ConfigOptions } from './config/config';
export {
  initTracerFromEnv, createTracer, createReporter, UNKNOWN_SERVICE_NAME,
  type InitTracerOptions, type TracerOverrides,
} from './config/build';
export { parseEnv, loadEnvConfig, type TracerConfig } from './config/from-env';

// Context, for code running under the preload (or any code using the tracer's scope manager).
export { activeSpan, activate, bind, runUntraced } from './context/scope-manager';
/** The preload's tracer (built on first call if the preload has not built it yet), or undefined. */
export { getTracer } from './tracer/global';
export { defineInstrumentation, type InstrumentationDefinition, type PatchContext } from './loader/definition';
