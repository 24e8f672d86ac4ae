import { ByteWriter, SHORT_STRING, writeUtf8 } from './byte-writer';
import type { I64, ProtocolWriter } from './types';

// Thrift binary protocol: big-endian fixed-width integers, a type byte plus i16 id per field, and
// i32 length prefixes. Messages use the strict (versioned) header, as the thrift package does.

const VERSION_1 = 0x80010000;

/** A binary-protocol writer into a growable, reusable buffer. */
export class BinaryWriter extends ByteWriter implements ProtocolWriter {
  /** Size of a list header (element type byte + i32 count). */
  static listHeaderSize(_count: number): number {
    return 5;
  }

  writeMessageBegin(name: string, type: number, seqid: number): void {
    this.writeI32(VERSION_1 | type);
    this.writeString(name);
    this.writeI32(seqid);
  }

  writeMessageEnd(): void {}

  writeStructBegin(_name: string): void {}

  writeStructEnd(): void {}

  writeFieldBegin(_name: string, type: number, id: number): void {
    this.ensure(3);
    const buf = this.buf;
    const pos = this.pos;
    buf[pos] = type;
    buf[pos + 1] = id >>> 8;
    buf[pos + 2] = id;
    this.pos = pos + 3;
  }

  writeFieldEnd(): void {}

  writeFieldStop(): void {
    this.ensure(1);
    this.buf[this.pos++] = 0;
  }

  writeListBegin(etype: number, size: number): void {
    this.ensure(1);
    this.buf[this.pos++] = etype;
    this.writeI32(size);
  }

  writeListEnd(): void {}

  writeBool(value: boolean): void {
    this.ensure(1);
    this.buf[this.pos++] = value ? 1 : 0;
  }

  writeI32(value: number): void {
    this.ensure(4);
    this.word(value, this.pos);
    this.pos += 4;
  }

  writeI64(value: number | I64): void {
    let hi: number;
    let lo: number;
    if (typeof value === 'number') {
      hi = Math.floor(value / 4294967296);
      lo = value - hi * 4294967296;
    } else {
      hi = value.hi;
      lo = value.lo;
    }
    this.ensure(8);
    this.word(hi, this.pos);
    this.word(lo, this.pos + 4);
    this.pos += 8;
  }

  writeDouble(value: number): void {
    this.ensure(8);
    this.buf.writeDoubleBE(value === value ? value : NaN, this.pos);
    this.pos += 8;
  }

  writeString(value: string): void {
    const n = value.length;
    if (n <= SHORT_STRING) {
      // The prefix has a fixed size: write the bytes first, then their count in front.
      this.ensure(4 + 3 * n);
      const len = writeUtf8(this.buf, value, this.pos + 4);
      this.word(len, this.pos);
      this.pos += 4 + len;
    } else {
      const len = Buffer.byteLength(value);
      this.writeI32(len);
      this.ensure(len);
      this.pos += this.buf.write(value, this.pos);
    }
  }

  writeBinary(value: Uint8Array): void {
    this.writeI32(value.length);
    this.writeRaw(value);
  }

  private word(v: number, at: number): void {
    const buf = this.buf;
    buf[at] = v >>> 24;
    buf[at + 1] = v >>> 16;
    buf[at + 2] = v >>> 8;
    buf[at + 3] = v;
  }
}
