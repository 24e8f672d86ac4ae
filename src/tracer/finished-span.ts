import type { JaegerSpanContext } from './span-context';

/** One tag or log field. Values keep their JS type; the encoder maps them to Thrift tag types. */
export interface Tag {
  readonly key: string;
  readonly value: unknown;
}

export interface LogRecord {
  /** Microseconds since the epoch. */
  readonly timestamp: number;
  readonly fields: readonly Tag[];
}

export type ReferenceType = 'child_of' | 'follows_from';

export interface SpanReference {
  readonly type: ReferenceType;
  readonly context: JaegerSpanContext;
}

/** What a reporter, sender or encoder may read of a finished span. Nothing reaches past this. */
export interface FinishedSpan {
  readonly operationName: string;
  readonly spanContext: JaegerSpanContext;
  /** Microseconds since the epoch (may be fractional). */
  readonly startTime: number;
  /** Microseconds (may be fractional). */
  readonly duration: number;
  readonly tags: readonly Tag[];
  readonly logs: readonly LogRecord[];
  /** Every reference the span was started with, including the childOf parent. */
  readonly references: readonly SpanReference[];
}

/** The reporting process: what the Thrift Process struct carries. */
export interface ProcessInfo {
  readonly serviceName: string;
  readonly tags: readonly Tag[];
}
