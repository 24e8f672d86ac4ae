import * as opentracing from 'opentracing';
import type { JaegerTracer } from './tracer';
import { JaegerSpanContext } from './span-context';
import type { FinishedSpan, LogRecord, SpanReference, Tag } from './finished-span';
import { nowMicros } from './clock';
import { DEBUG_FLAG, SAMPLED_FLAG } from './constants';

const SAMPLING_PRIORITY = opentracing.Tags.SAMPLING_PRIORITY;

/**
 * A Jaeger span. Unsampled spans keep nothing: tags and logs are dropped on arrival, so a span the
 * sampler rejected costs only its context.
 */
export class JaegerSpan extends opentracing.Span implements FinishedSpan {
  #tracer: JaegerTracer;
  #context: JaegerSpanContext;
  #operationName: string;
  #startTime: number;
  #duration = -1;
  #tags: Tag[];
  #logs: LogRecord[] = [];
  #references: readonly SpanReference[];
  #sampled: boolean;

  constructor(
    tracer: JaegerTracer,
    operationName: string,
    context: JaegerSpanContext,
    startTime: number,
    tags: Tag[],
    references: readonly SpanReference[],
  ) {
    super();
    this.#tracer = tracer;
    this.#operationName = operationName;
    this.#context = context;
    this.#startTime = startTime;
    this.#tags = tags;
    this.#references = references;
    this.#sampled = context.isSampled;
  }

  // --- FinishedSpan view (read by reporters and encoders) ---
  get operationName(): string { return this.#operationName; }
  get spanContext(): JaegerSpanContext { return this.#context; }
  get startTime(): number { return this.#startTime; }
  /** Microseconds; -1 until the span is finished. */
  get duration(): number { return this.#duration; }
  get tags(): readonly Tag[] { return this.#tags; }
  get logs(): readonly LogRecord[] { return this.#logs; }
  get references(): readonly SpanReference[] { return this.#references; }
  get isFinished(): boolean { return this.#duration >= 0; }

  // --- OpenTracing API. setTag is overridden: the base class allocates an object per call. ---
  override setTag(key: string, value: unknown): this {
    if (this.#duration >= 0) return this;
    if (key === SAMPLING_PRIORITY) this.#setSamplingPriority(value);
    if (this.#sampled) this.#tags.push({ key, value });
    return this;
  }

  protected override _addTags(keyValuePairs: { [key: string]: unknown }): void {
    if (keyValuePairs == null) return;
    for (const key in keyValuePairs) this.setTag(key, keyValuePairs[key]);
  }

  // OpenTracing's sampling.priority: > 0 forces a sampled debug span, 0 unsamples it.
  #setSamplingPriority(value: unknown): void {
    const priority = Number(value);
    if (Number.isNaN(priority)) return;
    const c = this.#context;
    const flags = priority > 0 ? c.flags | SAMPLED_FLAG | DEBUG_FLAG : c.flags & ~SAMPLED_FLAG;
    if (flags === c.flags) return;
    this.#context = new JaegerSpanContext(
      c.traceId, c.spanId, c.parentId, flags, c.baggage, c.debugId, c.traceState, c.isRemote,
    );
    this.#sampled = (flags & SAMPLED_FLAG) !== 0;
  }

  protected override _log(keyValuePairs: { [key: string]: unknown }, timestamp?: number): void {
    if (!this.#sampled || this.#duration >= 0 || keyValuePairs == null) return;
    const fields: Tag[] = [];
    for (const key in keyValuePairs) fields.push({ key, value: keyValuePairs[key] });
    this.#logs.push({ timestamp: timestamp === undefined ? nowMicros() : timestamp * 1000, fields });
  }

  protected override _context(): JaegerSpanContext {
    return this.#context;
  }

  protected override _tracer(): JaegerTracer {
    return this.#tracer;
  }

  protected override _setOperationName(name: string): void {
    this.#operationName = String(name);
  }

  protected override _setBaggageItem(key: string, value: string): void {
    this.#context = this.#tracer.setBaggage(this, this.#context, key, value);
  }

  protected override _getBaggageItem(key: string): string | undefined {
    return this.#context.baggage?.[key];
  }

  protected override _finish(finishTime?: number): void {
    if (this.#duration >= 0) return; // finishing twice reports once
    const end = finishTime === undefined ? nowMicros() : finishTime * 1000;
    this.#duration = Math.max(0, end - this.#startTime);
    this.#tracer.reportSpan(this);
  }

  /** Records a log with the given fields on a sampled span (used for baggage events). */
  logFields(fields: Tag[]): void {
    if (this.#sampled && this.#duration < 0) this.#logs.push({ timestamp: nowMicros(), fields });
  }
}
