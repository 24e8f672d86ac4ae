// The growable, reusable output buffer under both protocol writers. Writers call ensure() before
// writing and then store bytes directly, so the hot path is plain typed-array stores.

/** Strings longer than this are measured with Buffer.byteLength first instead of over-reserving. */
export const SHORT_STRING = 1024;

// TypedArray methods taken once and called on the buffer: looked up on a Buffer per call, `set` and
// `copyWithin` went through V8's generic property load each time (~70 instructions a lookup in
// callgrind; a server span copies ~9 encoded tags and keys).
const setBytes = Uint8Array.prototype.set;
const copyBytesWithin = Uint8Array.prototype.copyWithin;

export class ByteWriter {
  buf: Buffer;
  pos = 0;

  constructor(capacity = 4096) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }

  /** Writes into `buf` from `pos` on (the writer adopts the buffer; it may replace it to grow). */
  reset(buf: Buffer = this.buf, pos = 0): void {
    this.buf = buf;
    this.pos = pos;
  }

  ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.grow(n);
  }

  private grow(n: number): void {
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafeSlow(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Appends bytes already encoded by the same protocol. */
  writeRaw(bytes: Uint8Array): void {
    const n = bytes.length;
    this.ensure(n);
    setBytes.call(this.buf, bytes, this.pos);
    this.pos += n;
  }

  /**
   * Appends a copy of bytes [from, to) this writer already wrote. copyWithin, not a byte loop:
   * callgrind counted a child span's encoding at ~8,300 instructions with it and ~15,200 with the
   * loop, which this V8 compiles poorly.
   */
  repeat(from: number, to: number): void {
    this.ensure(to - from);
    copyBytesWithin.call(this.buf, this.pos, from, to);
    this.pos += to - from;
  }

  /** A copy of what was written since `from`. */
  copy(from = 0): Buffer {
    return Buffer.from(this.buf.subarray(from, this.pos));
  }
}

/**
 * Writes `s` as UTF-8 at `at` and returns the byte count. The caller has reserved 3 bytes per
 * UTF-16 unit. Short ASCII (the usual tag key or value) is copied by hand: cheaper than crossing
 * into Buffer#write for a dozen bytes.
 */
export function writeUtf8(buf: Buffer, s: string, at: number): number {
  const n = s.length;
  if (n <= 64) {
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) return buf.write(s, at);
      buf[at + i] = c;
    }
    return n;
  }
  return buf.write(s, at);
}
