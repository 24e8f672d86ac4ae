import type { Sampler } from '../samplers/sampler';
import { entryForKey, type ConfigValues } from './schema';
import { parseValue, showValue, type EnvLookup } from './parse-value';
import type { RawSettings } from './from-env';

// Maps a Config dict onto schema keys. Three shapes are read, each in snake_case or camelCase:
// the Python client's (sampler, local_agent, logging, reporter_flush_interval in seconds, …), the
// Node reference client's (serviceName, disable, reporter: { agentHost, collectorEndpoint, … }),
// and our own extras (authToken, maxQueueSize, samplingEndpoint, logLevel).

type Field =
  | { readonly to: keyof ConfigValues; readonly scale?: number; readonly invert?: boolean }
  | { readonly group: Readonly<Record<string, Field>> }
  | { readonly ignored: string }
  | { readonly unsupported: string; readonly standard?: unknown }
  | { readonly special: 'maxOperations' | 'metrics' };

const SAMPLER: Record<string, Field> = {
  type: { to: 'samplerType' },
  param: { to: 'samplerParam' },
  hostPort: { to: 'samplerManagerHostPort' },
  host: { to: 'samplerHost' },
  port: { to: 'samplerPort' },
  samplingPath: { to: 'samplingPath' },
  samplingEndpoint: { to: 'samplingEndpoint' },
  refreshIntervalMs: { to: 'samplerRefreshIntervalMs' },
  maxOperations: { special: 'maxOperations' },
};

const LOCAL_AGENT: Record<string, Field> = {
  reportingHost: { to: 'agentHost' },
  reportingPort: { to: 'agentPort' },
  samplingPort: { to: 'samplerPort' },
  enabled: { ignored: 'the agent is always used unless an endpoint is configured' },
};

const REPORTER: Record<string, Field> = {
  logSpans: { to: 'logSpans' },
  agentHost: { to: 'agentHost' },
  agentPort: { to: 'agentPort' },
  agentSocketType: { to: 'agentSocketType' },
  collectorEndpoint: { to: 'endpoint' },
  username: { to: 'user' },
  password: { to: 'password' },
  authToken: { to: 'authToken' },
  flushIntervalMs: { to: 'flushIntervalMs' },
  timeoutMs: { to: 'timeoutMs' },
  maxQueueSize: { to: 'maxQueueSize' },
};

const UNSUPPORTED_HEADER = 'custom header names are not supported; the standard ones are used';

const TOP: Record<string, Field> = {
  serviceName: { to: 'serviceName' },
  enabled: { to: 'disabled', invert: true },
  disable: { to: 'disabled' },
  disabled: { to: 'disabled' },
  logging: { to: 'logSpans' },
  logLevel: { to: 'logLevel' },
  reporterQueueSize: { to: 'maxQueueSize' },
  reporterFlushInterval: { to: 'flushIntervalMs', scale: 1000 },
  samplingRefreshInterval: { to: 'samplerRefreshIntervalMs', scale: 1000 },
  tags: { to: 'tags' },
  propagation: { to: 'propagation' },
  generate128bitTraceId: { to: 'traceId128bit' },
  traceId128bit: { to: 'traceId128bit' },
  maxOperations: { special: 'maxOperations' },
  metrics: { special: 'metrics' },
  reporterBatchSize: { ignored: 'spans are batched by datagram size' },
  maxTracebackLength: { ignored: 'the tracer logs no tracebacks' },
  // Setting them to the standard names changes nothing, so that draws no warning.
  traceIdHeader: { unsupported: UNSUPPORTED_HEADER, standard: 'uber-trace-id' },
  baggageHeaderPrefix: { unsupported: UNSUPPORTED_HEADER, standard: 'uberctx-' },
  debugIdHeader: { unsupported: UNSUPPORTED_HEADER, standard: 'jaeger-debug-id' },
  maxTagValueLength: { unsupported: 'tag values are not truncated' },
  throttler: { unsupported: 'debug ids are throttled locally: use JAEGER_DEBUG_THROTTLE' },
  sampler: { group: SAMPLER },
  localAgent: { group: LOCAL_AGENT },
  reporter: { group: REPORTER },
};

/** What a Config dict says, before the environment fills the gaps. */
export interface DictSettings extends RawSettings {
  /** A Sampler instance given as `sampler` (the Python client allows that too). */
  sampler?: Sampler;
  /** false when the dict says `metrics: false`. */
  metrics: boolean;
  /** Values that are wrong: errors under `validate: true`, else warnings. */
  errors: string[];
  /** Always warnings: keys that are understood but have no effect here. */
  notices: string[];
}

/** snake_case → camelCase; `generate_128bit_trace_id` → `generate128bitTraceId`. */
export function camelCase(key: string): string {
  return key.replace(/_+([a-z0-9])/gi, (_, c: string) => c.toUpperCase());
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const isSampler = (v: unknown): v is Sampler =>
  isPlainObject(v) && typeof (v as { sample?: unknown }).sample === 'function';

/** Reads a Config dict. Never throws; problems are collected in `errors` and `notices`. */
export function readDict(dict: unknown, env: EnvLookup): DictSettings {
  const out: DictSettings = { values: {}, sources: {}, metrics: true, errors: [], notices: [] };
  if (!isPlainObject(dict)) {
    out.errors.push(`config must be an object, not ${showValue(undefined, dict)}`);
    return out;
  }
  walk(dict, TOP, '', out, env);
  return out;
}

function walk(obj: Record<string, unknown>, fields: Record<string, Field>, prefix: string, out: DictSettings, env: EnvLookup) {
  const seen = new Map<string, string>();
  for (const [key, raw] of Object.entries(obj)) {
    const path = prefix + key;
    const name = camelCase(key);
    const field = Object.prototype.hasOwnProperty.call(fields, name) ? fields[name] : undefined;
    if (field === undefined) {
      out.errors.push(`unknown key ${path}`);
      continue;
    }
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      out.errors.push(`${path} repeats ${prefix}${earlier}; the later one is used`);
    }
    seen.set(name, key);
    if (raw === undefined || raw === null) continue;
    if ('group' in field) {
      if (name === 'sampler' && isSampler(raw)) out.sampler = raw;
      else if (isPlainObject(raw)) walk(raw, field.group, `${path}.`, out, env);
      else out.errors.push(`${path} must be an object, not ${showValue(undefined, raw)}`);
    } else if ('ignored' in field) {
      out.notices.push(`${path} has no effect here: ${field.ignored}`);
    } else if ('unsupported' in field) {
      if (raw !== field.standard) out.notices.push(`${path} is not supported and is ignored: ${field.unsupported}`);
    } else if ('special' in field) {
      special(field.special, path, raw, out);
    } else {
      assign(field, path, raw, out, env);
    }
  }
}

function special(kind: 'maxOperations' | 'metrics', path: string, raw: unknown, out: DictSettings) {
  if (kind === 'metrics') {
    const { value, problem } = parseValue(entryForKey('disabled'), raw); // any boolean entry
    if (problem !== undefined) out.errors.push(`${path}=${showValue(undefined, raw)} ${problem}`);
    else out.metrics = value as boolean;
    return;
  }
  const n = typeof raw === 'string' ? Number(raw) : raw;
  if (typeof n === 'number' && Number.isInteger(n) && n >= 1) out.maxOperations = n;
  else out.errors.push(`${path}=${showValue(undefined, raw)} is not a whole number ≥ 1`);
}

function assign(
  field: { to: keyof ConfigValues; scale?: number; invert?: boolean },
  path: string, raw: unknown, out: DictSettings, env: EnvLookup,
) {
  const entry = entryForKey(field.to);
  let input = raw;
  // The Python client's const param may be a boolean.
  if (field.to === 'samplerParam' && typeof raw === 'boolean') input = raw ? 1 : 0;
  if (field.scale !== undefined) {
    const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
    if (Number.isFinite(n)) input = Math.round(n * field.scale);
  }
  const { value, problem } = parseValue(entry, input, env);
  const unit = field.scale === 1000 ? ' (seconds)' : '';
  if (problem !== undefined) out.errors.push(`${path}=${showValue(entry, raw)}${unit} ${problem}`);
  if (value === undefined) return;
  (out.values as Record<string, unknown>)[field.to] = field.invert === true ? !value : value;
  out.sources[field.to] = path;
}
