import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';
import type { DropReason } from '../senders/sender';

/**
 * What became of every span a reporter was given. At any moment:
 *   reported = sent + (sum of dropped) + queued
 * where `queued` counts spans buffered and spans in batches handed to the transport (`inFlight`:
 * on the wire, or awaiting a retry). On a healthy receiver, `sent` equals the spans it received.
 */
export interface ReporterStats {
  /** Sampled spans handed to report(), including those dropped at once. */
  reported: number;
  /** Spans the transport delivered (UDP: handed to the kernel; HTTP: a 2xx answer). */
  sent: number;
  dropped: Record<DropReason, number>;
  /** Buffered plus in flight: not yet sent or dropped. */
  queued: number;
  /** The part of `queued` in batches handed to the transport. */
  inFlight: number;
}

/** Receives every finished, sampled span. */
export interface Reporter {
  /** Called by the tracer once, at construction: the process the spans belong to. */
  setProcess(process: ProcessInfo): void;
  report(span: FinishedSpan): void;
  /** Delivers everything reported so far (as far as the transport allows). */
  flush(): Promise<void>;
  /** Flushes and stops timers and sockets; reports after close are dropped (and counted). */
  close(): Promise<void>;
  /** Optional: the span accounting (RemoteReporter, and CompositeReporter summing its parts). */
  stats?(): ReporterStats | undefined;
}
