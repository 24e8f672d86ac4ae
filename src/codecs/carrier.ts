import type { Codec, Carrier } from './codec';
import type { JaegerSpanContext } from '../tracer/span-context';

// Shared by the format codecs: reading a carrier case-insensitively and cheaply, and the bounds
// that keep a hostile or broken carrier from costing more than a few microseconds.

/** A longer header value is ignored. Node's own default limit for all headers together is 16 KiB. */
export const MAX_HEADER_LENGTH = 8192;
/** At most this many baggage items are extracted (the W3C baggage member limit). */
export const MAX_BAGGAGE_ITEMS = 180;
/** At most this many characters of baggage keys and values together are extracted. */
export const MAX_BAGGAGE_CHARS = 16384;
/** Keys past this many are not scanned for case-insensitive matches (Node's maxHeadersCount). */
const MAX_SCANNED_KEYS = 2000;

/** RFC 7230 token: what an HTTP header name may contain. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * One extraction's view of a carrier. Values come back as strings: arrays (Node repeats some
 * headers) give their first element, non-strings and oversized values read as absent.
 */
export class CarrierReader {
  readonly #carrier: Carrier;
  readonly #prefix: string;
  // Built on the first miss: lowercased name → original key, only for keys that are not lowercase.
  #folded: Map<string, string> | undefined;
  #prefixed: string[] | undefined;

  /** `prefix` (lowercase) selects keys for prefixed(), e.g. 'uberctx-'; '' for none. */
  constructor(carrier: Carrier, prefix = '') {
    this.#carrier = carrier;
    this.#prefix = prefix;
  }

  /** The value under a lowercase name, matched case-insensitively. */
  get(name: string): string | undefined {
    return single(this.#raw(name));
  }

  /** Like get(), but an array value is joined with ',' (for list headers such as tracestate). */
  getList(name: string): string | undefined {
    const v = this.#raw(name);
    if (!Array.isArray(v)) return single(v);
    let joined = '';
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (typeof item !== 'string') return undefined;
      joined = i === 0 ? item : `${joined},${item}`;
      if (joined.length > MAX_HEADER_LENGTH) return undefined;
    }
    return v.length === 0 ? undefined : joined;
  }

  /** Original keys whose lowercase form starts with the prefix given at construction. */
  prefixed(): readonly string[] {
    if (this.#prefixed === undefined) this.#scan();
    return this.#prefixed as string[];
  }

  /** The value under an exact key, as get() normalises it. */
  getExact(key: string): string | undefined {
    return single(this.#carrier[key]);
  }

  #raw(name: string): unknown {
    const v = this.#carrier[name];
    if (v !== undefined) return v;
    if (this.#folded === undefined) this.#scan();
    const key = (this.#folded as Map<string, string>).get(name);
    return key === undefined ? undefined : this.#carrier[key];
  }

  // One pass over the keys serves both the case-insensitive fallback and the prefix scan.
  #scan(): void {
    const folded = new Map<string, string>();
    const prefixed: string[] = [];
    const prefix = this.#prefix;
    const keys = Object.keys(this.#carrier);
    const n = Math.min(keys.length, MAX_SCANNED_KEYS);
    for (let i = 0; i < n; i++) {
      const key = keys[i];
      const lower = key.toLowerCase();
      if (lower !== key && !folded.has(lower)) folded.set(lower, key);
      if (prefix !== '' && lower.startsWith(prefix)) prefixed.push(key);
    }
    this.#folded = folded;
    this.#prefixed = prefixed;
  }
}

function single(v: unknown): string | undefined {
  if (Array.isArray(v)) v = v[0];
  return typeof v === 'string' && v.length <= MAX_HEADER_LENGTH ? v : undefined;
}

/** Percent-decodes when the value holds a '%'; a malformed sequence leaves the value as it was. */
export function safeDecode(value: string): string {
  if (value.indexOf('%') < 0) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** encodeURIComponent, or undefined for a string it cannot encode (a lone surrogate). */
export function safeEncode(value: string): string | undefined {
  try {
    return encodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Collects baggage items within MAX_BAGGAGE_ITEMS / MAX_BAGGAGE_CHARS; the first value of a key wins. */
export class BaggageBuilder {
  items: Record<string, string> | undefined;
  #count = 0;
  #chars = 0;

  constructor(initial?: Readonly<Record<string, string>>) {
    if (initial === undefined) return;
    for (const key in initial) this.add(key, initial[key]);
  }

  /** False once the bounds are reached, so callers can stop reading. */
  add(key: string, value: string): boolean {
    if (this.#count >= MAX_BAGGAGE_ITEMS) return false;
    // An own '__proto__' property cannot be created by assignment; such a key is dropped.
    if (key === '' || key === '__proto__') return true;
    const items = (this.items ??= {});
    if (Object.prototype.hasOwnProperty.call(items, key)) return true;
    const chars = this.#chars + key.length + value.length;
    if (chars > MAX_BAGGAGE_CHARS) return true;
    items[key] = value;
    this.#chars = chars;
    this.#count++;
    return true;
  }

  addAll(baggage: Readonly<Record<string, string>> | undefined): void {
    if (baggage === undefined) return;
    for (const key in baggage) if (!this.add(key, baggage[key])) return;
  }
}

/**
 * A codec the composite drives with one shared reader per extraction. extractBaggage, when
 * present, reads only the format's baggage, to merge onto another format's winning context.
 */
export interface FormatCodec extends Codec {
  readonly baggagePrefix: string;
  extractFrom(reader: CarrierReader): JaegerSpanContext | null;
  extractBaggage?(reader: CarrierReader, into: BaggageBuilder): void;
}

/** Codec.extract for a single format: a fresh reader, and nothing thrown. */
export function extractWith(codec: FormatCodec, carrier: Carrier): JaegerSpanContext | null {
  if (carrier == null || typeof carrier !== 'object') return null;
  try {
    return codec.extractFrom(new CarrierReader(carrier, codec.baggagePrefix));
  } catch {
    return null;
  }
}
