import * as opentracing from './opentracing';
import { JaegerSpan, isJaegerSpan } from './span';
import { JaegerSpanContext, isJaegerSpanContext } from './span-context';
import type { ProcessInfo, SpanReference, Tag } from './finished-span';
import { buildProcess } from './process';
import { randomId64, randomTraceId } from './ids';
import { nowMicros } from './clock';
import { DEBUG_FLAG, JAEGER_DEBUG_HEADER, SAMPLED_FLAG } from './constants';
import type { Sampler } from '../samplers/sampler';
import type { Reporter } from '../reporters/reporter';
import type { Codec, Carrier } from '../codecs/codec';
import { createCodec, type PropagationFormat } from '../codecs/composite';
import { PropagationLimits, type PropagationLimitOptions, type PropagationStats } from './propagation-limits';
import { Metrics } from '../metrics/metrics';
import { createRateLimitedWarn, log, type Logger } from '../log';
import { activate, activeSpan } from '../context/scope-manager';
import type { ReporterStats } from '../reporters/reporter';

export type { PropagationStats } from './propagation-limits';

export interface JaegerTracerOptions extends PropagationLimitOptions {
  serviceName: string;
  sampler: Sampler;
  reporter: Reporter;
  metrics?: Metrics;
  logger?: Logger;
  /** Extra process tags (JAEGER_TAGS). */
  tags?: Readonly<Record<string, unknown>>;
  /** 128-bit trace ids for new traces (JAEGER_TRACEID_128BIT). */
  traceId128bit?: boolean;
  /** Formats injected (all) and extracted (first valid wins). Default: jaeger, w3c. */
  propagation?: readonly PropagationFormat[];
  /** Longer baggage values are truncated (the reference client's default is 2048). */
  maxBaggageValueLength?: number;
}

export const DEFAULT_PROPAGATION: readonly PropagationFormat[] = Object.freeze(['jaeger', 'w3c'] as const);

// startSpan(name) without options: the same frozen object every time (_startSpan only reads it).
const NO_OPTIONS: JaegerSpanOptions = Object.freeze({});

/** OpenTracing options plus `ignoreActiveSpan`: start a root even when a span is active. */
export interface JaegerSpanOptions extends opentracing.SpanOptions {
  ignoreActiveSpan?: boolean;
}

/** The active-span view of the one AsyncLocalStorage scope store. */
export interface ScopeManager {
  /** The span active in the current asynchronous context, or null. */
  active(): opentracing.Span | null;
  /** Runs `fn` with `span` active and returns its result. */
  activate<T>(span: opentracing.Span | null, fn: () => T): T;
}

const SCOPE_MANAGER: ScopeManager = Object.freeze({
  active: activeSpan,
  activate: <T>(span: opentracing.Span | null, fn: () => T): T => activate(span, fn),
});

/** The Jaeger tracer behind the OpenTracing API. */
export class JaegerTracer extends opentracing.Tracer {
  readonly serviceName: string;
  readonly process: ProcessInfo;
  readonly #sampler: Sampler;
  readonly #reporter: Reporter;
  readonly #metrics: Metrics;
  readonly #logger: Logger;
  readonly #traceId128bit: boolean;
  readonly #maxBaggageValueLength: number;
  readonly #codecs: Record<string, Codec>;
  readonly #warnOnce: (key: string, msg: string, ...args: unknown[]) => void;
  readonly #limits: PropagationLimits;
  #closing: Promise<void> | undefined;

  constructor(options: JaegerTracerOptions) {
    super();
    this.serviceName = options.serviceName;
    this.#sampler = options.sampler;
    this.#reporter = options.reporter;
    this.#metrics = options.metrics ?? new Metrics();
    this.#logger = options.logger ?? log;
    this.#traceId128bit = options.traceId128bit === true;
    this.#maxBaggageValueLength = options.maxBaggageValueLength ?? 2048;
    this.#warnOnce = createRateLimitedWarn(this.#logger);
    const formats = options.propagation ?? DEFAULT_PROPAGATION;
    this.#limits = new PropagationLimits(options, this.#warnOnce);
    const codecOptions = { baggage: this.#limits.baggage, onBaggageDropped: this.#limits.onBaggageDropped };
    this.#codecs = {
      [opentracing.FORMAT_TEXT_MAP]: createCodec(formats, { ...codecOptions, urlEncoding: false }),
      [opentracing.FORMAT_HTTP_HEADERS]: createCodec(formats, { ...codecOptions, urlEncoding: true }),
    };
    this.process = buildProcess(this.serviceName, options.tags);
    this.#reporter.setProcess(this.process);
  }

  get sampler(): Sampler {
    return this.#sampler;
  }

  get reporter(): Reporter {
    return this.#reporter;
  }

  get metrics(): Metrics {
    return this.#metrics;
  }

  /**
   * The reporter's span accounting (reported = sent + Σ dropped + queued), or undefined for a
   * reporter that keeps none (e.g. InMemoryReporter). A debugging aid; also in the metrics.
   */
  stats(): ReporterStats | undefined {
    try {
      return this.#reporter.stats?.();
    } catch {
      return undefined;
    }
  }

  /** A snapshot of what propagation refused: baggage over the bounds, throttled debug ids. */
  get propagationStats(): Readonly<PropagationStats> {
    return this.#limits.stats;
  }

  /** The scope manager: `active()` gives the active span. */
  scopeManager(): ScopeManager {
    return SCOPE_MANAGER;
  }

  /** Runs `fn` with `span` active: spans started inside without `childOf` become its children. */
  activate<T>(span: opentracing.Span | null, fn: () => T): T {
    return activate(span, fn);
  }

  /** Overrides the base class, which mutates the caller's options object. */
  override startSpan(name: string, options?: JaegerSpanOptions): JaegerSpan {
    return this._startSpan(name, options ?? NO_OPTIONS);
  }

  protected override _startSpan(name: string, options: JaegerSpanOptions): JaegerSpan {
    let parent = contextOf(options.childOf);
    // Without an explicit parent, the active span is the parent: manual spans join automatic traces.
    if (options.childOf === undefined && options.references === undefined && options.ignoreActiveSpan !== true) {
      const active = activeSpan();
      if (active !== null) parent = contextOf(active);
    }
    // undefined: the span's only reference is child_of `parent` (built by the span if ever read).
    let references: SpanReference[] | undefined;
    const onlyParent = parent !== undefined && parent.isValid ? parent : undefined;

    if (options.references !== undefined && options.references.length > 0) {
      const refs: SpanReference[] = onlyParent !== undefined ? [{ type: 'child_of', context: onlyParent }] : [];
      let firstChildOf: JaegerSpanContext | undefined;
      let firstFollowsFrom: JaegerSpanContext | undefined;
      for (const ref of options.references) {
        const ctx = contextOf(ref.referencedContext());
        if (ctx === undefined || !ctx.isValid) continue;
        const followsFrom = ref.type() === opentracing.REFERENCE_FOLLOWS_FROM;
        refs.push({ type: followsFrom ? 'follows_from' : 'child_of', context: ctx });
        if (followsFrom) firstFollowsFrom ??= ctx;
        else firstChildOf ??= ctx;
      }
      references = refs;
      // The parent is childOf, else the first child_of reference, else the first follows_from.
      if (parent === undefined || !parent.isValid) parent = firstChildOf ?? firstFollowsFrom ?? parent;
    }

    const startTime = options.startTime === undefined ? nowMicros() : options.startTime * 1000;
    const userTags = options.tags;
    let context: JaegerSpanContext;
    let debugId = '';
    let decisionTags: readonly Tag[] | undefined;
    if (parent !== undefined && parent.isValid) {
      context = new JaegerSpanContext(
        parent.traceId, randomId64(), parent.spanId, parent.flags, parent.baggage, '', parent.traceState,
      );
      if (parent.isRemote) {
        if (parent.isSampled) this.#metrics.tracesJoinedSampled.increment();
        else this.#metrics.tracesJoinedNotSampled.increment();
      }
    } else {
      const traceId = randomTraceId(this.#traceId128bit);
      let flags = 0;
      if (parent !== undefined && parent.debugId !== '' && this.#limits.allowDebug()) {
        flags = SAMPLED_FLAG | DEBUG_FLAG;
        debugId = parent.debugId;
      } else {
        const decision = this.#sampler.sample(name);
        if (decision.sampled) {
          flags = SAMPLED_FLAG;
          decisionTags = decision.tags;
        }
      }
      // Root span id = low 64 bits of the trace id, as the reference clients do.
      context = new JaegerSpanContext(traceId, traceId.length === 16 ? traceId : traceId.slice(16), '', flags, parent?.baggage);
      if (flags & SAMPLED_FLAG) this.#metrics.tracesStartedSampled.increment();
      else this.#metrics.tracesStartedNotSampled.increment();
    }
    const span = new JaegerSpan(this, name, context, startTime, references, onlyParent);
    // Start tags go straight onto the span (no list in between); an unsampled span ignores them.
    if (context.isSampled) {
      this.#metrics.spansStartedSampled.increment();
      if (debugId !== '') span.addStartTag(JAEGER_DEBUG_HEADER, debugId);
      if (decisionTags !== undefined) {
        for (let i = 0; i < decisionTags.length; i++) {
          const t = decisionTags[i];
          span.addStartTag(t.key, t.value, t);
        }
      }
      if (userTags !== undefined) for (const key in userTags) span.addStartTag(key, userTags[key]);
    } else {
      this.#metrics.spansStartedNotSampled.increment();
    }
    // sampling.priority among the start tags may flip the decision; setTag applies it.
    if (userTags !== undefined && opentracing.Tags.SAMPLING_PRIORITY in userTags && !context.isSampled) {
      span.setTag(opentracing.Tags.SAMPLING_PRIORITY, userTags[opentracing.Tags.SAMPLING_PRIORITY]);
    }
    return span;
  }

  /**
   * The base class's inject (a Span stands for its context), with our own spans and contexts told
   * apart by brand before its `instanceof opentracing.Span`: every traced outgoing call injects.
   */
  override inject(spanContext: opentracing.SpanContext | opentracing.Span, format: string, carrier: unknown): void {
    if (isJaegerSpanContext(spanContext)) this._inject(spanContext, format, carrier);
    else if (isJaegerSpan(spanContext)) this._inject(spanContext.context(), format, carrier);
    else super.inject(spanContext, format, carrier);
  }

  protected override _inject(spanContext: opentracing.SpanContext, format: string, carrier: unknown): void {
    if (!isJaegerSpanContext(spanContext) || carrier == null || typeof carrier !== 'object') return;
    const codec = this.#codecs[format];
    if (codec !== undefined) {
      codec.inject(spanContext, carrier as Carrier);
    } else if (format !== opentracing.FORMAT_BINARY) {
      this.#warnOnce(`inject:${format}`, 'inject: unsupported format %s ignored', format);
    }
  }

  protected override _extract(format: string, carrier: unknown): JaegerSpanContext | null {
    if (carrier == null || typeof carrier !== 'object') return null;
    const codec = this.#codecs[format];
    if (codec === undefined) {
      if (format !== opentracing.FORMAT_BINARY) {
        this.#warnOnce(`extract:${format}`, 'extract: unsupported format %s ignored', format);
      }
      return null;
    }
    try {
      return codec.extract(carrier as Carrier);
    } catch (err) {
      // Codecs do not throw by contract; this guards a carrier with hostile getters.
      this.#metrics.decodingErrors.increment();
      this.#warnOnce('extract:error', 'extract failed: %s', (err as Error)?.message);
      return null;
    }
  }

  /** Called by JaegerSpan.setBaggageItem: returns the span's new context. */
  setBaggage(span: JaegerSpan, context: JaegerSpanContext, key: string, value: string): JaegerSpanContext {
    let str = String(value);
    key = String(key);
    const fields: Tag[] = [{ key: 'event', value: 'baggage' }, { key: 'key', value: key }];
    if (str.length > this.#maxBaggageValueLength) {
      str = str.slice(0, this.#maxBaggageValueLength);
      fields.push({ key: 'truncated', value: true });
      this.#metrics.baggageTruncate.increment();
    }
    const exists = context.baggage !== undefined && Object.prototype.hasOwnProperty.call(context.baggage, key);
    if (!this.#limits.baggageFits(context.baggage, key, str)) {
      // The context is left as it was; the value is not logged, it may be the oversized one.
      fields.push({ key: 'dropped', value: true });
      span.logFields(fields);
      this.#metrics.baggageUpdateFailure.increment();
      this.#limits.refusedSet();
      return context;
    }
    fields.push({ key: 'value', value: str });
    if (exists) fields.push({ key: 'override', value: true });
    span.logFields(fields);
    this.#metrics.baggageUpdateSuccess.increment();
    return context.withBaggageItem(key, str);
  }

  /** Called by JaegerSpan.finish. */
  reportSpan(span: JaegerSpan): void {
    this.#metrics.spansFinished.increment();
    if (!span.spanContext.isSampled) return;
    // After close() a reporter that keeps accounts (stats()) is still told, so that it counts the
    // span as dropped at 'shutdown' and `finished = sent + dropped + queued` holds; any other
    // reporter (in-memory, the user's own) no longer hears of it.
    if (this.#closing !== undefined && typeof (this.#reporter as { stats?: unknown }).stats !== 'function') return;
    try {
      this.#reporter.report(span);
    } catch (err) {
      // A user-supplied reporter must not break the app's span.finish().
      this.#warnOnce('reporter-threw', 'the span reporter threw, span lost: %s', (err as Error)?.message ?? err);
    }
  }

  /**
   * Flushes every queued span, stops the sampler's and reporter's timers and closes sockets.
   * Spans finished afterwards are not sent (a reporter with stats() counts them as 'shutdown').
   * Safe to call more than once: every call returns the same promise.
   */
  close(callback?: (err?: Error) => void): Promise<void> {
    if (this.#closing === undefined) {
      this.#closing = (async () => {
        try {
          this.#sampler.close();
        } finally {
          await this.#reporter.close();
        }
      })();
    }
    const p = this.#closing;
    if (typeof callback === 'function') p.then(() => callback(), (err) => callback(err));
    return p;
  }
}

function contextOf(ref: opentracing.Span | opentracing.SpanContext | null | undefined): JaegerSpanContext | undefined {
  if (ref == null) return undefined;
  if (isJaegerSpanContext(ref)) return ref;
  if (isJaegerSpan(ref)) return ref.spanContext;
  return undefined;
}
