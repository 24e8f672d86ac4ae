import type { JaegerSpanContext } from '../tracer/span-context';

/** A header/text-map carrier: Node's IncomingHttpHeaders fits (values may be arrays). */
export type Carrier = Record<string, unknown>;

/**
 * One propagation format. Neither method ever throws: malformed or oversized input extracts as
 * null (the caller starts a new root trace).
 */
export interface Codec {
  inject(context: JaegerSpanContext, carrier: Carrier): void;
  /**
   * A valid context, or a context with traceId '' that carries only baggage and/or a debug id,
   * or null when the carrier holds nothing of this format.
   */
  extract(carrier: Carrier): JaegerSpanContext | null;
}
