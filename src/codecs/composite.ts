import { JaegerSpanContext } from '../tracer/span-context';
import type { Codec, Carrier } from './codec';
import {
  BaggageBuilder, CarrierReader, ContextNames, DEFAULT_BAGGAGE_LIMITS, reportDropped, type FormatCodec,
  type FormatOptions,
} from './carrier';
import { createJaegerCodec } from './jaeger';
import { createW3cCodec } from './w3c';
import { createB3Codec } from './b3';

/** A propagation format name as in JAEGER_PROPAGATION. */
export type PropagationFormat = 'jaeger' | 'w3c' | 'b3' | 'b3-single';

/** Options shared by the formats of one carrier type. */
export interface CodecOptions extends FormatOptions {
  /** HTTP_HEADERS carriers url-encode values that may hold reserved characters. */
  urlEncoding: boolean;
}

/**
 * One codec over several formats. Inject writes every format. Extract returns the first valid
 * context in format order, with the baggage and debug id the other formats carried merged in
 * (the winner's own items take precedence); when no format names a span, a context with traceId
 * '' carrying the baggage and debug id found, or null. Unknown format names are ignored. Never
 * throws, whatever the carrier holds.
 */
export function createCodec(formats: readonly PropagationFormat[], options: CodecOptions): Codec {
  const injectors: FormatCodec[] = [];
  const extractors: FormatCodec[] = [];
  let b3Extractor = false;
  const seen = new Set<string>();
  for (const format of formats) {
    if (seen.has(format)) continue;
    seen.add(format);
    let codec: FormatCodec;
    if (format === 'jaeger') codec = createJaegerCodec(options);
    else if (format === 'w3c') codec = createW3cCodec(options);
    else if (format === 'b3' || format === 'b3-single') codec = createB3Codec({ ...options, single: format === 'b3-single' });
    else continue;
    injectors.push(codec);
    // Either b3 name extracts both B3 forms; reading them twice would find nothing new.
    if (format === 'b3' || format === 'b3-single') {
      if (b3Extractor) continue;
      b3Extractor = true;
    }
    extractors.push(codec);
  }
  let prefix = '';
  for (const codec of extractors) if (codec.baggagePrefix !== '') prefix = codec.baggagePrefix;
  const names = new ContextNames(extractors.flatMap((codec) => codec.names));

  return {
    inject(context: JaegerSpanContext, carrier: Carrier): void {
      if (carrier == null || typeof carrier !== 'object') return;
      for (const codec of injectors) {
        try {
          codec.inject(context, carrier);
        } catch {
          // A frozen or proxied carrier: the request goes out without that format's headers.
        }
      }
    },

    extract(carrier: Carrier): JaegerSpanContext | null {
      if (carrier == null || typeof carrier !== 'object') return null;
      try {
        if (!names.mayCarry(carrier)) return null;
        return extractFirst(extractors, new CarrierReader(carrier, prefix), options);
      } catch {
        return null;
      }
    },
  };
}

function extractFirst(
  extractors: readonly FormatCodec[], reader: CarrierReader, options: CodecOptions,
): JaegerSpanContext | null {
  const limits = options.baggage ?? DEFAULT_BAGGAGE_LIMITS;
  let winner: JaegerSpanContext | null = null;
  let extra: BaggageBuilder | undefined;
  // Every builder of this extraction, so that a key refused by one but kept by another is not counted.
  const bags: BaggageBuilder[] = [];
  let debugId = '';
  for (const codec of extractors) {
    if (winner === null) {
      const bag = new BaggageBuilder(undefined, limits);
      bags.push(bag);
      const ctx = codec.extractFrom(reader, bag);
      if (ctx === null) continue;
      if (debugId === '') debugId = ctx.debugId;
      if (ctx.isValid) {
        winner = ctx;
      } else if (ctx.baggage !== undefined) {
        if (extra === undefined) bags.push((extra = new BaggageBuilder(undefined, limits)));
        extra.addAll(ctx.baggage);
      }
    } else if (codec.extractBaggage !== undefined) {
      if (extra === undefined) bags.push((extra = new BaggageBuilder(undefined, limits)));
      codec.extractBaggage(reader, extra);
    }
  }
  let result: JaegerSpanContext | null;
  if (winner === null) {
    result = extra?.items === undefined && debugId === ''
      ? null
      : new JaegerSpanContext('', '', '', 0, extra?.items, debugId, '', true);
  } else {
    const baggage = mergeBaggage(winner.baggage, extra?.items, limits, bags);
    result = baggage === winner.baggage && debugId === winner.debugId
      ? winner
      : new JaegerSpanContext(winner.traceId, winner.spanId, '', winner.flags, baggage, debugId, winner.traceState, true);
  }
  reportDropped(options, result?.baggage, ...bags);
  return result;
}

// Allocates only when the other formats carried a key the winner lacks.
function mergeBaggage(
  own: Readonly<Record<string, string>> | undefined,
  other: Readonly<Record<string, string>> | undefined,
  limits: CodecOptions['baggage'],
  bags: BaggageBuilder[],
): Readonly<Record<string, string>> | undefined {
  if (other === undefined) return own;
  if (own === undefined) return other;
  let missing = false;
  for (const key in other) {
    if (!Object.prototype.hasOwnProperty.call(own, key)) {
      missing = true;
      break;
    }
  }
  if (!missing) return own;
  const merged = new BaggageBuilder(own, limits);
  bags.push(merged);
  merged.addAll(other);
  return merged.items;
}
