import type { Codec, Carrier } from './codec';
import type { JaegerSpanContext } from '../tracer/span-context';

// Shared by the format codecs: reading a carrier case-insensitively and cheaply, and the bounds
// that keep a hostile or broken carrier from costing more than a few microseconds.

/** A longer header value is ignored. Node's own default limit for all headers together is 16 KiB. */
export const MAX_HEADER_LENGTH = 8192;
/** Default bound on baggage items kept per context (W3C Baggage asks at least 64 be propagated). */
export const MAX_BAGGAGE_ITEMS = 64;
/** Default bound on the UTF-8 bytes of baggage keys and values together (W3C Baggage: 8192). */
export const MAX_BAGGAGE_BYTES = 8192;

/** How much baggage one context may hold (JAEGER_BAGGAGE_MAX_ITEMS / JAEGER_BAGGAGE_MAX_BYTES). */
export interface BaggageLimits {
  readonly maxItems: number;
  readonly maxBytes: number;
}

export const DEFAULT_BAGGAGE_LIMITS: BaggageLimits = Object.freeze({
  maxItems: MAX_BAGGAGE_ITEMS, maxBytes: MAX_BAGGAGE_BYTES,
});

/** Limits from untrusted numbers: anything not a non-negative integer falls back to the default. */
export function baggageLimits(maxItems?: number, maxBytes?: number): BaggageLimits {
  const ok = (n: number | undefined): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0;
  if (!ok(maxItems) && !ok(maxBytes)) return DEFAULT_BAGGAGE_LIMITS;
  return Object.freeze({
    maxItems: ok(maxItems) ? maxItems : MAX_BAGGAGE_ITEMS,
    maxBytes: ok(maxBytes) ? maxBytes : MAX_BAGGAGE_BYTES,
  });
}

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
  #folded: ReadonlyMap<string, string> | undefined;
  #prefixed: readonly string[] | undefined;

  /** `prefix` (lowercase) selects keys for prefixed(), e.g. 'uberctx-'; '' for none. */
  constructor(carrier: Carrier, prefix = '') {
    this.#carrier = carrier;
    this.#prefix = prefix;
  }

  /** The value under a lowercase name, matched case-insensitively. */
  get(name: string): string | undefined {
    return single(this.#raw(name));
  }

  /** Like get(), but an array of differing values reads as absent (a header that must occur once). */
  getUnique(name: string): string | undefined {
    const v = this.#raw(name);
    if (Array.isArray(v)) {
      for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return undefined;
    }
    return single(v);
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

  /** True when the header is there but was read as absent for being over MAX_HEADER_LENGTH. */
  oversized(name: string): boolean {
    const v = this.#raw(name);
    if (typeof v === 'string') return v.length > MAX_HEADER_LENGTH;
    if (!Array.isArray(v)) return false;
    const items: unknown[] = v;
    let length = 0;
    for (const item of items) if (typeof item === 'string') length += item.length;
    return length > MAX_HEADER_LENGTH;
  }

  /** Original keys whose lowercase form starts with the prefix given at construction. */
  prefixed(): readonly string[] {
    if (this.#prefixed === undefined) this.#scan();
    return this.#prefixed as readonly string[];
  }

  /** The value under an exact key, as get() normalises it. */
  getExact(key: string): string | undefined {
    return single(this.#carrier[key]);
  }

  #raw(name: string): unknown {
    const v = this.#carrier[name];
    if (v !== undefined) return v;
    if (this.#folded === undefined) this.#scan();
    const key = (this.#folded as ReadonlyMap<string, string>).get(name);
    return key === undefined ? undefined : this.#carrier[key];
  }

  // One pass over the keys serves both the case-insensitive fallback and the prefix scan. Node's
  // incoming headers are all lowercase and rarely carry baggage: then nothing is allocated but the
  // key list.
  #scan(): void {
    let folded: Map<string, string> | undefined;
    let prefixed: string[] | undefined;
    const prefix = this.#prefix;
    const keys = Object.keys(this.#carrier);
    const n = Math.min(keys.length, MAX_SCANNED_KEYS);
    for (let i = 0; i < n; i++) {
      const key = keys[i];
      const lower = key.toLowerCase();
      if (lower !== key) {
        folded ??= new Map();
        if (!folded.has(lower)) folded.set(lower, key);
      }
      if (prefix !== '' && lower.startsWith(prefix)) (prefixed ??= []).push(key);
    }
    this.#folded = folded ?? NO_FOLDED;
    this.#prefixed = prefixed ?? NO_PREFIXED;
  }
}

const NO_FOLDED: ReadonlyMap<string, string> = new Map();
const NO_PREFIXED: readonly string[] = Object.freeze([]);

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

/** UTF-8 length, without encoding for the common all-ASCII case. */
export function utf8Bytes(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s, 'utf8');
  return s.length;
}

/**
 * Collects baggage items within the limits; the first value of a key wins. Items refused by the
 * limits are remembered by key (the input is bounded by the header and key limits), so one
 * extraction that reads several formats counts each refused key once: see droppedCount().
 */
export class BaggageBuilder {
  items: Record<string, string> | undefined;
  readonly #limits: BaggageLimits;
  #count = 0;
  #bytes = 0;
  #refused: Set<string> | undefined;

  constructor(initial?: Readonly<Record<string, string>>, limits: BaggageLimits = DEFAULT_BAGGAGE_LIMITS) {
    this.#limits = limits;
    if (initial === undefined) return;
    for (const key in initial) this.add(key, initial[key]);
  }

  get limits(): BaggageLimits {
    return this.#limits;
  }

  /** True once no further item can be kept: callers may skip decoding and call refuse(). */
  get full(): boolean {
    return this.#count >= this.#limits.maxItems || this.#bytes >= this.#limits.maxBytes;
  }

  /** Adds an item unless it is already there or a bound refuses it. */
  add(key: string, value: string): void {
    // An own '__proto__' property cannot be created by assignment; such a key is dropped.
    if (key === '' || key === '__proto__') return;
    const items = this.items;
    if (items !== undefined && Object.prototype.hasOwnProperty.call(items, key)) return;
    if (this.#count >= this.#limits.maxItems) return this.refuse(key);
    const bytes = this.#bytes + utf8Bytes(key) + utf8Bytes(value);
    if (bytes > this.#limits.maxBytes) return this.refuse(key);
    (this.items ??= {})[key] = value;
    this.#bytes = bytes;
    this.#count++;
  }

  /** Records a whole baggage header left out for its size: one item, since its items were not read. */
  refuseHeader(name: string): void {
    (this.#refused ??= new Set()).add(`\0${name}`);
  }

  /** Records an item the bounds leave out, without looking at its value. */
  refuse(key: string): void {
    if (key === '' || key === '__proto__') return;
    const items = this.items;
    if (items !== undefined && Object.prototype.hasOwnProperty.call(items, key)) return;
    (this.#refused ??= new Set()).add(key);
  }

  addAll(baggage: Readonly<Record<string, string>> | undefined): void {
    if (baggage === undefined) return;
    for (const key in baggage) this.add(key, baggage[key]);
  }

  /** Keys the bounds left out (some may have been kept by another builder of the same extraction). */
  get refused(): ReadonlySet<string> | undefined {
    return this.#refused;
  }
}

/** Distinct keys the builders refused that are not among the items finally kept. */
export function countDropped(
  kept: Readonly<Record<string, string>> | undefined, ...builders: Array<BaggageBuilder | undefined>
): number {
  let seen: Set<string> | undefined;
  for (const b of builders) {
    const r = b?.refused;
    if (r === undefined) continue;
    for (const key of r) {
      if (kept !== undefined && Object.prototype.hasOwnProperty.call(kept, key)) continue;
      (seen ??= new Set()).add(key);
    }
  }
  return seen === undefined ? 0 : seen.size;
}

/**
 * A codec the composite drives with one shared reader per extraction. extractBaggage, when
 * present, reads only the format's baggage, to merge onto another format's winning context.
 */
export interface FormatCodec extends Codec {
  readonly baggagePrefix: string;
  /** Every header name the codec reads, lowercase; a name prefix ends in '-' (see ContextNames). */
  readonly names: readonly string[];
  /** `bag` collects the format's baggage; the context returned holds bag.items. */
  extractFrom(reader: CarrierReader, bag: BaggageBuilder): JaegerSpanContext | null;
  extractBaggage?(reader: CarrierReader, into: BaggageBuilder): void;
}

/** Options every format codec takes. */
export interface FormatOptions {
  /** Bounds on extracted baggage; DEFAULT_BAGGAGE_LIMITS when absent. */
  baggage?: BaggageLimits;
  /** Told how many baggage items one extraction left out (only when some were). */
  onBaggageDropped?: (count: number) => void;
}

/** The header names (and name prefixes, ending in '-') the formats read, for mayCarry(). */
export class ContextNames {
  readonly #letters = new Uint8Array(128);
  readonly #exact: ReadonlySet<string>;
  readonly #prefixes: readonly string[];

  constructor(names: readonly string[]) {
    for (const name of names) {
      const c = name.charCodeAt(0);
      if (c < 128) this.#letters[c] = 1;
    }
    this.#exact = new Set(names.filter((n) => !n.endsWith('-')));
    this.#prefixes = names.filter((n) => n.endsWith('-'));
  }

  /**
   * False when `carrier` surely holds none of the names. Most incoming requests carry no trace
   * context, and reading each format's headers by name then costs a failed lookup apiece, which V8
   * does through its slowest path on header objects of every shape: ~6,000 instructions per request
   * under callgrind (Node 20, /plain unsampled). One pass over the keys is far cheaper: a key is
   * only lowercased and compared when its first letter is one a name starts with. Only plain objects
   * are judged, by their enumerable keys (what Node's headers and TEXT_MAP objects hold); anything
   * else (a Map-like carrier, getters on a prototype) is read in full.
   */
  mayCarry(carrier: Carrier): boolean {
    const proto = Object.getPrototypeOf(carrier);
    if (proto !== Object.prototype && proto !== null) return true;
    const letters = this.#letters;
    let n = 0;
    for (const key in carrier) {
      if (++n > MAX_SCANNED_KEYS) return true; // a huge carrier: read it, bounded
      // `| 0x20` lowercases an ASCII letter; on other characters it only adds false positives.
      const c = key.charCodeAt(0) | 0x20;
      if (c >= 128 || letters[c] !== 1) continue;
      const lower = key.toLowerCase();
      if (this.#exact.has(lower)) return true;
      for (const prefix of this.#prefixes) if (lower.startsWith(prefix)) return true;
    }
    return false;
  }
}

const codecNames = new WeakMap<FormatCodec, ContextNames>();

function namesOf(codec: FormatCodec): ContextNames {
  let names = codecNames.get(codec);
  if (names === undefined) codecNames.set(codec, (names = new ContextNames(codec.names)));
  return names;
}

/** Codec.extract for a single format: a fresh reader, and nothing thrown. */
export function extractWith(codec: FormatCodec, carrier: Carrier, options: FormatOptions): JaegerSpanContext | null {
  if (carrier == null || typeof carrier !== 'object') return null;
  try {
    if (!namesOf(codec).mayCarry(carrier)) return null;
    const bag = new BaggageBuilder(undefined, options.baggage);
    const ctx = codec.extractFrom(new CarrierReader(carrier, codec.baggagePrefix), bag);
    reportDropped(options, bag.items, bag);
    return ctx;
  } catch {
    return null;
  }
}

/** Calls onBaggageDropped when the builder left items out; a throwing callback is ignored. */
export function reportDropped(
  options: FormatOptions, kept: Readonly<Record<string, string>> | undefined, ...bags: Array<BaggageBuilder | undefined>
): void {
  const cb = options.onBaggageDropped;
  if (cb === undefined) return;
  const n = countDropped(kept, ...bags);
  if (n === 0) return;
  try {
    cb(n);
  } catch {
    // Counting must never cost the request its context.
  }
}
