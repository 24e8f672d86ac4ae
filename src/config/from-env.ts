import { log, setLogLevel, type Logger } from '../log';
import {
  DEFAULT_SAMPLING_PORT, SAMPLER_PARAM_DEFAULTS, SCHEMA, entryForKey,
  type ConfigValues, type SamplerType, type SchemaEntry,
} from './schema';
import { parseValue, showValue, splitHostPort, type EnvLookup } from './parse-value';

// The only file that reads process.env. Parsing never throws: a bad value costs one warning that
// names the variable and the value (secrets redacted), and the default is used instead.

/** The tracer's settings, frozen: every schema value plus what is derived from them. */
export interface TracerConfig extends Readonly<ConfigValues> {
  /** The sampling manager URL the remote sampler polls (it appends `?service=`). */
  readonly samplingUrl: string;
  /** Cap on per-operation samplers for `remote` (Config dict only). */
  readonly maxOperations: number | undefined;
}

/** Receives one human-readable warning. */
export type Warn = (message: string) => void;

/** Where a value came from, for messages: an env var name or a Config dict path. */
export type Sources = Partial<Record<keyof ConfigValues, string>>;

/** Values read from one source, before defaults and cross-field checks. */
export interface RawSettings {
  values: Partial<ConfigValues>;
  sources: Sources;
  maxOperations?: number;
}

/** A problem found while resolving: which setting, and the message. */
export type Problem = (key: keyof ConfigValues, message: string) => void;

/** `env`, or process.env when it is undefined. */
export function envOrProcess(env?: EnvLookup): EnvLookup {
  return env ?? process.env;
}

const defaultWarn: Warn = (message) => log.warn('%s', message);

/** How an entry's default reads in a warning. */
export function describeDefault(entry: SchemaEntry): string {
  if (entry.defaultText !== undefined) return entry.defaultText.replace(/`/g, '');
  if (entry.default === undefined) return 'unset';
  return Array.isArray(entry.default) ? entry.default.join(',') : String(entry.default);
}

/**
 * Reads every schema variable that is set and non-empty from `env`. A primary name wins over its
 * aliases. Bad values are warned about and left out, so the default applies.
 */
export function readEnv(env: EnvLookup = process.env, warn: Warn = defaultWarn): RawSettings {
  const values: Record<string, unknown> = {};
  const sources: Sources = {};
  for (const entry of SCHEMA) {
    const name = [entry.env, ...(entry.aliases ?? [])].find((n) => {
      const value: unknown = env[n];
      return typeof value === 'string' && value.trim() !== '';
    });
    if (name === undefined) continue;
    const raw = env[name] as string;
    const { value, problem } = parseValue(entry, raw, env);
    if (problem !== undefined) {
      const fallback = value === undefined ? `; using the default (${describeDefault(entry)})` : '';
      warn(`${name}=${showValue(entry, raw)} ${problem}${fallback}`);
    }
    if (value !== undefined) {
      values[entry.key] = value;
      sources[entry.key] = name;
    }
  }
  return { values: values as Partial<ConfigValues>, sources };
}

/** Checks a sampler param against its type; returns a problem phrase or undefined. */
export function samplerParamProblem(type: SamplerType, param: number): string | undefined {
  switch (type) {
    case 'const':
      return param === 0 || param === 1 ? undefined : 'must be 0 or 1 for the const sampler';
    case 'probabilistic':
    case 'remote':
      return param >= 0 && param <= 1 ? undefined : `must be a probability in 0-1 for the ${type} sampler`;
    case 'ratelimiting':
      return param >= 0 ? undefined : 'must be ≥ 0 traces per second for the ratelimiting sampler';
  }
}

function bracketHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** JAEGER_SAMPLING_ENDPOINT, else host:port (manager, then the deprecated pair, then the agent host). */
function samplingUrlOf(v: ConfigValues): string {
  if (v.samplingEndpoint !== undefined) return v.samplingEndpoint;
  const hp = v.samplerManagerHostPort === undefined ? undefined : splitHostPort(v.samplerManagerHostPort);
  const host = hp?.host ?? bracketHost(v.samplerHost ?? v.agentHost);
  const port = hp?.port ?? v.samplerPort ?? DEFAULT_SAMPLING_PORT;
  const path = v.samplingPath.startsWith('/') ? v.samplingPath : `/${v.samplingPath}`;
  return `http://${host}:${port}${path}`;
}

/**
 * Fills defaults, applies the cross-field rules (sampler param per type, log level when spans are
 * logged, password without user) and freezes the result.
 */
export function resolveConfig(raw: RawSettings, problem: Problem): TracerConfig {
  const v: Record<string, unknown> = {};
  for (const entry of SCHEMA) v[entry.key] = raw.values[entry.key] ?? entry.default;
  const values = v as unknown as ConfigValues;
  const name = (key: keyof ConfigValues) => raw.sources[key] ?? entryForKey(key).env;

  const typeDefault = SAMPLER_PARAM_DEFAULTS[values.samplerType];
  if (raw.values.samplerParam === undefined) {
    values.samplerParam = typeDefault;
  } else {
    const why = samplerParamProblem(values.samplerType, raw.values.samplerParam);
    if (why !== undefined) {
      problem('samplerParam', `${name('samplerParam')}=${raw.values.samplerParam} ${why}; using ${typeDefault}`);
      values.samplerParam = typeDefault;
    }
  }
  if (raw.values.logLevel === undefined && values.logSpans) values.logLevel = 'info';
  if (values.password !== undefined && values.user === undefined) {
    problem('password', `${name('password')}=<redacted> is set without ${name('user')}; ignored`);
    values.password = undefined;
  }
  return Object.freeze({
    ...values,
    tags: Object.freeze({ ...values.tags }),
    propagation: Object.freeze([...values.propagation]),
    samplingUrl: samplingUrlOf(values),
    maxOperations: raw.maxOperations,
  });
}

/**
 * The tracer configuration from `JAEGER_*` variables. Never throws; every bad variable produces
 * exactly one call to `warn` naming it and its value (secrets shown as `<redacted>`).
 */
export function parseEnv(env: EnvLookup = process.env, warn: Warn = defaultWarn): TracerConfig {
  return resolveConfig(readEnv(env, warn), (_key, message) => warn(message));
}

/**
 * parseEnv for an entry point: applies JAEGER_LOG_LEVEL first, then reports the warnings through
 * `logger`, so that the level also governs them. Cheap (loads no tracer code): the preload can call
 * it to check `disabled`, then hand the same config to createTracer, and warnings print once.
 */
export function loadEnvConfig(env?: EnvLookup, logger: Logger = log): TracerConfig {
  const warnings: string[] = [];
  const config = parseEnv(env, (message) => warnings.push(message));
  setLogLevel(config.logLevel);
  for (const message of warnings) logger.warn('%s', message);
  return config;
}
