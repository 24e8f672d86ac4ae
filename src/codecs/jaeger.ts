import { JaegerSpanContext, normalizeSpanId, normalizeTraceId } from '../tracer/span-context';
import {
  JAEGER_BAGGAGE_HEADER, JAEGER_DEBUG_HEADER, TRACER_BAGGAGE_HEADER_PREFIX, TRACER_STATE_HEADER_NAME,
} from '../tracer/constants';
import type { Carrier } from './codec';
import {
  BaggageBuilder, CarrierReader, extractWith, safeDecode, safeEncode, TOKEN, type FormatCodec,
  type FormatOptions,
} from './carrier';

// Jaeger's native headers: uber-trace-id, uberctx-{key} baggage, jaeger-debug-id, jaeger-baggage.
// Values are url-encoded only for HTTP headers, as the reference clients do: a TEXT_MAP value
// travels as written, so '%' in TEXT_MAP baggage is not mistaken for an escape.

const HEX_FLAGS = /^[0-9a-fA-F]{1,2}$/;
/** Control characters no HTTP header may carry (HTAB is allowed). */
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Options of the Jaeger codec. */
export interface JaegerCodecOptions extends FormatOptions {
  /** Url-encode baggage values on inject and decode every value on extract (HTTP_HEADERS). */
  urlEncoding: boolean;
}

/** The uber-trace-id / uberctx-* / jaeger-debug-id / jaeger-baggage codec. */
export function createJaegerCodec(options: JaegerCodecOptions): FormatCodec {
  const urlEncoding = options.urlEncoding;
  const decode = urlEncoding ? safeDecode : (v: string) => v;

  function extractBaggage(reader: CarrierReader, into: BaggageBuilder): void {
    // Per-item headers first: on a clash they win over the jaeger-baggage list.
    const prefixLength = TRACER_BAGGAGE_HEADER_PREFIX.length;
    for (const key of reader.prefixed()) {
      // Past the bounds the value is not even decoded, only counted.
      if (into.full) {
        into.refuse(key.slice(prefixLength));
        continue;
      }
      const value = reader.getExact(key);
      // An oversized or non-string value is an item left out too.
      if (value === undefined) into.refuse(key.slice(prefixLength));
      else into.add(key.slice(prefixLength), decode(value));
    }
    const list = reader.getList(JAEGER_BAGGAGE_HEADER);
    if (list !== undefined) parseBaggageList(list, decode, into);
    else if (reader.oversized(JAEGER_BAGGAGE_HEADER)) into.refuseHeader(JAEGER_BAGGAGE_HEADER);
  }

  const codec: FormatCodec = {
    baggagePrefix: TRACER_BAGGAGE_HEADER_PREFIX,
    names: [TRACER_STATE_HEADER_NAME, JAEGER_DEBUG_HEADER, JAEGER_BAGGAGE_HEADER, TRACER_BAGGAGE_HEADER_PREFIX],

    inject(context: JaegerSpanContext, carrier: Carrier): void {
      if (context.isValid) carrier[TRACER_STATE_HEADER_NAME] = context.toString();
      const baggage = context.baggage;
      if (baggage === undefined) return;
      for (const key in baggage) {
        if (urlEncoding) {
          // A key that is not a header token would make http.request throw in the app.
          if (!TOKEN.test(key)) continue;
          const value = safeEncode(baggage[key]);
          if (value !== undefined) carrier[TRACER_BAGGAGE_HEADER_PREFIX + key] = value;
        } else {
          // TEXT_MAP values travel as they are, but apps also use TEXT_MAP for HTTP headers: an item
          // holding CR, LF, NUL or another control character would make their request throw.
          const value = baggage[key];
          if (CONTROL.test(key) || CONTROL.test(value)) continue;
          carrier[TRACER_BAGGAGE_HEADER_PREFIX + key] = value;
        }
      }
    },

    extractFrom(reader: CarrierReader, bag: BaggageBuilder): JaegerSpanContext | null {
      const state = reader.get(TRACER_STATE_HEADER_NAME);
      const parsed = state === undefined ? null : parseTraceState(decode(state));
      const debugRaw = reader.get(JAEGER_DEBUG_HEADER);
      const debugId = debugRaw === undefined ? '' : cleanDebugId(decode(debugRaw));
      extractBaggage(reader, bag);
      if (parsed !== null) {
        return new JaegerSpanContext(
          parsed.traceId, parsed.spanId, '', parsed.flags, bag.items, debugId, '', true,
        );
      }
      if (bag.items === undefined && debugId === '') return null;
      return new JaegerSpanContext('', '', '', 0, bag.items, debugId, '', true);
    },

    extractBaggage,

    extract(carrier: Carrier): JaegerSpanContext | null {
      return extractWith(codec, carrier, options);
    },
  };
  return codec;
}

interface ParsedState {
  traceId: string;
  spanId: string;
  flags: number;
}

/**
 * `{trace}:{span}:{parent}:{flags}`. The parent field is deprecated and receivers ignore it, so
 * only its presence (four fields) is checked; a fifth field fails the flags check.
 */
export function parseTraceState(value: string): ParsedState | null {
  const v = value.trim();
  const a = v.indexOf(':');
  if (a < 0) return null;
  const b = v.indexOf(':', a + 1);
  if (b < 0) return null;
  const c = v.indexOf(':', b + 1);
  if (c < 0) return null;
  const traceId = normalizeTraceId(v.slice(0, a));
  const spanId = normalizeSpanId(v.slice(a + 1, b));
  const flagsHex = v.slice(c + 1);
  if (traceId === null || spanId === null || !HEX_FLAGS.test(flagsHex)) return null;
  return { traceId, spanId, flags: parseInt(flagsHex, 16) };
}

/** Longer debug ids are cut: the id only labels the forced trace (tag jaeger-debug-id). */
export const MAX_DEBUG_ID_LENGTH = 256;

function cleanDebugId(raw: string): string {
  const id = raw.trim();
  return id.length > MAX_DEBUG_ID_LENGTH ? id.slice(0, MAX_DEBUG_ID_LENGTH) : id;
}

/** `k1=v1, k2=v2`: items without exactly one '=' or with an empty key are skipped. */
function parseBaggageList(list: string, decode: (v: string) => string, into: BaggageBuilder): void {
  let start = 0;
  while (start <= list.length) {
    let end = list.indexOf(',', start);
    if (end < 0) end = list.length;
    const item = list.slice(start, end);
    start = end + 1;
    const eq = item.indexOf('=');
    if (eq <= 0 || item.indexOf('=', eq + 1) >= 0) continue;
    const key = decode(item.slice(0, eq).trim());
    if (key === '') continue;
    if (into.full) into.refuse(key);
    else into.add(key, decode(item.slice(eq + 1).trim()));
  }
}
