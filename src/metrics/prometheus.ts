import type * as PromClient from 'prom-client';
import type { Counter, Gauge, MetricsFactory } from './metrics';
import { log } from '../log';

// Exposes the tracer's own metrics through prom-client, an optional peer dependency loaded only
// when this factory is constructed.

type Labels = Record<string, string>;
type Kind = 'counter' | 'gauge';

interface Series {
  readonly labels: Labels;
  value: number;
}

/** One prom-client metric per name, shared by every factory on the same registry. */
interface Family {
  readonly kind: Kind;
  readonly name: string;
  readonly help: string;
  labelNames: string[];
  metric: PromClient.Counter<string> | PromClient.Gauge<string>;
  readonly series: Map<string, Series>;
}

const HELP: Record<string, string> = {
  traces: 'Traces started or joined by this tracer, by sampling decision',
  started_spans: 'Spans started, by sampling decision',
  finished_spans: 'Spans finished',
  span_context_decoding_errors: 'Incoming span contexts that failed to decode',
  reporter_spans: 'Spans handed to the sender, by outcome (ok, err, dropped)',
  reporter_received_spans: 'Sampled spans handed to the reporter (ok + dropped by reason + queue length)',
  reporter_dropped_spans: 'Spans not delivered, by reason (queue_full, too_large, send_error, rejected, shutdown)',
  reporter_queue_length: 'Spans buffered or in flight to the agent or collector',
  sampler_queries: 'Sampling strategy queries, by outcome',
  sampler_updates: 'Sampler updates from fetched strategies, by outcome',
  sampler_parsing_failures: 'Sampling strategy responses that failed to parse',
  baggage_updates: 'Baggage item updates, by outcome',
  baggage_truncations: 'Baggage values truncated to the maximum length',
};

// Keyed by registry so that two factories (two tracers) with one namespace share their metrics:
// prom-client refuses to register a name twice.
const familiesByRegistry = new WeakMap<PromClient.Registry, Map<string, Family>>();

const NOOP_COUNTER: Counter = { increment() {} };
const NOOP_GAUGE: Gauge = { update() {} };

function loadPromClient(): typeof PromClient {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require('prom-client') as typeof PromClient;
  } catch (err) {
    throw new Error(
      'PrometheusMetricsFactory needs the optional peer dependency "prom-client": '
      + `run \`npm install prom-client\` (${(err as Error)?.message ?? err})`,
    );
  }
}

/** A valid Prometheus metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. */
export function sanitizeMetricName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(s) || s === '' ? `_${s}` : s;
}

/** A valid label name: [a-zA-Z_][a-zA-Z0-9_]*, not starting with the reserved `__`. */
function sanitizeLabelName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^_{2,}/, '_');
  return /^[0-9]/.test(s) || s === '' ? `_${s}` : s;
}

/**
 * Reports the tracer's metrics (`traces`, `started_spans`, `reporter_spans`, …) to Prometheus as
 * `<namespace>_<name>`; counters get the conventional `_total` suffix, as the Go and Python Jaeger
 * clients' Prometheus metrics have. Label sets become labels.
 *
 * @example
 *   const tracer = initTracerFromEnv({ metricsFactory: new PrometheusMetricsFactory('my_app') });
 */
export class PrometheusMetricsFactory implements MetricsFactory {
  readonly namespace: string;
  readonly registry: PromClient.Registry;
  readonly #client: typeof PromClient;
  readonly #families: Map<string, Family>;

  /**
   * @param namespace prefix of every metric name (sanitized), e.g. the service name.
   * @param registry where metrics register; prom-client's default registry when omitted.
   * @throws Error naming the package when prom-client is not installed.
   */
  constructor(namespace: string, registry?: PromClient.Registry) {
    this.#client = loadPromClient();
    this.namespace = namespace;
    this.registry = registry ?? this.#client.register;
    let families = familiesByRegistry.get(this.registry);
    if (families === undefined) familiesByRegistry.set(this.registry, (families = new Map()));
    this.#families = families;
  }

  createCounter(name: string, tags?: Record<string, string>): Counter {
    const series = this.#series('counter', name, tags);
    if (series === undefined) return NOOP_COUNTER;
    const [family, s] = series;
    return {
      increment(delta = 1) {
        if (!(delta > 0) || !Number.isFinite(delta)) return; // counters only go up
        s.value += delta;
        (family.metric as PromClient.Counter<string>).inc(s.labels, delta);
      },
    };
  }

  createGauge(name: string, tags?: Record<string, string>): Gauge {
    const series = this.#series('gauge', name, tags);
    if (series === undefined) return NOOP_GAUGE;
    const [family, s] = series;
    return {
      update(value: number) {
        if (!Number.isFinite(value)) return;
        s.value = value;
        (family.metric as PromClient.Gauge<string>).set(s.labels, value);
      },
    };
  }

  #fullName(kind: Kind, name: string): string {
    const base = sanitizeMetricName(this.namespace === '' ? name : `${this.namespace}_${name}`);
    return kind === 'counter' && !base.endsWith('_total') ? `${base}_total` : base;
  }

  #series(kind: Kind, name: string, tags: Record<string, string> = {}): [Family, Series] | undefined {
    const fullName = this.#fullName(kind, name);
    const labels: Labels = {};
    for (const [k, v] of Object.entries(tags)) labels[sanitizeLabelName(k)] = String(v);
    let family = this.#families.get(fullName);
    if (family === undefined) {
      if (this.registry.getSingleMetric(fullName) !== undefined) {
        log.warn('prometheus: metric %s is already registered by someone else; not reported', fullName);
        return undefined;
      }
      family = {
        kind, name: fullName, help: HELP[name] ?? `Jaeger tracer metric ${name}`,
        labelNames: Object.keys(labels).sort(), metric: undefined as never, series: new Map(),
      };
      this.#register(family);
      this.#families.set(fullName, family);
    } else if (family.kind !== kind) {
      log.warn('prometheus: %s is a %s, not a %s; not reported', fullName, family.kind, kind);
      return undefined;
    } else {
      const missing = Object.keys(labels).filter((l) => !family!.labelNames.includes(l));
      const current = this.registry.getSingleMetric(fullName);
      // prom-client fixes label names at construction: re-register with the union, values kept.
      // Also re-register after someone cleared the registry (registry.clear() in tests).
      if (missing.length > 0 || current !== family.metric) {
        if (current !== undefined && current !== family.metric) {
          log.warn('prometheus: metric %s is already registered by someone else; not reported', fullName);
          return undefined;
        }
        family.labelNames = [...family.labelNames, ...missing].sort();
        if (current !== undefined) this.registry.removeSingleMetric(fullName);
        this.#register(family);
      }
    }
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let s = family.series.get(key);
    if (s === undefined) {
      family.series.set(key, (s = { labels, value: 0 }));
      this.#apply(family, s); // a series exists at 0 from the start, so rates work at once
    }
    return [family, s];
  }

  #register(family: Family): void {
    const options = { name: family.name, help: family.help, labelNames: family.labelNames, registers: [this.registry] };
    const metric = family.kind === 'counter' ? new this.#client.Counter(options) : new this.#client.Gauge(options);
    const old = family.metric as PromClient.Counter<string> | undefined;
    family.metric = metric;
    if (old !== undefined) for (const s of family.series.values()) this.#apply(family, s);
  }

  #apply(family: Family, s: Series): void {
    if (family.kind === 'counter') (family.metric as PromClient.Counter<string>).inc(s.labels, s.value);
    else (family.metric as PromClient.Gauge<string>).set(s.labels, s.value);
  }
}
