import type { FinishedSpan, ProcessInfo } from '../tracer/finished-span';

/** Receives every finished, sampled span. */
export interface Reporter {
  /** Called by the tracer once, at construction: the process the spans belong to. */
  setProcess(process: ProcessInfo): void;
  report(span: FinishedSpan): void;
  /** Delivers everything reported so far (as far as the transport allows). */
  flush(): Promise<void>;
  /** Flushes and stops timers and sockets; reports after close are dropped silently. */
  close(): Promise<void>;
}
