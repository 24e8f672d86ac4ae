import { SendError, type DropReason, type SenderEvents } from '../senders/sender';
import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';
import type { Logger } from '../log';
import { BatchBuilder, type Protocol } from './batch-builder';

// Everything the UDP and HTTP senders share: encode each span once on append, cut batches at the
// frame budget, count what becomes of every span, and track sends in flight so flush() can wait
// for them. Only moving a finished frame differs, and that is the `transmit` callback.

/**
 * Sends one frame and calls `done` exactly once, asynchronously, with the outcome. Returns true when
 * the transport has already copied the frame (its memory may be reused before `done`).
 */
export type Transmit = (frame: Buffer, done: (err?: Error | null) => void) => boolean | void;

export interface SpanBatcherOptions {
  protocol: Protocol;
  envelope: boolean;
  /** No frame is ever longer than this; a span that cannot fit even alone is dropped. */
  maxFrameBytes: number;
  /** Initial buffer size (defaults to the frame budget plus room for one overflowing span). */
  capacity?: number;
  transmit: Transmit;
  /** Reuse a frame's memory once `done` was called (only when the transport no longer reads it). */
  recycle: boolean;
  logger: Logger;
  /**
   * The longest flush() waits (an unref'd timer); batches still unsettled then stay counted as in
   * flight. Unset: flush() waits for every send to settle.
   */
  flushTimeoutMs?: number;
}

const NOOP_EVENTS: SenderEvents = { onSent() {}, onDropped() {} };

export class SpanBatcher {
  readonly #builder: BatchBuilder;
  readonly #max: number;
  readonly #transmit: Transmit;
  readonly #recycle: boolean;
  readonly #logger: Logger;
  readonly #flushTimeoutMs: number | undefined;
  readonly #pending = new Set<Promise<void>>();
  #events: SenderEvents = NOOP_EVENTS;
  #seqNo = 0;
  #inFlight = 0;
  #fullQueue = 0;
  #tooLarge = 0;
  #failed = 0;
  #closed = false;

  constructor(options: SpanBatcherOptions) {
    this.#max = options.maxFrameBytes;
    this.#builder = new BatchBuilder({
      protocol: options.protocol,
      envelope: options.envelope,
      capacity: options.capacity ?? options.maxFrameBytes + 8192,
    });
    this.#transmit = options.transmit;
    this.#recycle = options.recycle;
    this.#logger = options.logger;
    this.#flushTimeoutMs = options.flushTimeoutMs;
  }

  setProcess(process: ProcessInfo): void {
    this.#builder.setProcess(process);
  }

  setEvents(events: SenderEvents): void {
    this.#events = events;
  }

  /** Spans buffered plus spans in frames handed to the transport and not yet settled. */
  get queued(): number {
    return this.#builder.count + this.#inFlight;
  }

  /** Spans in frames handed to the transport (sending, or waiting there for a retry). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Stops taking spans: later appends are dropped as 'shutdown'. */
  stop(): void {
    this.#closed = true;
  }

  noteDropped(count: number, reason: DropReason): void {
    if (reason === 'queue_full') this.#fullQueue += count;
  }

  append(span: FinishedSpan): void {
    if (this.#closed) {
      this.#dropped(1, 'shutdown');
      return;
    }
    const b = this.#builder;
    let size: number;
    try {
      size = b.append(span);
    } catch (err) {
      this.#dropped(1, 'send_error', err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (b.frameSize(b.count, b.bodyBytes) <= this.#max) return;
    if (b.frameSize(1, size) > this.#max) {
      b.dropLast(size);
      this.#tooLarge++;
      this.#dropped(1, 'too_large', new Error(`span '${span.operationName}' encodes to ${size} bytes, over the ${this.#max}-byte limit`));
      return;
    }
    // This span overflows the batch: send the others; it opens the next batch.
    this.#send(size);
  }

  /** Sends the current batch (if any); resolves when it and every earlier send have completed. */
  flush(): Promise<void> {
    if (this.#builder.count > 0) this.#send(0);
    if (this.#pending.size === 0) return Promise.resolve();
    const all = Promise.all(this.#pending).then(() => undefined);
    const ms = this.#flushTimeoutMs;
    if (ms === undefined) return all;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      timer.unref(); // a deadline, not a reason to keep the process alive
      all.then(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #send(carry: number): void {
    const b = this.#builder;
    const count = b.count - (carry > 0 ? 1 : 0);
    const stats = { fullQueueDroppedSpans: this.#fullQueue, tooLargeDroppedSpans: this.#tooLarge, failedToEmitSpans: this.#failed };
    const frame = b.finish(++this.#seqNo, stats, carry);
    this.#inFlight += count;
    let settle!: () => void;
    const pending = new Promise<void>((resolve) => { settle = resolve; });
    this.#pending.add(pending);
    let called = false;
    let recycled = !this.#recycle;
    const done = (err?: Error | null): void => {
      if (called) return;
      called = true;
      this.#inFlight -= count;
      this.#pending.delete(pending);
      if (!recycled) {
        recycled = true;
        b.recycle(frame);
      }
      if (err) {
        this.#failed += count;
        this.#logger.debug('sending %d span(s) (%d bytes) failed: %s', count, frame.length, err.message);
        this.#dropped(count, err instanceof SendError ? err.reason : 'send_error', err);
      } else {
        this.#sent(count);
      }
      settle();
    };
    try {
      // A frame the transport copied at once goes back to the builder now, not a tick later: a
      // burst of spans in one synchronous stretch then reuses two buffers instead of touching a
      // fresh one per batch (page faults cost more than the send itself).
      if (this.#transmit(frame, done) === true && !recycled) {
        recycled = true;
        b.recycle(frame);
      }
    } catch (err) {
      // A transport must not throw; if one does, the batch is lost, not the caller's stack.
      process.nextTick(done, err instanceof Error ? err : new Error(String(err)));
    }
  }

  // The reporter's handlers must not be able to break a socket callback or the caller's finish().
  #sent(count: number): void {
    try {
      this.#events.onSent(count);
    } catch (err) {
      this.#logger.debug('onSent handler threw: %s', (err as Error)?.message);
    }
  }

  #dropped(count: number, reason: DropReason, error?: Error): void {
    try {
      this.#events.onDropped(count, reason, error);
    } catch (err) {
      this.#logger.debug('onDropped handler threw: %s', (err as Error)?.message);
    }
  }
}
