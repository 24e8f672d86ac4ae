import type { DropReason, Sender, SenderEvents } from './sender';
import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';
import { SpanBatcher, type SpanBatcherOptions, type Transmit } from '../thrift/span-batcher';

/**
 * The Sender contract over a SpanBatcher. A concrete sender supplies only how a finished frame
 * travels (`transmit`) and what to let go of once the last frame has been sent (`release`).
 */
export abstract class BatchingSender implements Sender {
  readonly #batcher: SpanBatcher;
  #closing: Promise<void> | undefined;

  protected constructor(options: Omit<SpanBatcherOptions, 'transmit'>) {
    this.#batcher = new SpanBatcher({ ...options, transmit: (frame, done) => this.transmit(frame, done) });
  }

  /** Sends one frame; calls `done` exactly once, asynchronously. True: the frame is already copied. */
  protected abstract transmit(...args: Parameters<Transmit>): boolean | void;

  /**
   * Frees sockets and agents after the final flush; frames the transport still holds must have
   * their `done` called (with a 'shutdown' SendError) by then or soon after.
   */
  protected abstract release(): void;

  get queued(): number {
    return this.#batcher.queued;
  }

  get inFlight(): number {
    return this.#batcher.inFlight;
  }

  setProcess(process: ProcessInfo): void {
    this.#batcher.setProcess(process);
  }

  setEvents(events: SenderEvents): void {
    this.#batcher.setEvents(events);
  }

  noteDropped(count: number, reason: DropReason): void {
    this.#batcher.noteDropped(count, reason);
  }

  append(span: FinishedSpan): void {
    this.#batcher.append(span);
  }

  flush(): Promise<void> {
    return this.#batcher.flush();
  }

  closeNow(): void {
    this.#batcher.stop();
    if (this.#closing !== undefined) {
      this.release(); // a close() still waiting for its flush: stop waiting
      return;
    }
    this.#closing = Promise.resolve();
    this.release();
  }

  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#batcher.stop();
      // Requests release() aborts settle a tick later: wait for them so that, once close()
      // resolves, every span is counted as sent or dropped.
      this.#closing = this.#batcher.flush().then(() => {
        this.release();
        return this.#batcher.flush();
      });
    }
    return this.#closing;
  }
}
