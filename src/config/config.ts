import * as opentracing from '../tracer/opentracing';
import { adoptTracer } from '../tracer/global';
import type { JaegerTracer } from '../tracer/tracer';
import type { Sampler } from '../samplers/sampler';
import { noopMetricsFactory, type MetricsFactory } from '../metrics/metrics';
import { log, setLogLevel, type Logger } from '../log';
import type { ConfigValues } from './schema';
import { envOrProcess, readEnv, resolveConfig, type RawSettings, type TracerConfig } from './from-env';
import { readDict, type DictSettings } from './dict';
import { createTracer } from './build';
import type { EnvLookup } from './parse-value';

export interface ConfigOptions {
  /** The service name unless the dict has `service_name`; wins over JAEGER_SERVICE_NAME. */
  serviceName?: string;
  /**
   * true: unknown keys, bad values and a missing service name throw an Error from the constructor.
   * false (default): they are warned about and ignored.
   */
  validate?: boolean;
  /** Where the tracer's metrics go, e.g. `new PrometheusMetricsFactory('my_app')`. */
  metricsFactory?: MetricsFactory;
  /** Receives the tracer's diagnostics instead of stderr. */
  logger?: Logger;
  /** The variables that fill what the dict leaves out; process.env when omitted. */
  env?: EnvLookup;
}

// Once a dict names one member of a group, the environment's values for the listed keys are not
// mixed in: a dict choosing `const` must not inherit JAEGER_SAMPLER_PARAM=0.001, and a dict naming
// the agent must not be overridden by JAEGER_ENDPOINT.
const UNITS: ReadonlyArray<readonly [trigger: readonly (keyof ConfigValues)[], drop: readonly (keyof ConfigValues)[]]> = [
  [['samplerType'], ['samplerParam']],
  [['agentHost', 'agentPort'], ['endpoint']],
  [
    ['samplingEndpoint', 'samplerManagerHostPort', 'samplerHost', 'samplerPort', 'samplingPath'],
    ['samplingEndpoint', 'samplerManagerHostPort', 'samplerHost', 'samplerPort', 'samplingPath'],
  ],
];

let initialized: JaegerTracer | undefined;

function merge(fromEnv: RawSettings, dict: DictSettings, serviceName: string | undefined): RawSettings {
  const values: Partial<ConfigValues> = { ...fromEnv.values };
  const sources = { ...fromEnv.sources };
  for (const [trigger, drop] of UNITS) {
    if (trigger.some((k) => dict.values[k] !== undefined)) {
      for (const k of drop) {
        delete values[k];
        delete sources[k];
      }
    }
  }
  if (serviceName !== undefined && dict.values.serviceName === undefined) {
    values.serviceName = serviceName;
    sources.serviceName = 'the serviceName option';
  }
  Object.assign(values, dict.values);
  Object.assign(sources, dict.sources);
  if (fromEnv.values.tags !== undefined && dict.values.tags !== undefined) {
    values.tags = { ...fromEnv.values.tags, ...dict.values.tags };
  }
  return { values, sources, maxOperations: dict.maxOperations };
}

/**
 * The Python client's `Config`, for code that configures the tracer itself.
 *
 * How the dict and the environment combine: **the dict wins; the `JAEGER_*` variables fill what it
 * leaves out; schema defaults fill the rest.** Tags merge key by key (dict over JAEGER_TAGS). The
 * service name comes from the dict's `service_name`, else the `serviceName` option, else
 * JAEGER_SERVICE_NAME. When the dict names a sampler type, the agent address or the sampling
 * manager, the environment's sampler param, collector endpoint or sampling location is not mixed in.
 *
 * Keys are read in snake_case or camelCase: `sampler: { type, param }`, `local_agent:
 * { reporting_host, reporting_port, sampling_port }`, `logging`, `reporter_queue_size`,
 * `reporter_flush_interval` and `sampling_refresh_interval` (seconds, as in Python), `tags`,
 * `propagation`, `generate_128bit_trace_id`, `enabled`, `service_name`, `max_operations`, `metrics`;
 * the Node client's `serviceName`, `disable`, `reporter: { agentHost, agentPort, collectorEndpoint,
 * username, password, logSpans, flushIntervalMs, timeoutMs }` and `sampler: { hostPort,
 * refreshIntervalMs }`. `trace_id_header`, `baggage_header_prefix`, `debug_id_header`,
 * `max_tag_value_length` and `throttler` are accepted with a warning and have no effect. A
 * Sampler instance may be given as `sampler`; every tracer this Config builds then shares it.
 *
 * @example
 *   const tracer = new Config({ sampler: { type: 'const', param: 1 }, logging: true },
 *     { serviceName: 'your-app-name', validate: true }).initializeTracer();
 */
export class Config {
  /** The resolved configuration every tracer from this Config is built with. */
  readonly settings: TracerConfig;
  readonly #sampler: Sampler | undefined;
  readonly #metricsFactory: MetricsFactory | undefined;
  readonly #logger: Logger;

  /** @throws Error when `validate` is true and the dict or service name is invalid. */
  constructor(config: object = {}, options: ConfigOptions = {}) {
    this.#logger = options.logger ?? log;
    const env = envOrProcess(options.env);
    const dict = readDict(config, env);
    const envWarnings: string[] = [];
    const raw = merge(readEnv(env, (m) => envWarnings.push(m)), dict, options.serviceName);
    const errors = [...dict.errors];
    this.settings = resolveConfig(raw, (key, message) => {
      const fromDict = dict.sources[key] !== undefined && raw.sources[key] === dict.sources[key];
      (fromDict ? errors : envWarnings).push(message);
    });
    if (options.validate === true) {
      // Without validation a missing service name is warned about when a tracer is built.
      if (this.settings.serviceName === undefined || this.settings.serviceName === '') {
        errors.push('no service name: pass serviceName, set service_name in the config or JAEGER_SERVICE_NAME');
      }
      if (errors.length > 0) throw new Error(`Invalid Jaeger config: ${errors.join('; ')}`);
    }
    setLogLevel(this.settings.logLevel);
    for (const m of envWarnings) this.#logger.warn('%s', m);
    for (const m of errors) this.#logger.warn('config: %s; ignored', m);
    for (const m of dict.notices) this.#logger.warn('config: %s', m);
    this.#sampler = dict.sampler;
    this.#metricsFactory = dict.metrics ? options.metricsFactory : noopMetricsFactory;
  }

  /** The service name tracers are reported under (undefined: not configured). */
  get serviceName(): string | undefined {
    return this.settings.serviceName;
  }

  /** Whether some Config has already initialized the global tracer. */
  static initialized(): boolean {
    return initialized !== undefined;
  }

  /**
   * Builds the tracer and makes it opentracing's global tracer (`opentracing.globalTracer()`).
   * Only the first call in a process does this: later calls, on any Config, warn and return the
   * first tracer. Call it after your modules have loaded, not during import.
   */
  initializeTracer(): JaegerTracer {
    if (initialized !== undefined) {
      this.#logger.warn('Jaeger tracer already initialized; returning the existing one');
      return initialized;
    }
    const tracer = this.newTracer();
    opentracing.initGlobalTracer(tracer);
    initialized = tracer;
    if (adoptTracer(tracer)) this.#logger.info('instrumentations now report to the tracer built by Config.initializeTracer()');
    return tracer;
  }

  /** Builds another tracer from this Config; the global tracer is left alone. */
  newTracer(): JaegerTracer {
    return createTracer(this.settings, {
      sampler: this.#sampler,
      metricsFactory: this.#metricsFactory,
      logger: this.#logger,
    });
  }
}
