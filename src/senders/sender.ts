import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';

/** Why spans were dropped: each reason is counted on its own. */
export type DropReason = 'queue_full' | 'too_large' | 'send_error' | 'shutdown';

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
  /** Sends what is buffered; resolves once the send has completed or failed (failures are counted). */
  flush(): Promise<void>;
  /** Flushes, then releases sockets; spans appended afterwards are dropped as 'shutdown'. */
  close(): Promise<void>;
  /** Spans appended and not yet sent or dropped (buffered plus in flight). */
  readonly queued: number;
  /**
   * Optional: told about spans dropped before they reached the sender (the reporter's full queue),
   * so that the batches' ClientStats (fullQueueDroppedSpans) report them to the agent.
   */
  noteDropped?(count: number, reason: DropReason): void;
}
