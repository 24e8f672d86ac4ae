import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';

/**
 * Why spans were dropped: each reason is counted on its own.
 * - queue_full: the reporter's queue (JAEGER_REPORTER_MAX_QUEUE_SIZE spans, or the HTTP sender's
 *   byte budget for batches awaiting a retry) had no room;
 * - too_large: one span encodes to more than a datagram / request body may hold;
 * - send_error: the transport failed for good (an encoder fault, a UDP send error, HTTP 5xx other
 *   than 502/503/504);
 * - rejected: the collector refused the batch (HTTP 4xx other than 408/429), not retried;
 * - shutdown: finished after close(), or still queued when close() gave up waiting.
 */
export type DropReason = 'queue_full' | 'too_large' | 'send_error' | 'rejected' | 'shutdown';

export const DROP_REASONS: readonly DropReason[] = Object.freeze(['queue_full', 'too_large', 'send_error', 'rejected', 'shutdown']);

/** A transport failure that says which drop reason its spans count under (default send_error). */
export class SendError extends Error {
  readonly reason: DropReason;

  constructor(message: string, reason: DropReason) {
    super(message);
    this.name = 'SendError';
    this.reason = reason;
  }
}

/** How a sender tells its reporter what became of the spans it was given. */
export interface SenderEvents {
  onSent(count: number): void;
  onDropped(count: number, reason: DropReason, error?: Error): void;
}

/**
 * Turns finished spans into Thrift batches and ships them. `append` encodes the span at once (one
 * encoding per span, ever) and may send a batch when the next span would not fit into it.
 */
export interface Sender {
  /** Called by the tracer once, before any span is appended: the batch's Process struct. */
  setProcess(process: ProcessInfo): void;
  /** Where outcomes go; set by the reporter that owns the sender. */
  setEvents(events: SenderEvents): void;
  append(span: FinishedSpan): void;
  /**
   * Sends what is buffered; resolves once the sends have completed or failed (failures are
   * counted), or, for a sender with a deadline (HTTP), once the deadline passed: spans whose
   * batch still awaits a retry then stay queued.
   */
  flush(): Promise<void>;
  /** Flushes, then releases sockets; spans appended afterwards are dropped as 'shutdown'. */
  close(): Promise<void>;
  /** Spans appended and not yet sent or dropped: buffered plus in flight (including retries). */
  readonly queued: number;
  /** Of `queued`, the spans in batches handed to the transport (sending or awaiting a retry). */
  readonly inFlight?: number;
  /**
   * Optional: told about spans dropped before they reached the sender (the reporter's full queue),
   * so that the batches' ClientStats (fullQueueDroppedSpans) report them to the agent.
   */
  noteDropped?(count: number, reason: DropReason): void;
}
