import { ByteWriter, SHORT_STRING, writeUtf8 } from './byte-writer';
import { TType, type I64, type ProtocolWriter } from './types';

// Thrift compact protocol: field headers are id deltas packed with a 4-bit type, integers are
// zigzag varints, doubles little-endian, and a bool field carries its value in the header.

const PROTOCOL_ID = 0x82;
const VERSION = 1;
const CT_BOOL_TRUE = 1;
const CT_BOOL_FALSE = 2;

// TType → compact type nibble.
const CTYPE = new Uint8Array(16);
CTYPE[TType.BOOL] = 1;
CTYPE[TType.BYTE] = 3;
CTYPE[TType.I16] = 4;
CTYPE[TType.I32] = 5;
CTYPE[TType.I64] = 6;
CTYPE[TType.DOUBLE] = 7;
CTYPE[TType.STRING] = 8;
CTYPE[TType.LIST] = 9;
CTYPE[TType.SET] = 10;
CTYPE[TType.MAP] = 11;
CTYPE[TType.STRUCT] = 12;

/** Bytes of a varint holding the unsigned 32-bit value `n`. */
export function varint32Size(n: number): number {
  n >>>= 0;
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : n < 0x10000000 ? 4 : 5;
}

/** A compact-protocol writer into a growable, reusable buffer. */
export class CompactWriter extends ByteWriter implements ProtocolWriter {
  private lastFieldId = 0;
  private readonly fieldIdStack: number[] = [];
  // A bool field's header waits for its value (-1: none pending).
  private pendingBoolId = -1;

  /** Size of a list header for `count` elements. */
  static listHeaderSize(count: number): number {
    return count <= 14 ? 1 : 1 + varint32Size(count);
  }

  override reset(buf?: Buffer, pos?: number): void {
    super.reset(buf, pos);
    this.lastFieldId = 0;
    this.fieldIdStack.length = 0;
    this.pendingBoolId = -1;
  }

  writeMessageBegin(name: string, type: number, seqid: number): void {
    this.ensure(2);
    this.buf[this.pos++] = PROTOCOL_ID;
    this.buf[this.pos++] = VERSION | ((type << 5) & 0xe0);
    this.varint32(seqid);
    this.writeString(name);
  }

  writeMessageEnd(): void {}

  writeStructBegin(_name: string): void {
    this.fieldIdStack.push(this.lastFieldId);
    this.lastFieldId = 0;
  }

  writeStructEnd(): void {
    this.lastFieldId = this.fieldIdStack.pop() ?? 0;
  }

  writeFieldBegin(_name: string, type: number, id: number): void {
    if (type === TType.BOOL) this.pendingBoolId = id;
    else this.fieldHeader(CTYPE[type], id);
  }

  writeFieldEnd(): void {}

  writeFieldStop(): void {
    this.ensure(1);
    this.buf[this.pos++] = 0;
  }

  writeListBegin(etype: number, size: number): void {
    this.ensure(1);
    if (size <= 14) {
      this.buf[this.pos++] = (size << 4) | CTYPE[etype];
    } else {
      this.buf[this.pos++] = 0xf0 | CTYPE[etype];
      this.varint32(size);
    }
  }

  writeListEnd(): void {}

  writeBool(value: boolean): void {
    const ctype = value ? CT_BOOL_TRUE : CT_BOOL_FALSE;
    if (this.pendingBoolId >= 0) {
      this.fieldHeader(ctype, this.pendingBoolId);
      this.pendingBoolId = -1;
    } else {
      this.ensure(1);
      this.buf[this.pos++] = ctype;
    }
  }

  writeI32(value: number): void {
    this.varint32((value << 1) ^ (value >> 31));
  }

  writeI64(value: number | I64): void {
    let hi: number;
    let lo: number;
    if (typeof value === 'number') {
      // Small values (durations, counts, flags-sized longs) take the 32-bit path.
      if (value >= -0x40000000 && value < 0x40000000) {
        this.varint32((value << 1) ^ (value >> 31));
        return;
      }
      hi = Math.floor(value / 4294967296);
      lo = value - hi * 4294967296;
    } else {
      hi = value.hi;
      lo = value.lo;
    }
    // zigzag over 64 bits: (v << 1) ^ (v >> 63), word by word.
    const sign = hi >> 31;
    let zhi = ((hi << 1) | (lo >>> 31)) ^ sign;
    let zlo = (lo << 1) ^ sign;
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    while (zhi !== 0 || zlo >>> 7 !== 0) {
      buf[pos++] = (zlo & 0x7f) | 0x80;
      zlo = (zlo >>> 7) | (zhi << 25);
      zhi >>>= 7;
    }
    buf[pos++] = zlo;
    this.pos = pos;
  }

  writeDouble(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(value === value ? value : NaN, this.pos);
    this.pos += 8;
  }

  writeString(value: string): void {
    const n = value.length;
    if (n < 43) {
      // ≤ 126 bytes even if every unit takes 3: the length prefix is one byte.
      this.ensure(1 + 3 * n);
      const len = writeUtf8(this.buf, value, this.pos + 1);
      this.buf[this.pos] = len;
      this.pos += 1 + len;
    } else if (n <= SHORT_STRING) {
      // Reserve the longest prefix, write, then close the gap if the prefix came out shorter.
      const room = varint32Size(3 * n);
      this.ensure(room + 3 * n);
      const start = this.pos;
      const len = writeUtf8(this.buf, value, start + room);
      this.varint32(len);
      if (this.pos !== start + room) this.buf.copyWithin(this.pos, start + room, start + room + len);
      this.pos += len;
    } else {
      const len = Buffer.byteLength(value);
      this.varint32(len);
      this.ensure(len);
      this.pos += this.buf.write(value, this.pos);
    }
  }

  writeBinary(value: Uint8Array): void {
    this.varint32(value.length);
    this.writeRaw(value);
  }

  private fieldHeader(ctype: number, id: number): void {
    const delta = id - this.lastFieldId;
    if (delta > 0 && delta <= 15) {
      this.ensure(1);
      this.buf[this.pos++] = (delta << 4) | ctype;
    } else {
      this.ensure(1);
      this.buf[this.pos++] = ctype;
      this.writeI32(id);
    }
    this.lastFieldId = id;
  }

  /** `n` as an unsigned 32-bit varint (1–5 bytes). */
  private varint32(n: number): void {
    this.ensure(5);
    const buf = this.buf;
    let pos = this.pos;
    n >>>= 0;
    while (n >= 0x80) {
      buf[pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    buf[pos++] = n;
    this.pos = pos;
  }
}
