import { JaegerSpanContext, normalizeSpanId, normalizeTraceId } from '../tracer/span-context';
import {
  JAEGER_BAGGAGE_HEADER, JAEGER_DEBUG_HEADER, TRACER_BAGGAGE_HEADER_PREFIX, TRACER_STATE_HEADER_NAME,
} from '../tracer/constants';
import type { Carrier } from './codec';
import {
  BaggageBuilder, CarrierReader, extractWith, safeDecode, safeEncode, TOKEN, type FormatCodec,
} from './carrier';

// Jaeger's native headers: uber-trace-id, uberctx-{key} baggage, jaeger-debug-id, jaeger-baggage.
// Values are url-encoded only for HTTP headers, as the reference clients do: a TEXT_MAP value
// travels as written, so '%' in TEXT_MAP baggage is not mistaken for an escape.

const HEX_FLAGS = /^[0-9a-fA-F]{1,2}$/;

/** Options of the Jaeger codec. */
export interface JaegerCodecOptions {
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
      const value = reader.getExact(key);
      if (value !== undefined && !into.add(key.slice(prefixLength), decode(value))) return;
    }
    const list = reader.getList(JAEGER_BAGGAGE_HEADER);
    if (list !== undefined) parseBaggageList(list, decode, into);
  }

  const codec: FormatCodec = {
    baggagePrefix: TRACER_BAGGAGE_HEADER_PREFIX,

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
          carrier[TRACER_BAGGAGE_HEADER_PREFIX + key] = baggage[key];
        }
      }
    },

    extractFrom(reader: CarrierReader): JaegerSpanContext | null {
      const state = reader.get(TRACER_STATE_HEADER_NAME);
      const parsed = state === undefined ? null : parseTraceState(decode(state));
      const debugRaw = reader.get(JAEGER_DEBUG_HEADER);
      const debugId = debugRaw === undefined ? '' : decode(debugRaw).trim();
      const bag = new BaggageBuilder();
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
      return extractWith(codec, carrier);
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

/** `k1=v1, k2=v2`: items without exactly one '=' or with an empty key are skipped. */
function parseBaggageList(list: string, decode: (v: string) => string, into: BaggageBuilder): void {
  let start = 0;
  while (start <= list.length) {
    let end = list.indexOf(',', start);
    if (end < 0) end = list.length;
    const item = list.slice(start, end);
    const eq = item.indexOf('=');
    if (eq > 0 && item.indexOf('=', eq + 1) < 0) {
      const key = decode(item.slice(0, eq).trim());
      if (key !== '' && !into.add(key, decode(item.slice(eq + 1).trim()))) return;
    }
    start = end + 1;
  }
}
