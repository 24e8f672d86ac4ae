import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';
import { BinaryWriter } from './binary-writer';
import { CompactWriter } from './compact-writer';
import { writeSpanCompact } from './compact-span';
import { writeBatch, writeEmitBatch, writeSpan, type BatchContent } from './encode';
import type { ClientStats } from './types';

// Assembles batches from spans encoded exactly once. Each span is written straight into the
// buffer that will become the datagram / request body, after some headroom; when the batch is
// finished, everything before the span list (message envelope, Process, list header) is written
// into that headroom and everything after it (seqNo, ClientStats, stops) behind the last span.
// A span struct starts a fresh field-id context in both protocols, so its bytes do not depend on
// where in the batch they sit.

export type Protocol = 'compact' | 'binary';

export interface BatchBuilderOptions {
  protocol: Protocol;
  /** Wrap each Batch in an Agent.emitBatch oneway message (the UDP agent wants this). */
  envelope: boolean;
  /** Usual buffer size: big enough for one finished frame plus one span that overflows it. */
  capacity: number;
}

const DEFAULT_PROCESS: ProcessInfo = Object.freeze({ serviceName: 'unknown_service:node', tags: Object.freeze([]) });
// Worst cases for the variable-width numbers of a frame, so size checks are upper bounds.
const MAX_SEQID = 0x7fffffff;
const MAX_COUNT = Number.MAX_SAFE_INTEGER;
const MAX_STATS: ClientStats = { fullQueueDroppedSpans: MAX_COUNT, tooLargeDroppedSpans: MAX_COUNT, failedToEmitSpans: MAX_COUNT };
const HEADROOM_SLACK = 16; // list header growth from 0 spans to millions, and a margin

type Writer = CompactWriter | BinaryWriter;

/** A batch being filled with encoded spans; see the file comment for the layout. */
export class BatchBuilder {
  readonly #body: Writer;
  readonly #frame: Writer;
  readonly #listHeaderSize: (count: number) => number;
  readonly #envelope: boolean;
  readonly #compact: boolean;
  readonly #capacity: number;
  readonly #free: ArrayBuffer[] = [];
  #process: ProcessInfo = DEFAULT_PROCESS;
  #overhead = 0;
  #headroom = 0;
  #bodyStart = 0;
  #count = 0;

  constructor(options: BatchBuilderOptions) {
    const compact = options.protocol === 'compact';
    this.#body = compact ? new CompactWriter(options.capacity) : new BinaryWriter(options.capacity);
    this.#frame = compact ? new CompactWriter(1024) : new BinaryWriter(1024);
    this.#listHeaderSize = compact ? CompactWriter.listHeaderSize : BinaryWriter.listHeaderSize;
    this.#envelope = options.envelope;
    this.#compact = compact;
    this.#capacity = options.capacity;
    this.#measure();
    this.#bodyStart = this.#headroom;
    this.#body.reset(this.#body.buf, this.#bodyStart);
  }

  setProcess(process: ProcessInfo): void {
    this.#process = process;
    this.#measure();
    if (this.#count === 0) {
      this.#bodyStart = this.#headroom;
      this.#body.reset(this.#body.buf, this.#bodyStart);
    }
  }

  get process(): ProcessInfo {
    return this.#process;
  }

  /** Spans in the current batch. */
  get count(): number {
    return this.#count;
  }

  /** Encoded bytes of the spans in the current batch. */
  get bodyBytes(): number {
    return this.#body.pos - this.#bodyStart;
  }

  /** An upper bound of the finished frame's size for `count` spans taking `bodyBytes`. */
  frameSize(count: number, bodyBytes: number): number {
    return this.#overhead + this.#listHeaderSize(count) + bodyBytes;
  }

  /** Encodes `span` at the end of the batch; returns its size. On a throw the batch is unchanged. */
  append(span: FinishedSpan): number {
    const w = this.#body;
    const before = w.pos;
    try {
      if (this.#compact) writeSpanCompact(w as CompactWriter, span);
      else writeSpan(w, span);
    } catch (err) {
      w.reset(w.buf, before);
      throw err;
    }
    this.#count++;
    return w.pos - before;
  }

  /** Takes the last appended span (`size` bytes, as append returned) back out. */
  dropLast(size: number): void {
    const w = this.#body;
    w.reset(w.buf, w.pos - size);
    this.#count--;
    // An oversized span may have grown the buffer; do not keep a huge one for the next spans.
    if (w.buf.length > 2 * this.#capacity) {
      const next = this.#allocate(this.#headroom + this.bodyBytes);
      w.buf.copy(next, this.#headroom, this.#bodyStart, w.pos);
      w.reset(next, this.#headroom + this.bodyBytes);
      this.#bodyStart = this.#headroom;
    }
  }

  /**
   * Completes the batch and returns the frame (a view of an internal buffer: hand it back with
   * recycle() once sent). With `carry` > 0 the last span (`carry` bytes) is left out and starts
   * the next batch instead.
   */
  finish(seqNo: number, stats: ClientStats, carry = 0): Buffer {
    const w = this.#body;
    const count = this.#count - (carry > 0 ? 1 : 0);
    const end = w.pos - carry;
    let buf = w.buf;
    let start = this.#bodyStart;

    const next = this.#allocate(this.#headroom + carry + 1024);
    if (carry > 0) buf.copy(next, this.#headroom, end, w.pos);

    const f = this.#frame;
    f.reset();
    let mark = -1;
    const content: BatchContent = {
      process: this.#process, seqNo, stats, spans: { count, write: (fw) => { mark = (fw as Writer).pos; } },
    };
    if (this.#envelope) writeEmitBatch(f, seqNo & MAX_SEQID, content);
    else writeBatch(f, content);
    const prefix = mark;
    const suffix = f.pos - mark;
    const bodyLen = end - start;
    if (prefix > start || end + suffix > buf.length) {
      // The process grew since this buffer was started, or the suffix does not fit: copy once.
      const bigger = Buffer.allocUnsafeSlow(prefix + bodyLen + suffix);
      buf.copy(bigger, prefix, start, end);
      buf = bigger;
      start = prefix;
    }
    f.buf.copy(buf, start - prefix, 0, prefix);
    f.buf.copy(buf, start + bodyLen, mark, f.pos);
    const frame = buf.subarray(start - prefix, start + bodyLen + suffix);

    this.#bodyStart = this.#headroom;
    w.reset(next, this.#headroom + carry);
    this.#count = carry > 0 ? 1 : 0;
    return frame;
  }

  /** Returns a sent frame's memory for reuse. */
  recycle(frame: Buffer): void {
    const ab = frame.buffer;
    if (this.#free.length < 2 && ab instanceof ArrayBuffer && ab.byteLength >= this.#capacity
      && ab.byteLength <= 2 * this.#capacity) {
      this.#free.push(ab);
    }
  }

  #allocate(min: number): Buffer {
    const ab = this.#free.pop();
    if (ab !== undefined && ab.byteLength >= min) return Buffer.from(ab);
    return Buffer.allocUnsafeSlow(Math.max(this.#capacity, min));
  }

  // Worst-case frame overhead (everything but the spans and their list header) and the headroom
  // the prefix needs, for the current process.
  #measure(): void {
    const f = this.#frame;
    f.reset();
    let mark = -1;
    const content: BatchContent = {
      process: this.#process, seqNo: MAX_COUNT, stats: MAX_STATS, spans: { count: 0, write: (fw) => { mark = (fw as Writer).pos; } },
    };
    if (this.#envelope) writeEmitBatch(f, MAX_SEQID, content);
    else writeBatch(f, content);
    this.#overhead = f.pos - this.#listHeaderSize(0);
    this.#headroom = mark + HEADROOM_SLACK;
  }
}
