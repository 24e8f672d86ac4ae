import * as opentracing from './opentracing';
import type { JaegerTracer } from './tracer';
import { JaegerSpanContext } from './span-context';
import type { FinishedSpan, LogRecord, SpanReference, Tag } from './finished-span';
import { nowMicros } from './clock';
import { DEBUG_FLAG, SAMPLED_FLAG } from './constants';
import { describe } from '../thrift/tag-value';
import { isSharedTag, type SharedTag } from './shared-tag';

const SAMPLING_PRIORITY = opentracing.Tags.SAMPLING_PRIORITY;
const EMPTY_REFS: readonly SpanReference[] = Object.freeze([]);

// Size limits of one span. A span that grows without bound (a 1 MB payload logged as a tag, a tag
// set in a loop) would be too large for any transport and be lost whole; these keep it small enough
// for one UDP datagram (65,000 bytes, with room left for the process and batch) and cap its memory.
/** Longest string or binary tag / log value kept, in UTF-8 bytes; longer ones are cut, ending in '…'. */
export const MAX_VALUE_BYTES = 16 * 1024;
/** Longest tag or log field key and operation name kept, in UTF-8 bytes. */
export const MAX_KEY_LENGTH = 256;
export const MAX_OPERATION_NAME_LENGTH = 512;
/** Tags kept per span; later ones are counted in the jaeger.dropped_tags tag. */
export const MAX_TAGS = 1000;
/** Logs kept per span; later ones are counted in the jaeger.dropped_logs tag. */
export const MAX_LOGS = 1000;
/** Fields kept per log; later ones are counted in the jaeger.dropped_log_fields tag. */
export const MAX_LOG_FIELDS = 100;
/**
 * Approximate encoded bytes of all tags and logs kept per span. A tag or log that would go past it
 * is dropped and counted like one past the count limits.
 */
export const MAX_SPAN_BYTES = 56 * 1024;
/** Tags added at finish when something was dropped: how many tags, logs, log fields. */
export const DROPPED_TAGS_KEY = 'jaeger.dropped_tags';
export const DROPPED_LOGS_KEY = 'jaeger.dropped_logs';
export const DROPPED_LOG_FIELDS_KEY = 'jaeger.dropped_log_fields';
// Encoding overhead of one tag or log field (field headers, type), and of one log (timestamp, list).
const TAG_OVERHEAD = 10;
const LOG_OVERHEAD = 16;
// Shared by every span until its first tag / log: an unsampled span then allocates no arrays.
// Frozen, so a stray push fails loudly in tests instead of leaking tags between spans.
const NO_TAGS: Tag[] = Object.freeze([]) as unknown as Tag[];
const NO_LOGS: LogRecord[] = Object.freeze([]) as unknown as LogRecord[];

/**
 * Makes span.finish() safe for the caller: `finish` runs the span's own finish and must catch
 * whatever it throws. Set per span with setFinishGuard(); one object is shared by all the spans
 * of an instrumentation.
 */
export interface FinishGuard {
  finish(span: JaegerSpan, finishTime: number | undefined): void;
}

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
  #tags = NO_TAGS;
  #logs = NO_LOGS;
  // Either the references as given, or (the common case) only the parent: the one-element
  // reference list is then built when first read, which an unsampled span never is.
  #references: readonly SpanReference[] | undefined;
  #parent: JaegerSpanContext | undefined;
  #sampled: boolean;
  #bytes = 0;
  #droppedTags = 0;
  #droppedLogs = 0;
  #droppedLogFields = 0;
  // Every span has the slot (undefined by default), so guarded and unguarded spans share one
  // hidden class; assigning an own `finish` per span would give guarded ones a second.
  #guard: FinishGuard | undefined = undefined;

  constructor(
    tracer: JaegerTracer,
    operationName: string,
    context: JaegerSpanContext,
    startTime: number,
    /** The references, or undefined when the span has only `parent` (or nothing) as child_of. */
    references: readonly SpanReference[] | undefined,
    parent?: JaegerSpanContext,
  ) {
    super();
    this.#tracer = tracer;
    this.#operationName = limitName(operationName);
    this.#context = context;
    this.#startTime = startTime;
    this.#references = references;
    this.#parent = parent;
    this.#sampled = context.isSampled;
  }

  // --- FinishedSpan view (read by reporters and encoders) ---
  get operationName(): string { return this.#operationName; }
  get spanContext(): JaegerSpanContext { return this.#context; }
  get startTime(): number { return this.#startTime; }
  /** Microseconds; -1 until the span is finished (and 0 then when it was not sampled). */
  get duration(): number { return this.#duration; }
  get tags(): readonly Tag[] { return this.#tags; }
  get logs(): readonly LogRecord[] { return this.#logs; }
  get references(): readonly SpanReference[] {
    if (this.#references === undefined) {
      const p = this.#parent;
      this.#references = p === undefined ? EMPTY_REFS : [{ type: 'child_of', context: p }];
    }
    return this.#references;
  }
  get isFinished(): boolean { return this.#duration >= 0; }

  // --- OpenTracing API. setTag is overridden: the base class allocates an object per call. ---
  override setTag(key: string, value: unknown): this {
    if (this.#duration >= 0) return this;
    if (key === SAMPLING_PRIORITY) this.#setSamplingPriority(value);
    if (this.#sampled) this.#addTag(key, value);
    return this;
  }

  /**
   * A tag given at start (by the tracer: sampler tags, debug id, options.tags). Kept on a sampled
   * span under the same limits as setTag; `tag`, when given, is reused if nothing had to be cut.
   * @internal
   */
  addStartTag(key: string, value: unknown, tag?: Tag): void {
    if (this.#sampled) this.#addTag(key, value, tag);
  }

  #addTag(key: string, value: unknown, given?: Tag): void {
    let tags = this.#tags;
    if (tags.length >= MAX_TAGS) {
      this.#droppedTags++;
      return;
    }
    let tag: Tag;
    let size: number;
    const known = isSharedTag(given) ? given.kept.size : -1;
    if (known > 0) {
      // A shared tag is checked against the limits by the first span it goes to, not by each.
      tag = given as SharedTag;
      size = known;
    } else {
      tag = keep(key, value, given);
      size = keptSize;
      if (known === 0) (given as SharedTag).kept.size = tag === given ? size : -1;
    }
    if (this.#bytes + size > MAX_SPAN_BYTES) {
      this.#droppedTags++;
      return;
    }
    this.#bytes += size;
    if (tags === NO_TAGS) tags = this.#tags = [];
    tags.push(tag);
  }

  // `fields` are kept ones (keep()), `size` their total plus LOG_OVERHEAD.
  #addLog(timestamp: number, fields: Tag[], size: number): void {
    if (this.#logs.length >= MAX_LOGS) {
      this.#droppedLogs++;
      return;
    }
    if (this.#bytes + size > MAX_SPAN_BYTES) {
      this.#droppedLogs++;
      return;
    }
    this.#bytes += size;
    if (this.#logs === NO_LOGS) this.#logs = [];
    this.#logs.push({ timestamp, fields });
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
    if (this.#logs.length >= MAX_LOGS) {
      this.#droppedLogs++;
      return;
    }
    const fields: Tag[] = [];
    let size = LOG_OVERHEAD;
    let extra = 0;
    for (const key in keyValuePairs) {
      // Past the field limit only count: a log of 10,000 fields costs no 10,000 conversions.
      if (fields.length < MAX_LOG_FIELDS) {
        fields.push(keep(key, keyValuePairs[key]));
        size += keptSize;
      } else {
        extra++;
      }
    }
    this.#droppedLogFields += extra;
    this.#addLog(timestamp === undefined ? nowMicros() : timestamp * 1000, fields, size);
  }

  protected override _context(): JaegerSpanContext {
    return this.#context;
  }

  protected override _tracer(): JaegerTracer {
    return this.#tracer;
  }

  protected override _setOperationName(name: string): void {
    this.#operationName = limitName(String(name));
  }

  protected override _setBaggageItem(key: string, value: string): void {
    this.#context = this.#tracer.setBaggage(this, this.#context, key, value);
  }

  protected override _getBaggageItem(key: string): string | undefined {
    const baggage = this.#context.baggage;
    // Own items only: getBaggageItem('toString') must not hand out Object.prototype's function.
    return baggage !== undefined && Object.prototype.hasOwnProperty.call(baggage, key) ? baggage[key] : undefined;
  }

  /** Routes finish() through `guard` (the instrumentations' fault guard). @internal */
  setFinishGuard(guard: FinishGuard | undefined): void {
    this.#guard = guard;
  }

  override finish(finishTime?: number): void {
    const guard = this.#guard;
    if (guard === undefined) this._finish(finishTime);
    else guard.finish(this, finishTime);
  }

  /** The span's own finish, without the guard (what a FinishGuard calls). @internal */
  finishUnguarded(finishTime?: number): void {
    this._finish(finishTime);
  }

  protected override _finish(finishTime?: number): void {
    if (this.#duration >= 0) return; // finishing twice reports once
    if (!this.#sampled) {
      // Nothing will be reported: the clock is not read, the duration only marks it finished.
      this.#duration = 0;
      this.#tracer.reportSpan(this);
      return;
    }
    const end = finishTime === undefined ? nowMicros() : finishTime * 1000;
    this.#duration = Math.max(0, end - this.#startTime);
    // Past every limit: these few tags say what was left out.
    if (this.#droppedTags + this.#droppedLogs + this.#droppedLogFields > 0) {
      if (this.#tags === NO_TAGS) this.#tags = [];
      if (this.#droppedTags > 0) this.#tags.push({ key: DROPPED_TAGS_KEY, value: this.#droppedTags });
      if (this.#droppedLogs > 0) this.#tags.push({ key: DROPPED_LOGS_KEY, value: this.#droppedLogs });
      if (this.#droppedLogFields > 0) this.#tags.push({ key: DROPPED_LOG_FIELDS_KEY, value: this.#droppedLogFields });
    }
    this.#tracer.reportSpan(this);
  }

  /** Records a log with the given fields on a sampled span (used for baggage events). */
  logFields(fields: Tag[]): void {
    if (!this.#sampled || this.#duration >= 0) return;
    const kept: Tag[] = [];
    let size = LOG_OVERHEAD;
    for (const f of fields) {
      if (kept.length === MAX_LOG_FIELDS) {
        this.#droppedLogFields++;
        continue;
      }
      kept.push(keep(f.key, f.value));
      size += keptSize;
    }
    this.#addLog(nowMicros(), kept, size);
  }
}

// A mark on the prototype, read by isJaegerSpan (see isJaegerSpanContext for why not instanceof).
const SPAN_BRAND = Symbol('jaeger-auto:span');
Object.defineProperty(JaegerSpan.prototype, 'jaeger-auto:brand', { value: SPAN_BRAND });

/** `x instanceof JaegerSpan`, at the cost of a property load. */
export function isJaegerSpan(x: unknown): x is JaegerSpan {
  return typeof x === 'object' && x !== null && (x as Record<string, unknown>)['jaeger-auto:brand'] === SPAN_BRAND;
}

function limitName(name: string): string {
  return typeof name === 'string' && name.length * 3 > MAX_OPERATION_NAME_LENGTH ? cutString(name, MAX_OPERATION_NAME_LENGTH) : name;
}

// Set by keep(): the approximate encoded size of the tag it returned (saves a second pass).
let keptSize = 0;

/**
 * The tag as kept: key and value cut to their limits, small values as given (and `given` itself
 * when it holds them uncut). Sets keptSize.
 */
function keep(key: string, value: unknown, given?: Tag): Tag {
  let size = TAG_OVERHEAD;
  let k = key;
  if (typeof k === 'string') {
    if (k.length * 3 > MAX_KEY_LENGTH) k = cutString(k, MAX_KEY_LENGTH);
    size += k.length;
  } else {
    size += 8;
  }
  let v = value;
  switch (typeof value) {
    case 'string': {
      const n = value.length;
      if (n * 3 > MAX_VALUE_BYTES) v = cutString(value, MAX_VALUE_BYTES);
      // Short strings: their length (a few bytes off for non-ASCII); longer ones are measured.
      size += n <= 64 ? n : Buffer.byteLength(v as string);
      break;
    }
    case 'number': case 'boolean': case 'bigint': case 'undefined':
      size += 8;
      break;
    default:
      if (value === null) {
        size += 8;
      } else if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
        const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        if (bytes.byteLength > MAX_VALUE_BYTES) v = Buffer.from(bytes.subarray(0, MAX_VALUE_BYTES));
        size += Math.min(bytes.byteLength, MAX_VALUE_BYTES);
      } else {
        // Encoded as JSON (or String()): the object is kept when its text is small, else the cut text.
        const text = describe(value);
        const bytes = Buffer.byteLength(text);
        if (bytes > MAX_VALUE_BYTES) v = cutString(text, MAX_VALUE_BYTES);
        size += Math.min(bytes, MAX_VALUE_BYTES);
      }
  }
  keptSize = size;
  return given !== undefined && k === key && v === value ? given : { key: k, value: v };
}

/** `s` in at most `maxBytes` UTF-8 bytes, ending in '…' when cut (never half a character). */
export function cutString(s: string, maxBytes: number): string {
  if (s.length * 3 <= maxBytes || Buffer.byteLength(s) <= maxBytes) return s;
  const room = maxBytes - 3; // '…' is 3 bytes
  let cut = Buffer.from(s.slice(0, room)).subarray(0, room).toString('utf8');
  // A character cut in half decodes as U+FFFD: drop it.
  if (cut.charCodeAt(cut.length - 1) === 0xfffd && s.charCodeAt(cut.length - 1) !== 0xfffd) cut = cut.slice(0, -1);
  return `${cut}…`;
}
