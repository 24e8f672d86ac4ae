import { JaegerSpanContext, normalizeSpanId, normalizeTraceId } from '../tracer/span-context';
import { DEBUG_FLAG, SAMPLED_FLAG } from '../tracer/constants';
import type { Carrier } from './codec';
import { CarrierReader, extractWith, type FormatCodec, type FormatOptions } from './carrier';

// Zipkin B3, multi-header and single-header. Both forms are read whichever one is injected; a
// valid single header wins over the multi headers. B3 carries no baggage.
//
// Two B3 states have no place in our model, where a remote parent's flags are final:
// - A sampling-only header (`b3: 0`, `b3: 1`, `b3: d`, or X-B3-Sampled without ids) names no
//   span, so it extracts as null and the local sampler decides the new root.
// - Ids without a sampling decision ("defer") join the trace unsampled, as Jaeger's own B3
//   propagators do.

export const B3_TRACE_ID = 'x-b3-traceid';
export const B3_SPAN_ID = 'x-b3-spanid';
export const B3_PARENT_SPAN_ID = 'x-b3-parentspanid';
export const B3_SAMPLED = 'x-b3-sampled';
export const B3_FLAGS = 'x-b3-flags';
export const B3_SINGLE = 'b3';

const DEBUG = SAMPLED_FLAG | DEBUG_FLAG;

/** Options of the B3 codec. */
export interface B3CodecOptions extends FormatOptions {
  /** Inject the single `b3` header instead of the X-B3-* headers. */
  single: boolean;
}

/** The B3 codec: injects one form, extracts both. */
export function createB3Codec(options: B3CodecOptions): FormatCodec {
  const codec: FormatCodec = {
    baggagePrefix: '',
    names: [B3_SINGLE, B3_TRACE_ID, B3_SPAN_ID, B3_PARENT_SPAN_ID, B3_SAMPLED, B3_FLAGS],

    inject: options.single ? injectSingle : injectMulti,

    extractFrom(reader: CarrierReader): JaegerSpanContext | null {
      const single = reader.get(B3_SINGLE);
      const fromSingle = single === undefined ? null : parseSingle(single);
      if (fromSingle !== null) return fromSingle;
      const traceHex = reader.get(B3_TRACE_ID);
      const spanHex = reader.get(B3_SPAN_ID);
      if (traceHex === undefined || spanHex === undefined) return null;
      const ids = parseIds(traceHex.trim(), spanHex.trim());
      if (ids === null) return null;
      let flags = 0;
      if (reader.get(B3_FLAGS)?.trim() === '1') {
        flags = DEBUG;
      } else {
        const sampled = reader.get(B3_SAMPLED);
        if (sampled !== undefined) {
          const f = sampledFlags(sampled.trim());
          if (f < 0) return null;
          flags = f;
        }
      }
      return new JaegerSpanContext(ids.traceId, ids.spanId, '', flags, undefined, '', '', true);
    },

    extract(carrier: Carrier): JaegerSpanContext | null {
      return extractWith(codec, carrier, options);
    },
  };
  return codec;
}

function injectMulti(context: JaegerSpanContext, carrier: Carrier): void {
  if (!context.isValid) return;
  carrier[B3_TRACE_ID] = context.traceId;
  carrier[B3_SPAN_ID] = context.spanId;
  if (context.parentId !== '') carrier[B3_PARENT_SPAN_ID] = context.parentId;
  // Debug implies sampled; the spec asks senders not to send both.
  if (context.isDebug) carrier[B3_FLAGS] = '1';
  else carrier[B3_SAMPLED] = context.isSampled ? '1' : '0';
}

function injectSingle(context: JaegerSpanContext, carrier: Carrier): void {
  if (!context.isValid) return;
  const sampled = context.isDebug ? 'd' : context.isSampled ? '1' : '0';
  const parent = context.parentId === '' ? '' : `-${context.parentId}`;
  carrier[B3_SINGLE] = `${context.traceId}-${context.spanId}-${sampled}${parent}`;
}

/** `{trace}-{span}[-{sampled}[-{parent}]]`; a sampling-only value names no span and gives null. */
export function parseSingle(value: string): JaegerSpanContext | null {
  const v = value.trim();
  // The longest valid value: 32 + 16 + 1 + 16 characters and 3 dashes.
  if (v.length > 68) return null;
  const parts = v.split('-');
  if (parts.length < 2 || parts.length > 4) return null;
  const ids = parseIds(parts[0], parts[1]);
  if (ids === null) return null;
  let flags = 0;
  if (parts.length > 2) {
    flags = parts[2] === 'd' ? DEBUG : parts[2] === '1' ? SAMPLED_FLAG : parts[2] === '0' ? 0 : -1;
    if (flags < 0) return null;
  }
  // The parent is not used, but a malformed one makes the whole header malformed.
  if (parts.length === 4 && (parts[3].length !== 16 || normalizeSpanId(parts[3]) === null)) return null;
  return new JaegerSpanContext(ids.traceId, ids.spanId, '', flags, undefined, '', '', true);
}

// B3 ids are fixed-width: 16 or 32 hex digits for the trace, 16 for the span.
function parseIds(traceHex: string, spanHex: string): { traceId: string; spanId: string } | null {
  if ((traceHex.length !== 16 && traceHex.length !== 32) || spanHex.length !== 16) return null;
  const traceId = normalizeTraceId(traceHex);
  const spanId = normalizeSpanId(spanHex);
  return traceId === null || spanId === null ? null : { traceId, spanId };
}

// '1'/'0', and 'true'/'false' from old senders; -1 for anything else.
function sampledFlags(value: string): number {
  if (value === '1' || value === 'true') return SAMPLED_FLAG;
  if (value === '0' || value === 'false') return 0;
  return -1;
}
