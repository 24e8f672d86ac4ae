import { bigintToI64 } from './int64';
import { TagType, TType, type ProtocolWriter } from './types';

// How a JS tag value becomes a Jaeger Tag: vType plus exactly the one matching value field.
//   string → STRING; boolean → BOOL; safe integer → LONG; other numbers (incl. NaN, ±Infinity) →
//   DOUBLE; bigint → LONG when it fits in i64, else its decimal STRING; Uint8Array / any
//   ArrayBuffer view / ArrayBuffer → BINARY; Error → "Name: message" (what String(err) shows, the
//   stack is for logs); anything else → STRING via JSON when that yields a string, else String().

/** Writes fields 2 (vType) and the value field of a Tag struct. */
export function writeTagValue(w: ProtocolWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      writeString(w, value);
      return;
    case 'number':
      if (Number.isSafeInteger(value)) {
        writeVType(w, TagType.LONG);
        w.writeFieldBegin('vLong', TType.I64, 6);
        w.writeI64(value);
      } else {
        writeVType(w, TagType.DOUBLE);
        w.writeFieldBegin('vDouble', TType.DOUBLE, 4);
        w.writeDouble(value);
      }
      w.writeFieldEnd();
      return;
    case 'boolean':
      writeVType(w, TagType.BOOL);
      w.writeFieldBegin('vBool', TType.BOOL, 5);
      w.writeBool(value);
      w.writeFieldEnd();
      return;
    case 'bigint': {
      const words = bigintToI64(value);
      if (words === undefined) {
        writeString(w, value.toString());
      } else {
        writeVType(w, TagType.LONG);
        w.writeFieldBegin('vLong', TType.I64, 6);
        w.writeI64(words);
        w.writeFieldEnd();
      }
      return;
    }
    case 'object': {
      const bytes = value === null ? undefined : bytesOf(value);
      if (bytes !== undefined) {
        writeVType(w, TagType.BINARY);
        w.writeFieldBegin('vBinary', TType.STRING, 7);
        w.writeBinary(bytes);
        w.writeFieldEnd();
      } else {
        writeString(w, describe(value));
      }
      return;
    }
    default:
      writeString(w, describe(value));
  }
}

function writeVType(w: ProtocolWriter, vType: number): void {
  w.writeFieldBegin('vType', TType.I32, 2);
  w.writeI32(vType);
  w.writeFieldEnd();
}

function writeString(w: ProtocolWriter, s: string): void {
  writeVType(w, TagType.STRING);
  w.writeFieldBegin('vStr', TType.STRING, 3);
  w.writeString(s);
  w.writeFieldEnd();
}

function bytesOf(value: object): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return undefined;
}

/** A string for any non-primitive-mapped value. Never throws (hostile toJSON / toString). */
export function describe(value: unknown): string {
  try {
    if (value === undefined || value === null) return String(value);
    if (typeof value === 'function') return `[Function ${value.name || 'anonymous'}]`;
    if (typeof value === 'symbol') return value.toString();
    if (value instanceof Error) return String(value);
    const json = JSON.stringify(value);
    if (typeof json === 'string') return json;
  } catch {
    // cyclic structures, throwing getters: fall through
  }
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
