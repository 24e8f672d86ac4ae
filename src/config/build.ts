import { lookup as dnsLookup } from 'node:dns';
import { JaegerTracer } from '../tracer/tracer';
import type { Sampler } from '../samplers/sampler';
import { ConstSampler } from '../samplers/const';
import { ProbabilisticSampler } from '../samplers/probabilistic';
import { RateLimitingSampler } from '../samplers/rate-limiting';
import type { RemoteSampler } from '../samplers/remote';
import type { Sender } from '../senders/sender';
import { UdpSender, type LookupAll } from '../senders/udp';
import type { HttpSender } from '../senders/http';
import type { Reporter } from '../reporters/reporter';
import { RemoteReporter } from '../reporters/remote';
import type { LoggingReporter } from '../reporters/logging';
import type { CompositeReporter } from '../reporters/composite';

// The remote sampler, the HTTP sender and the logging reporter load only when configured: every
// module required here is paid for in the start-up of every traced process.
const lazy = {
  RemoteSampler: (): typeof RemoteSampler => (require('../samplers/remote') as typeof import('../samplers/remote')).RemoteSampler,
  HttpSender: (): typeof HttpSender => (require('../senders/http') as typeof import('../senders/http')).HttpSender,
  LoggingReporter: (): typeof LoggingReporter => (require('../reporters/logging') as typeof import('../reporters/logging')).LoggingReporter,
  CompositeReporter: (): typeof CompositeReporter => (require('../reporters/composite') as typeof import('../reporters/composite')).CompositeReporter,
};
import { Metrics, type MetricsFactory } from '../metrics/metrics';
import { log, setLogLevel, type Logger } from '../log';
import { loadEnvConfig, type TracerConfig } from './from-env';
import type { EnvLookup } from './parse-value';

/** Used when neither the environment nor the code names the service (OpenTelemetry's convention). */
export const UNKNOWN_SERVICE_NAME = 'unknown_service:node';

/** What code may put in place of the configured parts. */
export interface TracerOverrides {
  /** Wins over config.serviceName. */
  serviceName?: string;
  /** Process tags; each key wins over the same key in config.tags. */
  tags?: Readonly<Record<string, unknown>>;
  /** Replaces the whole reporting pipeline (sender, remote and logging reporters). */
  reporter?: Reporter;
  /** Replaces the configured sampler. */
  sampler?: Sampler;
  /** Where the tracer's metrics go, e.g. a PrometheusMetricsFactory; none by default. */
  metricsFactory?: MetricsFactory;
  /** Receives the tracer's diagnostics instead of stderr. */
  logger?: Logger;
}

// JAEGER_DISABLED: reports nothing, holds nothing, opens nothing.
const DROPPING_REPORTER: Reporter = Object.freeze({
  setProcess() {},
  report() {},
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
});

function buildSampler(config: TracerConfig, serviceName: string, metrics: Metrics, logger: Logger): Sampler {
  const param = config.samplerParam;
  switch (config.samplerType) {
    case 'const':
      return new ConstSampler(param === 1);
    case 'probabilistic':
      return new ProbabilisticSampler(param);
    case 'ratelimiting':
      return new RateLimitingSampler(param);
    case 'remote':
      return new (lazy.RemoteSampler())({
        serviceName,
        samplingUrl: config.samplingUrl,
        refreshIntervalMs: config.samplerRefreshIntervalMs,
        initialSampler: new ProbabilisticSampler(param),
        maxOperations: config.maxOperations,
        metrics,
        logger,
      });
  }
}

function buildSender(config: TracerConfig, logger: Logger): Sender {
  if (config.endpoint !== undefined) {
    try {
      return new (lazy.HttpSender())({
        endpoint: config.endpoint,
        user: config.user,
        password: config.password,
        authToken: config.authToken,
        timeoutMs: config.timeoutMs,
        logger,
      });
    } catch (err) {
      // Parsing has vetted the values; should the sender still refuse them, tracing must not take
      // the application's start-up down.
      logger.error('cannot report to the collector endpoint (%s); using the agent over UDP', (err as Error).message);
    }
  }
  const family = config.agentSocketType === 'udp6' ? 6 : config.agentSocketType === 'udp4' ? 4 : undefined;
  // JAEGER_AGENT_SOCKET_TYPE: resolve the agent's host to that address family only.
  const lookup: LookupAll | undefined = family === undefined
    ? undefined
    : (host, options, callback) => dnsLookup(host, { ...options, family }, callback);
  return new UdpSender({ host: config.agentHost, port: config.agentPort, logger, lookup });
}

/**
 * The configured reporting pipeline alone: RemoteReporter over the HTTP or UDP sender, plus a
 * LoggingReporter when `logSpans`. For code that adds reporters of its own (CompositeReporter).
 */
export function createReporter(config: TracerConfig, metrics: Metrics = new Metrics(), logger: Logger = log): Reporter {
  const remote = new RemoteReporter(buildSender(config, logger), {
    flushIntervalMs: config.flushIntervalMs,
    maxQueueSize: config.maxQueueSize,
    metrics,
    logger,
  });
  if (!config.logSpans) return remote;
  return new (lazy.CompositeReporter())([remote, new (lazy.LoggingReporter())(logger)]);
}

/**
 * Builds a tracer from a resolved configuration: sampler, sender (HTTP when `endpoint` is set,
 * else UDP to the agent), RemoteReporter (plus a LoggingReporter when `logSpans`), metrics,
 * process tags and propagation formats. Applies `config.logLevel` to the built-in stderr logger.
 *
 * With `config.disabled` the tracer samples nothing, reports nothing and opens no socket and no
 * timer (overrides other than serviceName, tags and logger are ignored); it still propagates
 * incoming context, so a disabled service does not break traces passing through it.
 */
export function createTracer(config: TracerConfig, overrides: TracerOverrides = {}): JaegerTracer {
  setLogLevel(config.logLevel);
  const logger = overrides.logger ?? log;
  let serviceName = overrides.serviceName ?? config.serviceName;
  if (serviceName === undefined || serviceName === '') {
    logger.warn('no service name: set JAEGER_SERVICE_NAME; reporting as %s', UNKNOWN_SERVICE_NAME);
    serviceName = UNKNOWN_SERVICE_NAME;
  }
  const tags = { ...config.tags, ...overrides.tags };
  const common = {
    serviceName, tags, logger, traceId128bit: config.traceId128bit, propagation: config.propagation,
    baggageMaxItems: config.baggageMaxItems, baggageMaxBytes: config.baggageMaxBytes,
    debugThrottle: config.debugThrottle, debugTrust: config.debugTrust,
  };
  if (config.disabled) {
    return new JaegerTracer({ ...common, sampler: new ConstSampler(false), reporter: DROPPING_REPORTER });
  }
  const metrics = new Metrics(overrides.metricsFactory);
  const sampler = overrides.sampler ?? buildSampler(config, serviceName, metrics, logger);
  try {
    const reporter = overrides.reporter ?? createReporter(config, metrics, logger);
    return new JaegerTracer({ ...common, sampler, reporter, metrics });
  } catch (err) {
    // Do not leave the remote sampler's timer behind when the rest could not be built.
    if (overrides.sampler === undefined) sampler.close();
    throw err;
  }
}

/** Options for initTracerFromEnv; each one wins over the environment. */
export type InitTracerOptions = TracerOverrides;

/**
 * Builds a tracer from the `JAEGER_*` environment variables, with `options` taking precedence.
 * Configuration warnings go to the logger after JAEGER_LOG_LEVEL has been applied. Never throws
 * for bad environment values: each one is warned about and its default used.
 *
 * @param env the variables to read; process.env when omitted (read in from-env.ts only).
 */
export function initTracerFromEnv(options: InitTracerOptions = {}, env?: EnvLookup): JaegerTracer {
  return createTracer(loadEnvConfig(env, options.logger), options);
}
