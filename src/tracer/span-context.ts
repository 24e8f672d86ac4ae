import * as opentracing from './opentracing';
import { DEBUG_FLAG, SAMPLED_FLAG } from './constants';

/**
 * A Jaeger span context. Ids are kept in one canonical form, lowercase hex: trace ids are 16
 * digits (64-bit) or 32 digits (128-bit, only when the high half is non-zero), span ids 16 digits.
 * Codecs and the Thrift encoder convert at the edges; nothing else converts.
 */
export class JaegerSpanContext extends opentracing.SpanContext {
  constructor(
    /** 16 or 32 lowercase hex digits; '' for a context that carries only baggage or a debug id. */
    readonly traceId: string,
    /** 16 lowercase hex digits; '' when traceId is ''. */
    readonly spanId: string,
    /** The parent's span id (16 hex digits), or '' for a root span or an extracted context. */
    readonly parentId: string,
    /** SAMPLED_FLAG | DEBUG_FLAG bits. */
    readonly flags: number,
    /** Baggage items; shared copy-on-write between a parent and its children, never mutated. */
    readonly baggage: Readonly<Record<string, string>> | undefined = undefined,
    /** Value of jaeger-debug-id on an extracted context without a trace (forces a debug trace). */
    readonly debugId: string = '',
    /** W3C tracestate to pass on unchanged, when one was extracted. */
    readonly traceState: string = '',
    /** True for a context extracted from a carrier (another process's span). */
    readonly isRemote: boolean = false,
  ) {
    super();
  }

  override toTraceId(): string {
    return this.traceId;
  }

  override toSpanId(): string {
    return this.spanId;
  }

  /** True when the context names a real span (not only baggage or a debug id). */
  get isValid(): boolean {
    return this.traceId !== '' && this.spanId !== '';
  }

  get isSampled(): boolean {
    return (this.flags & SAMPLED_FLAG) !== 0;
  }

  get isDebug(): boolean {
    return (this.flags & DEBUG_FLAG) !== 0;
  }

  /** A copy with one baggage item set (or removed when value is undefined). */
  withBaggageItem(key: string, value: string | undefined): JaegerSpanContext {
    const baggage: Record<string, string> = { ...this.baggage };
    if (value === undefined) delete baggage[key];
    else baggage[key] = value;
    return new JaegerSpanContext(
      this.traceId, this.spanId, this.parentId, this.flags, baggage, this.debugId, this.traceState,
      this.isRemote,
    );
  }

  /** `{trace-id}:{span-id}:{parent-id}:{flags}` as in the uber-trace-id header. */
  override toString(): string {
    return `${this.traceId}:${this.spanId}:${this.parentId || '0'}:${this.flags.toString(16)}`;
  }
}

// A mark on the prototype, read by isJaegerSpanContext: `x instanceof JaegerSpanContext` in another
// module is a call into V8's generic instanceof in optimised code (the imported class is no constant
// there), ~100–150 instructions a test in callgrind; a load of a property named by a literal is an
// inline map check (a symbol key from module scope is no constant either: a generic keyed load). The
// mark's value is a private symbol, so a proxy that answers every read with `true` is no context.
const CONTEXT_BRAND = Symbol('jaeger-auto:span-context');
Object.defineProperty(JaegerSpanContext.prototype, 'jaeger-auto:brand', { value: CONTEXT_BRAND });

/** `x instanceof JaegerSpanContext`, at the cost of a property load. */
export function isJaegerSpanContext(x: unknown): x is JaegerSpanContext {
  return typeof x === 'object' && x !== null && (x as Record<string, unknown>)['jaeger-auto:brand'] === CONTEXT_BRAND;
}

const HEX = /^[0-9a-f]+$/i;
const ZEROS = '00000000000000000000000000000000';

/**
 * Canonical trace id from 1–32 hex digits: lowercase, padded to 16 or 32 digits, and a 128-bit id
 * whose high half is zero folded to 64 bits (so a trace read from traceparent matches the same trace
 * read from uber-trace-id). Returns null for anything else, including an all-zero id.
 */
export function normalizeTraceId(hex: string): string | null {
  const n = hex.length;
  if (n === 0 || n > 32 || !HEX.test(hex)) return null;
  let id = hex.toLowerCase();
  if (n > 16) {
    id = ZEROS.slice(n) + id;
    if (id.startsWith('0000000000000000')) id = id.slice(16);
  } else if (n < 16) {
    id = ZEROS.slice(0, 16 - n) + id;
  }
  return id === '0000000000000000' ? null : id;
}

/** Canonical span id from 1–16 hex digits, or null (all-zero ids are invalid). */
export function normalizeSpanId(hex: string): string | null {
  const n = hex.length;
  if (n === 0 || n > 16 || !HEX.test(hex)) return null;
  const id = n < 16 ? ZEROS.slice(0, 16 - n) + hex.toLowerCase() : hex.toLowerCase();
  return id === '0000000000000000' ? null : id;
}
