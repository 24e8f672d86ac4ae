import type * as opentracing from 'opentracing';
import { getTracer, isTracing } from '../tracer/global';
import { activeScope } from '../context/scope-manager';
import type { JaegerSpan } from '../tracer/span';
import { ERROR } from '../tracer/tags';

// The handful of things every shim does. Each returns quickly when tracing is off.

/** True when a shim should trace the call it intercepts now (tracing on, not in our own traffic). */
export function shouldTrace(): boolean {
  return isTracing() && activeScope()?.untraced !== true;
}

/**
 * Starts a span: a child of `childOf` when given, else of the active span, else a root. Returns
 * undefined when tracing is off or inside runUntraced(), so callers fall through to the original.
 */
export function startSpan(
  operationName: string,
  tags?: Record<string, unknown>,
  childOf?: opentracing.SpanContext | opentracing.Span | null,
): JaegerSpan | undefined {
  if (!isTracing()) return undefined;
  const scope = activeScope();
  if (scope?.untraced === true) return undefined;
  const tracer = getTracer();
  if (tracer === undefined) return undefined;
  return tracer.startSpan(operationName, { childOf: childOf ?? scope?.span, tags });
}

/** Marks the span failed: error=true plus an error log (event, error.kind, message, stack). */
export function setError(span: opentracing.Span, err: unknown): void {
  span.setTag(ERROR, true);
  if (err instanceof Error) {
    span.log({ event: 'error', 'error.kind': err.name || err.constructor?.name || 'Error', message: err.message, stack: err.stack });
  } else if (err !== undefined) {
    span.log({ event: 'error', message: safeString(err) });
  }
}

/** Finishes the span, marking it failed first when `err` is given. */
export function finishSpan(span: opentracing.Span, err?: unknown): void {
  if (err !== undefined && err !== null) setError(span, err);
  span.finish();
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '[unprintable]';
  }
}
