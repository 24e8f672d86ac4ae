import type { LogLevel } from '../log';
import type { PropagationFormat } from '../codecs/composite';

// The one table behind every setting: from-env.ts parses with it, config.ts maps the Config dict
// onto its keys, and the README's environment table is rendered from it (npm run docs:env).

export type SamplerType = 'const' | 'probabilistic' | 'ratelimiting' | 'remote';
export type SocketType = 'udp4' | 'udp6';

/** Every setting after parsing. TracerConfig is this, frozen, plus what is derived from it. */
export interface ConfigValues {
  serviceName: string | undefined;
  disabled: boolean;
  agentHost: string;
  agentPort: number;
  agentSocketType: SocketType | undefined;
  endpoint: string | undefined;
  user: string | undefined;
  password: string | undefined;
  authToken: string | undefined;
  timeoutMs: number;
  flushIntervalMs: number;
  maxQueueSize: number;
  logSpans: boolean;
  samplerType: SamplerType;
  samplerParam: number;
  samplingEndpoint: string | undefined;
  samplerManagerHostPort: string | undefined;
  samplerHost: string | undefined;
  samplerPort: number | undefined;
  samplingPath: string;
  samplerRefreshIntervalMs: number;
  tags: Readonly<Record<string, unknown>>;
  traceId128bit: boolean;
  propagation: readonly PropagationFormat[];
  baggageMaxItems: number;
  baggageMaxBytes: number;
  debugThrottle: number;
  debugTrust: boolean;
  logLevel: LogLevel;
  instrumentations: readonly string[];
  disabledInstrumentations: readonly string[];
  httpIgnorePaths: readonly string[];
  dbCaptureParams: boolean;
  dbSanitize: boolean;
  dbStatementMaxLength: number;
  expressMiddlewareSpans: boolean;
  graphqlResolverSpans: boolean;
  logsInjection: boolean;
  workerThreads: boolean;
}

/**
 * How a raw value is read. boolean: true/false/1/0/yes/no (any case); integer: whole number ≥ min
 * (0 unless given); port: 1–65535; url: absolute http(s) URL; host-port: `host:port`; enum: one of
 * `values`; list: comma-separated items from `values`; tags: `k=v,k2=${ENV_VAR:default}`.
 */
export type ValueType =
  'string' | 'boolean' | 'number' | 'integer' | 'port' | 'url' | 'host-port' | 'enum' | 'list' | 'tags' | 'paths';

export interface SchemaEntry {
  /** The ConfigValues field this variable sets. */
  readonly key: keyof ConfigValues;
  /** The environment variable. */
  readonly env: string;
  /** Other spellings the reference client accepts; the primary name wins when both are set. */
  readonly aliases?: readonly string[];
  readonly type: ValueType;
  /** Used when the variable is unset, empty or bad. */
  readonly default: unknown;
  /** How the default reads in the README, when it is not simply `default`. */
  readonly defaultText?: string;
  /** A value to copy into a shell. */
  readonly example: string;
  /** What it does, with units. */
  readonly doc: string;
  /** Allowed values for enum and list types. */
  readonly values?: readonly string[];
  /** Accepted spellings mapped to their canonical enum/list value. */
  readonly valueAliases?: Readonly<Record<string, string>>;
  /** Lower bound for number and integer types. */
  readonly min?: number;
  /** Upper bound for number types. */
  readonly max?: number;
  /** The value is a credential: never printed, not even in a warning. */
  readonly secret?: boolean;
  /** Sent verbatim in an HTTP header: trimmed, and no spaces or control characters inside. */
  readonly headerValue?: boolean;
}

export const SAMPLER_TYPES: readonly SamplerType[] = ['const', 'probabilistic', 'ratelimiting', 'remote'];

/**
 * The sampler param when none is given, per type. remote's param is the probability used until the
 * first strategy arrives, 0.001 as in Jaeger's own default strategy.
 */
export const SAMPLER_PARAM_DEFAULTS: Readonly<Record<SamplerType, number>> = Object.freeze({
  const: 1, probabilistic: 0.001, ratelimiting: 1, remote: 0.001,
});

/**
 * The ids of the built-in instrumentations (file names in instrumentations/), for the allow and deny
 * lists. The loader's registry must list exactly these; a test holds them together.
 */
export const INSTRUMENTATION_IDS: readonly string[] = Object.freeze([
  'http', 'opentracing', 'mysql', 'mysql2', 'ioredis', 'pg', 'redis', 'express', 'koa', 'fastify', 'undici', 'amqplib',
  'grpc', 'graphql', 'pino', 'winston',
]);

/** The agent's sampling port, used when only a host is known. */
export const DEFAULT_SAMPLING_PORT = 5778;

export const SCHEMA: readonly SchemaEntry[] = Object.freeze([
  {
    key: 'serviceName', env: 'JAEGER_SERVICE_NAME', type: 'string', default: undefined,
    defaultText: '`unknown_service:node` (with a warning)', example: 'checkout',
    doc: 'The service name every span is reported under.',
  },
  {
    key: 'disabled', env: 'JAEGER_DISABLED', aliases: ['JAEGER_DISABLE'], type: 'boolean', default: false,
    example: 'true',
    doc: 'Turns tracing off. The preload installs no hooks; a tracer built anyway samples nothing, '
      + 'opens no socket and starts no timer, but still passes incoming trace headers on.',
  },
  {
    key: 'agentHost', env: 'JAEGER_AGENT_HOST', aliases: ['JAEGER_REPORTER_AGENT_HOST'], type: 'string',
    default: 'localhost', example: 'jaeger-agent',
    doc: 'Host of the Jaeger agent that receives spans over UDP (unless `JAEGER_ENDPOINT` is set).',
  },
  {
    key: 'agentPort', env: 'JAEGER_AGENT_PORT', aliases: ['JAEGER_REPORTER_AGENT_PORT'], type: 'port',
    default: 6831, example: '6831',
    doc: "The agent's UDP port for the compact Thrift protocol.",
  },
  {
    key: 'agentSocketType', env: 'JAEGER_AGENT_SOCKET_TYPE', type: 'enum', values: ['udp4', 'udp6'],
    default: undefined, defaultText: 'IPv4, or IPv6 when the host has only IPv6 addresses', example: 'udp6',
    doc: "`udp4` or `udp6`: only that address family of the agent's host is used.",
  },
  {
    key: 'endpoint', env: 'JAEGER_ENDPOINT', aliases: ['JAEGER_REPORTER_ENDPOINT'], type: 'url',
    default: undefined, defaultText: 'unset (UDP to the agent)', example: 'http://jaeger:14268/api/traces',
    doc: "The collector's URL. When set, spans are POSTed there over HTTP instead of UDP to the agent.",
  },
  {
    key: 'user', env: 'JAEGER_USER', aliases: ['JAEGER_REPORTER_USER'], type: 'string', default: undefined,
    example: 'tracer', doc: 'User name for basic auth to `JAEGER_ENDPOINT`.',
  },
  {
    key: 'password', env: 'JAEGER_PASSWORD', aliases: ['JAEGER_REPORTER_PASSWORD'], type: 'string',
    default: undefined, example: 's3cret', secret: true,
    doc: 'Password for basic auth to `JAEGER_ENDPOINT`; used with `JAEGER_USER`. Never logged.',
  },
  {
    key: 'authToken', env: 'JAEGER_AUTH_TOKEN', type: 'string', default: undefined, example: 'eyJhbGciOi...',
    secret: true, headerValue: true,
    doc: 'Bearer token sent to `JAEGER_ENDPOINT`; takes precedence over user/password. Never logged.',
  },
  {
    key: 'timeoutMs', env: 'JAEGER_REPORTER_TIMEOUT', type: 'integer', min: 1, default: 5000, example: '2000',
    doc: 'HTTP timeout for one POST to `JAEGER_ENDPOINT`, in milliseconds.',
  },
  {
    key: 'flushIntervalMs', env: 'JAEGER_REPORTER_FLUSH_INTERVAL', type: 'integer', min: 1, default: 1000,
    example: '500', doc: 'How often buffered spans are sent, in milliseconds.',
  },
  {
    key: 'maxQueueSize', env: 'JAEGER_REPORTER_MAX_QUEUE_SIZE', type: 'integer', min: 1, default: 2048,
    example: '10000', doc: 'Spans held waiting to be sent; further spans are dropped and counted.',
  },
  {
    key: 'logSpans', env: 'JAEGER_REPORTER_LOG_SPANS', type: 'boolean', default: false, example: 'true',
    doc: 'Also log one line per reported span (at info level) on stderr.',
  },
  {
    key: 'samplerType', env: 'JAEGER_SAMPLER_TYPE', type: 'enum', values: SAMPLER_TYPES,
    valueAliases: { rate_limiting: 'ratelimiting' }, default: 'const', example: 'remote',
    doc: '`const` (all or nothing), `probabilistic`, `ratelimiting` or `remote` (strategy from the '
      + 'sampling manager). The default traces every request so a first run shows traces; see '
      + '"Sampling in production".',
  },
  {
    key: 'samplerParam', env: 'JAEGER_SAMPLER_PARAM', type: 'number', default: undefined,
    defaultText: 'const `1`, probabilistic `0.001`, ratelimiting `1`, remote `0.001`', example: '0.1',
    doc: 'const: `1` samples all, `0` none; probabilistic: probability 0–1; ratelimiting: traces per '
      + 'second (≥ 0); remote: probability used until the first strategy arrives.',
  },
  {
    key: 'samplingEndpoint', env: 'JAEGER_SAMPLING_ENDPOINT', type: 'url', default: undefined,
    defaultText: 'from the variables below', example: 'http://jaeger-agent:5778/sampling',
    doc: 'Full URL of the sampling manager for `remote` (`?service=` is added). Wins over the '
      + 'host/port variables below.',
  },
  {
    key: 'samplerManagerHostPort', env: 'JAEGER_SAMPLER_MANAGER_HOST_PORT', type: 'host-port',
    default: undefined, defaultText: '`JAEGER_AGENT_HOST`:5778', example: 'jaeger-agent:5778',
    doc: 'Host and port of the sampling manager, as `host:port`.',
  },
  {
    key: 'samplerHost', env: 'JAEGER_SAMPLER_HOST', type: 'string', default: undefined,
    defaultText: '`JAEGER_AGENT_HOST`', example: 'jaeger-agent',
    doc: 'Deprecated: sampling manager host; use `JAEGER_SAMPLER_MANAGER_HOST_PORT`.',
  },
  {
    key: 'samplerPort', env: 'JAEGER_SAMPLER_PORT', type: 'port', default: undefined, defaultText: '`5778`',
    example: '5778', doc: 'Deprecated: sampling manager port; use `JAEGER_SAMPLER_MANAGER_HOST_PORT`.',
  },
  {
    key: 'samplingPath', env: 'JAEGER_SAMPLER_SAMPLING_PATH', type: 'string', default: '/sampling',
    example: '/api/sampling', doc: 'Path of the sampling endpoint on the sampling manager host.',
  },
  {
    key: 'samplerRefreshIntervalMs', env: 'JAEGER_SAMPLER_REFRESH_INTERVAL', type: 'integer', min: 1,
    default: 60000, example: '30000', doc: 'How often `remote` polls for its strategy, in milliseconds.',
  },
  {
    key: 'tags', env: 'JAEGER_TAGS', type: 'tags', default: {}, defaultText: 'none',
    example: 'region=eu,pod=${HOSTNAME:unknown}',
    doc: 'Process tags, `key=value` separated by commas. `${VAR}` or `${VAR:default}` takes the '
      + 'value of environment variable VAR. Malformed entries are skipped with a warning.',
  },
  {
    key: 'traceId128bit', env: 'JAEGER_TRACEID_128BIT', type: 'boolean', default: false, example: 'true',
    doc: 'Start new traces with 128-bit trace ids instead of 64-bit.',
  },
  {
    key: 'propagation', env: 'JAEGER_PROPAGATION', type: 'list', values: ['jaeger', 'w3c', 'b3', 'b3-single'],
    default: ['jaeger', 'w3c'], defaultText: '`jaeger,w3c`', example: 'jaeger,w3c,b3',
    doc: 'Header formats: all are injected, the first valid one found is extracted. `jaeger` '
      + '(uber-trace-id), `w3c` (traceparent), `b3` (X-B3-*), `b3-single` (b3).',
  },
  {
    key: 'baggageMaxItems', env: 'JAEGER_BAGGAGE_MAX_ITEMS', type: 'integer', min: 0, default: 64, example: '16',
    doc: 'Baggage items one span context may hold: incoming items past it are left out and '
      + 'counted, and `setBaggageItem` past it is refused.',
  },
  {
    key: 'baggageMaxBytes', env: 'JAEGER_BAGGAGE_MAX_BYTES', type: 'integer', min: 0, default: 8192,
    example: '2048',
    doc: 'UTF-8 bytes of baggage keys and values together that one span context may hold; items '
      + 'that would pass it are left out and counted.',
  },
  {
    key: 'debugThrottle', env: 'JAEGER_DEBUG_THROTTLE', type: 'number', min: 0, default: 1, example: '5',
    doc: 'Debug traces per second that incoming `jaeger-debug-id` headers may force (bursts of up to '
      + 'the same number, at least 1); further requests are sampled normally. `0` ignores the header.',
  },
  {
    key: 'debugTrust', env: 'JAEGER_DEBUG_TRUST', type: 'boolean', default: false, example: 'true',
    doc: 'Honour every `jaeger-debug-id` without the throttle: only when every caller is trusted.',
  },
  {
    key: 'logLevel', env: 'JAEGER_LOG_LEVEL', type: 'enum', values: ['silent', 'error', 'warn', 'info', 'debug'],
    default: 'warn', defaultText: '`warn` (`info` when `JAEGER_REPORTER_LOG_SPANS` is on)', example: 'debug',
    doc: "Level of the tracer's own diagnostics on stderr: `error`, `warn`, `info`, `debug` or `silent`.",
  },
  {
    key: 'instrumentations', env: 'JAEGER_INSTRUMENTATIONS', type: 'list', values: INSTRUMENTATION_IDS,
    default: [], defaultText: 'all', example: 'http,pg',
    doc: 'Preload only: instrument only these modules (allow list). Unknown names are warned about.',
  },
  {
    key: 'disabledInstrumentations', env: 'JAEGER_DISABLED_INSTRUMENTATIONS', type: 'list',
    values: INSTRUMENTATION_IDS, default: [], defaultText: 'none', example: 'redis',
    doc: 'Preload only: never instrument these modules (deny list; wins over the allow list).',
  },
  {
    key: 'httpIgnorePaths', env: 'JAEGER_HTTP_IGNORE_PATHS', type: 'paths', default: [], defaultText: 'none',
    example: '/health,/metrics,/static/*',
    doc: 'Incoming requests to these paths create no span: exact paths (query string ignored), or '
      + 'prefixes ending in `*`.',
  },
  {
    key: 'dbCaptureParams', env: 'JAEGER_DB_CAPTURE_PARAMS', type: 'boolean', default: false, example: 'true',
    doc: 'Record SQL parameter values (tag `db.params`). Off by default: parameters carry user data.',
  },
  {
    key: 'dbSanitize', env: 'JAEGER_DB_SANITIZE', type: 'boolean', default: true, example: 'false',
    doc: 'Replace literal values written inline in SQL text (strings, numbers) by `?` in `db.statement`. '
      + 'On by default: inline literals are often emails, names or tokens; placeholders are kept either way.',
  },
  {
    key: 'dbStatementMaxLength', env: 'JAEGER_DB_STATEMENT_MAX_LENGTH', type: 'integer', min: 16,
    default: 2048, example: '4096',
    doc: '`db.statement` is cut to this many characters (an ellipsis marks the cut).',
  },
  {
    key: 'expressMiddlewareSpans', env: 'JAEGER_EXPRESS_MIDDLEWARE_SPANS', type: 'boolean', default: false,
    example: 'true',
    doc: 'One span per express middleware and route handler, children of the request\'s span. Off by '
      + 'default: a typical app runs a dozen middlewares per request and the waterfall drowns in them.',
  },
  {
    key: 'graphqlResolverSpans', env: 'JAEGER_GRAPHQL_RESOLVER_SPANS', type: 'boolean', default: false,
    example: 'true',
    doc: 'One span per GraphQL field resolver, children of the operation\'s span. Off by default: a list '
      + 'query resolves thousands of fields.',
  },
  {
    key: 'logsInjection', env: 'JAEGER_LOGS_INJECTION', type: 'boolean', default: true, example: 'false',
    doc: 'Add `trace_id` and `span_id` to every pino and winston record written while a span is active, '
      + 'so a log line leads to its trace.',
  },
  {
    key: 'workerThreads', env: 'JAEGER_WORKER_THREADS', type: 'boolean', default: true, example: 'false',
    doc: 'Preload only: trace worker threads, each with its own tracer (same service, own `client-uuid`, '
      + 'process tag `thread.id`). `false` leaves workers untouched: no hook, no tracer, no socket.',
  },
] satisfies SchemaEntry[]);

/** The schema entry for an environment variable (primary name or alias). */
export function entryForEnv(name: string): SchemaEntry | undefined {
  return SCHEMA.find((e) => e.env === name || e.aliases?.includes(name) === true);
}

/** The schema entry that sets a ConfigValues field. */
export function entryForKey(key: keyof ConfigValues): SchemaEntry {
  const entry = SCHEMA.find((e) => e.key === key);
  if (entry === undefined) throw new Error(`no schema entry for ${key}`);
  return entry;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README's environment-variable table, as markdown. */
export function renderEnvTable(): string {
  const rows = SCHEMA.map((e) => {
    const names = [`\`${e.env}\``, ...(e.aliases ?? []).map((a) => `alias \`${a}\``)].join('<br>');
    const def = e.defaultText ?? (
      Array.isArray(e.default) ? `\`${e.default.join(',')}\`` : e.default === undefined ? 'unset' : `\`${String(e.default)}\``);
    return `| ${names} | ${cell(def)} | \`${cell(e.example)}\` | ${cell(e.doc)} |`;
  });
  return ['| Variable | Default | Example | Description |', '| --- | --- | --- | --- |', ...rows].join('\n');
}
