import type { FinishedSpan, Tag } from '../tracer/finished-span';
import type { CompactWriter } from './compact-writer';
import { writeLog, writeTag } from './encode';
import { hexToI64 } from './int64';
import { TagType, TType } from './types';
import { isSharedTag, type SharedTagRun } from '../tracer/shared-tag';

// The Span struct in compact protocol, specialised: writeSpan() through the generic ProtocolWriter
// spends most of its time on per-field bookkeeping (field-id stack, type table, bool deferral)
// whose outcome is fixed for this struct. Here each field header is the constant byte that
// bookkeeping would produce: (id delta << 4) | compact type. Values still go through the writer's
// own writeI64 / writeString, and anything uncommon (logs, non-primitive tag values)
// through the generic struct writers, which start a fresh field context so their bytes do not
// depend on what surrounds them. The output is byte-identical to writeSpan on a CompactWriter
// (test/unit/thrift-compact-span.test.ts), which is itself checked against the thrift package.

// Compact type nibbles.
const C_TRUE = 1;
const C_FALSE = 2;
const C_I32 = 5;
const C_I64 = 6;
const C_DOUBLE = 7;
const C_BINARY = 8;
const C_LIST = 9;

const I64_D1 = (1 << 4) | C_I64; // next field, i64
const STRING_D1 = (1 << 4) | C_BINARY;
const LIST_D1 = (1 << 4) | C_LIST;
const I32_D1 = (1 << 4) | C_I32;

/** Writes one jaeger.thrift Span exactly as writeSpan(w, span) would on a CompactWriter. */
export function writeSpanCompact(w: CompactWriter, span: FinishedSpan): void {
  const ctx = span.spanContext;
  const traceId = ctx.traceId;
  // Fields 1–4: traceIdLow, traceIdHigh, spanId, parentSpanId. Where the trace id's two fields and
  // the parent id's field start and end is kept: a reference to the parent repeats those bytes.
  byte(w, I64_D1);
  const traceAt = w.pos;
  w.writeI64(hexToI64(traceId, traceId.length));
  const traceLowEnd = w.pos;
  byte(w, I64_D1);
  w.writeI64(hexToI64(traceId, traceId.length - 16));
  const traceEnd = w.pos;
  byte(w, I64_D1);
  // A root span's id is its 64-bit trace id (the tracer makes them one string): the same varint.
  if (ctx.spanId === traceId) w.repeat(traceAt, traceLowEnd);
  else w.writeI64(hexToI64(ctx.spanId, ctx.spanId.length));
  byte(w, I64_D1);
  const parentAt = w.pos;
  w.writeI64(hexToI64(ctx.parentId, ctx.parentId.length));
  const parentEnd = w.pos;
  // 5: operationName.
  byte(w, STRING_D1);
  w.writeString(span.operationName);
  // 6: references, when there are any; 7: flags (delta 1 after 6, else 2 after 5).
  const refs = span.references;
  if (refs.length > 0) {
    byte(w, LIST_D1);
    w.writeListBegin(TType.STRUCT, refs.length);
    for (let i = 0; i < refs.length; i++) {
      const ref = refs[i];
      const c = ref.context;
      // SpanRef: 1 refType (zigzag of CHILD_OF 0 / FOLLOWS_FROM 1), 2 traceIdLow, 3 traceIdHigh, 4 spanId.
      w.ensure(2);
      w.buf[w.pos++] = I32_D1;
      w.buf[w.pos++] = ref.type === 'follows_from' ? 2 : 0;
      byte(w, I64_D1);
      if (c.traceId === traceId) {
        w.repeat(traceAt, traceEnd); // the same varints, joined by the same field header
      } else {
        w.writeI64(hexToI64(c.traceId, c.traceId.length));
        byte(w, I64_D1);
        w.writeI64(hexToI64(c.traceId, c.traceId.length - 16));
      }
      byte(w, I64_D1);
      if (c.spanId === ctx.parentId) w.repeat(parentAt, parentEnd);
      else w.writeI64(hexToI64(c.spanId, c.spanId.length));
      byte(w, 0); // stop
    }
    byte(w, I32_D1);
  } else {
    byte(w, (2 << 4) | C_I32);
  }
  w.writeI32(ctx.flags);
  // 8, 9: startTime, duration (whole µs; garbage becomes 0, as in writeSpan).
  const start = span.startTime;
  const duration = span.duration;
  byte(w, I64_D1);
  w.writeI64(Number.isFinite(start) ? Math.round(start) : 0);
  byte(w, I64_D1);
  w.writeI64(Number.isFinite(duration) ? Math.round(duration) : 0);
  // 10: tags, when there are any; 11: logs (delta 1 after 10, else 2 after 9).
  const tags = span.tags;
  const logs = span.logs;
  let logHeader = (2 << 4) | C_LIST;
  if (tags.length > 0) {
    byte(w, LIST_D1);
    w.writeListBegin(TType.STRUCT, tags.length);
    for (let i = 0; i < tags.length;) {
      const tag = tags[i];
      if (isSharedTag(tag)) {
        const run = tag.run;
        if (run !== undefined && run.tags[0] === tag) {
          const n = writeRun(w, tags, i, run);
          if (n > 0) {
            i += n;
            continue;
          }
        }
      }
      writeTagCompact(w, tag);
      i++;
    }
    logHeader = LIST_D1;
  }
  if (logs.length > 0) {
    byte(w, logHeader);
    w.writeListBegin(TType.STRUCT, logs.length);
    for (let i = 0; i < logs.length; i++) writeLog(w, logs[i]);
  }
  byte(w, 0); // stop
}

// A shared tag's bytes are the same wherever it goes (a struct starts a fresh field context): the
// first encoding is kept on the tag and copied from then on.
function writeTagCompact(w: CompactWriter, tag: Tag): void {
  if (!isSharedTag(tag)) {
    writeTagStruct(w, tag);
    return;
  }
  const encoded = tag.encoded;
  const bytes = encoded.compact;
  if (bytes !== undefined) {
    // TypedArray#set, not a byte loop: the server span of a request (6 shared tags of 9) encodes in
    // ~9,600 instructions with it and ~12,200 with the loop (callgrind).
    w.writeRaw(bytes);
    return;
  }
  const start = w.pos;
  writeTagStruct(w, tag);
  encoded.compact = new Uint8Array(w.buf.subarray(start, w.pos)); // a copy: the batch buffer is reused
}

// A run of shared tags (SharedTagRun) that sits whole and in order at tags[at]: its members' bytes,
// put together once all of them have their own, in one copy. Returns how many tags it wrote, 0 when
// the span holds the run otherwise (a member dropped by the span limits, another order).
function writeRun(w: CompactWriter, tags: readonly Tag[], at: number, run: SharedTagRun): number {
  const members = run.tags;
  const n = members.length;
  if (at + n > tags.length) return 0;
  for (let j = 1; j < n; j++) if (tags[at + j] !== members[j]) return 0;
  let bytes = run.compact;
  if (bytes === undefined) {
    let size = 0;
    for (let j = 0; j < n; j++) {
      const own = members[j].encoded.compact;
      if (own === undefined) return 0; // the first time: each tag is encoded on its own
      size += own.length;
    }
    bytes = new Uint8Array(size);
    for (let j = 0, p = 0; j < n; j++) {
      const own = members[j].encoded.compact!;
      bytes.set(own, p);
      p += own.length;
    }
    run.compact = bytes;
  }
  w.writeRaw(bytes);
  return n;
}

// A Tag struct: 1 key, 2 vType, then the one value field (3 vStr, 4 vDouble, 5 vBool, 6 vLong).
function writeTagStruct(w: CompactWriter, tag: Tag): void {
  const key = tag.key;
  const value = tag.value;
  let vType: number;
  switch (typeof value) {
    case 'string': vType = TagType.STRING; break;
    case 'boolean': vType = TagType.BOOL; break;
    case 'number': vType = Number.isSafeInteger(value) ? TagType.LONG : TagType.DOUBLE; break;
    default:
      // bigint, binary, objects, undefined: the generic path (rare on the hot path).
      writeTag(w, tag);
      return;
  }
  byte(w, STRING_D1);
  writeKey(w, typeof key === 'string' ? key : String(key));
  // vType is 0–3: its zigzag varint is one byte, 2·vType.
  w.ensure(2);
  w.buf[w.pos++] = I32_D1;
  w.buf[w.pos++] = vType << 1;
  switch (vType) {
    case TagType.STRING:
      byte(w, STRING_D1);
      w.writeString(value as string);
      break;
    case TagType.LONG:
      byte(w, (4 << 4) | C_I64);
      w.writeI64(value as number);
      break;
    case TagType.DOUBLE:
      byte(w, (2 << 4) | C_DOUBLE);
      w.writeDouble(value as number);
      break;
    default:
      byte(w, (3 << 4) | (value === true ? C_TRUE : C_FALSE));
  }
  byte(w, 0); // stop
}

// Tag keys come from a small vocabulary (the instrumentations' constants, the app's own names): each
// one's encoding (length prefix and UTF-8) is kept and copied. Bounded: keys up to 64 units, the
// first 1,024 seen (at worst ~0.5 MB held, a few KB for the usual ASCII keys); nothing is evicted,
// so one-off keys cannot push out the common ones, which come first.
const KEY_BYTES = new Map<string, Uint8Array>();
const MAX_KEYS = 1024;
const MAX_CACHED_KEY_LENGTH = 64;

function writeKey(w: CompactWriter, key: string): void {
  const bytes = KEY_BYTES.get(key);
  if (bytes !== undefined) {
    w.writeRaw(bytes);
    return;
  }
  const start = w.pos;
  w.writeString(key);
  if (KEY_BYTES.size < MAX_KEYS && key.length <= MAX_CACHED_KEY_LENGTH) {
    KEY_BYTES.set(key, new Uint8Array(w.buf.subarray(start, w.pos)));
  }
}

function byte(w: CompactWriter, b: number): void {
  w.ensure(1);
  w.buf[w.pos++] = b;
}
