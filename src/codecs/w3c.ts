import { JaegerSpanContext, normalizeSpanId, normalizeTraceId } from '../tracer/span-context';
import { DEBUG_FLAG, SAMPLED_FLAG } from '../tracer/constants';
import type { Carrier } from './codec';
import {
  BaggageBuilder, CarrierReader, extractWith, safeDecode, safeEncode,
  TOKEN, type FormatCodec, type FormatOptions,
} from './carrier';

// W3C Trace Context (traceparent, tracestate) and W3C Baggage. Parsing follows the specs' MUSTs:
// lowercase hex only, exact field lengths for version 00, extra fields allowed only for later
// versions, version ff and all-zero ids invalid. Our debug bit has no W3C equivalent: a debug
// span is injected as sampled, and W3C flag bits other than sampled are not read (0x02 is
// "random" in Trace Context level 2, not debug).

export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';
export const BAGGAGE_HEADER = 'baggage';

/** tracestate limits from the spec; a longer list is dropped whole rather than cut. */
const MAX_TRACESTATE_MEMBERS = 32;
const MAX_TRACESTATE_LENGTH = 512;
/** The W3C baggage header limit (as MAX_HEADER_LENGTH): inject stops short of it. */
const MAX_BAGGAGE_LENGTH = 8192;
/** Inject writes at most this many baggage members (the W3C Baggage list limit). */
const MAX_BAGGAGE_MEMBERS = 180;

const TRACE_ID = /^[0-9a-f]{32}$/;
const SPAN_ID = /^[0-9a-f]{16}$/;
const BYTE = /^[0-9a-f]{2}$/;
const PAD_16 = '0000000000000000';

/** The traceparent / tracestate / baggage codec (percent-encoding is part of the format). */
export function createW3cCodec(options: FormatOptions = {}): FormatCodec {
  const codec: FormatCodec = {
    baggagePrefix: '',
    names: [TRACEPARENT_HEADER, TRACESTATE_HEADER, BAGGAGE_HEADER],

    inject(context: JaegerSpanContext, carrier: Carrier): void {
      if (context.isValid) {
        const traceId = context.traceId.length === 16 ? PAD_16 + context.traceId : context.traceId;
        const sampled = (context.flags & (SAMPLED_FLAG | DEBUG_FLAG)) !== 0;
        carrier[TRACEPARENT_HEADER] = `00-${traceId}-${context.spanId}-${sampled ? '01' : '00'}`;
        if (context.traceState !== '') carrier[TRACESTATE_HEADER] = context.traceState;
      }
      const baggage = context.baggage === undefined ? '' : serializeBaggage(context.baggage);
      if (baggage !== '') carrier[BAGGAGE_HEADER] = baggage;
    },

    extractFrom(reader: CarrierReader, bag: BaggageBuilder): JaegerSpanContext | null {
      // Two different traceparent values cannot both be the parent: the spec says restart the trace.
      const header = reader.getUnique(TRACEPARENT_HEADER);
      const parent = header === undefined ? null : parseTraceparent(header);
      extractBaggage(reader, bag);
      if (parent !== null) {
        const state = reader.getList(TRACESTATE_HEADER);
        const traceState = state === undefined ? '' : validTraceState(state);
        return new JaegerSpanContext(
          parent.traceId, parent.spanId, '', parent.flags, bag.items, '', traceState, true,
        );
      }
      return bag.items === undefined ? null : new JaegerSpanContext('', '', '', 0, bag.items, '', '', true);
    },

    extractBaggage,

    extract(carrier: Carrier): JaegerSpanContext | null {
      return extractWith(codec, carrier, options);
    },
  };
  return codec;
}

function extractBaggage(reader: CarrierReader, into: BaggageBuilder): void {
  // The reader already ignores a header over 8192 characters, the W3C limit.
  const header = reader.getList(BAGGAGE_HEADER);
  if (header !== undefined) parseBaggage(header, into);
  else if (reader.oversized(BAGGAGE_HEADER)) into.refuseHeader(BAGGAGE_HEADER);
}

interface ParsedParent {
  traceId: string;
  spanId: string;
  flags: number;
}

/** `{version}-{trace-id}-{parent-id}-{flags}[-…]`, or null when the spec says to ignore it. */
export function parseTraceparent(value: string): ParsedParent | null {
  const v = trimOws(value);
  // 55 characters for version 00; a later version may append '-' and more fields.
  if (v.length < 55 || (v.length > 55 && v[55] !== '-')) return null;
  if (v[2] !== '-' || v[35] !== '-' || v[52] !== '-') return null;
  const version = v.slice(0, 2);
  if (!BYTE.test(version) || version === 'ff' || (version === '00' && v.length !== 55)) return null;
  const traceHex = v.slice(3, 35);
  const spanHex = v.slice(36, 52);
  const flagsHex = v.slice(53, 55);
  if (!TRACE_ID.test(traceHex) || !SPAN_ID.test(spanHex) || !BYTE.test(flagsHex)) return null;
  const traceId = normalizeTraceId(traceHex);
  const spanId = normalizeSpanId(spanHex);
  if (traceId === null || spanId === null) return null;
  return { traceId, spanId, flags: parseInt(flagsHex, 16) & 0x01 ? SAMPLED_FLAG : 0 };
}

// tracestate keys: `simple-key` (lcalpha, then up to 255 of lcalpha, digits, _-*/) or
// `tenant@system` (tenant: 1–241 starting with lcalpha or a digit; system: 1–14 starting with lcalpha).
const SIMPLE_KEY = /^[a-z][a-z0-9_\-*/]{0,255}$/;
const TENANT_KEY = /^[a-z0-9][a-z0-9_\-*/]{0,240}@[a-z][a-z0-9_\-*/]{0,13}$/;
// Values: 1–256 printable ASCII characters other than ',' and '=', not ending in a space.
const STATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;
/** Members longer than this go first when the list must be cut (the spec's advice). */
const LONG_TRACESTATE_MEMBER = 128;

/** Trims the spec's optional whitespace (spaces and tabs only, not every Unicode space). */
export function trimOws(v: string): string {
  let a = 0;
  let b = v.length;
  while (a < b && (v.charCodeAt(a) === 0x20 || v.charCodeAt(a) === 0x09)) a++;
  while (b > a && (v.charCodeAt(b - 1) === 0x20 || v.charCodeAt(b - 1) === 0x09)) b--;
  return a === 0 && b === v.length ? v : v.slice(a, b);
}

/**
 * The tracestate to pass on, or '' when the list is invalid: more than 32 members, a key or value
 * outside the spec's grammar, or a key twice. A valid list longer than 512 characters is cut as the
 * spec advises: members over 128 characters first, then from the end.
 */
export function validTraceState(value: string): string {
  const members: string[] = [];
  let keys: Set<string> | undefined;
  let start = 0;
  while (start <= value.length) {
    let end = value.indexOf(',', start);
    if (end < 0) end = value.length;
    const member = trimOws(value.slice(start, end));
    start = end + 1;
    // Empty list members are allowed and do not count.
    if (member === '') continue;
    if (members.length === MAX_TRACESTATE_MEMBERS) return '';
    const eq = member.indexOf('=');
    if (eq <= 0) return '';
    const key = member.slice(0, eq);
    if (!(SIMPLE_KEY.test(key) || TENANT_KEY.test(key)) || !STATE_VALUE.test(member.slice(eq + 1))) return '';
    if ((keys ??= new Set()).has(key)) return '';
    keys.add(key);
    members.push(member);
  }
  let out = members.join(',');
  if (out.length <= MAX_TRACESTATE_LENGTH) return out;
  const short = members.filter((m) => m.length <= LONG_TRACESTATE_MEMBER);
  out = short.join(',');
  while (out.length > MAX_TRACESTATE_LENGTH) {
    short.pop();
    out = short.join(',');
  }
  return out;
}

/**
 * `k1=v1,k2=v2;prop`: properties are dropped, keys and values percent-decoded, members past the
 * builder's bounds counted. A member whose key is not a token is skipped.
 */
export function parseBaggage(header: string, into: BaggageBuilder): void {
  let start = 0;
  while (start <= header.length) {
    let end = header.indexOf(',', start);
    if (end < 0) end = header.length;
    let member = header.slice(start, end);
    start = end + 1;
    const semi = member.indexOf(';');
    if (semi >= 0) member = member.slice(0, semi);
    const eq = member.indexOf('=');
    if (eq < 0) continue;
    const key = member.slice(0, eq).trim();
    if (!TOKEN.test(key)) continue;
    if (into.full) into.refuse(safeDecode(key));
    else into.add(safeDecode(key), safeDecode(member.slice(eq + 1).trim()));
  }
}

/** Serialises within the W3C limits: members that would pass them are left out. */
export function serializeBaggage(baggage: Readonly<Record<string, string>>): string {
  let out = '';
  let members = 0;
  for (const key in baggage) {
    if (members >= MAX_BAGGAGE_MEMBERS) break;
    const k = encodeKey(key);
    const v = safeEncode(baggage[key]);
    if (k === undefined || v === undefined) continue;
    const member = `${k}=${v}`;
    if (out.length + member.length + 1 > MAX_BAGGAGE_LENGTH) continue;
    out = out === '' ? member : `${out},${member}`;
    members++;
  }
  return out;
}

// Keys are tokens on the wire; encodeURIComponent leaves '(' and ')', which are not token characters.
function encodeKey(key: string): string | undefined {
  if (key === '') return undefined;
  if (TOKEN.test(key) && key.indexOf('%') < 0) return key;
  const k = safeEncode(key);
  return k === undefined ? undefined : k.replace(/\(/g, '%28').replace(/\)/g, '%29');
}
