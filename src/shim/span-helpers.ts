import type * as opentracing from 'opentracing';
import { getTracer, isTracing } from '../tracer/global';
import { activeScope, type Scope } from '../context/scope-manager';
import type { FinishGuard, JaegerSpan } from '../tracer/span';
import type { Tag } from '../tracer/finished-span';
import { sharedTagList } from '../tracer/shared-tag';
import { ERROR } from '../tracer/tags';
import type { JaegerTracer, JaegerSpanOptions } from '../tracer/tracer';
import { currentInstrumentation, maybeInjectFault, reportFault, type InstrumentationState } from './guard';

// The handful of things every shim does. Each returns quickly when tracing is off.

/** True when a shim should trace the call it intercepts now (tracing on, not in our own traffic). */
export function shouldTrace(): boolean {
  return isTracing() && activeScope()?.untraced !== true;
}

/**
 * True when the active span is a valid span of ours that is not sampled. Its children inherit "not
 * sampled", so a span that nothing propagates from and nobody activates (a query, a cache command)
 * would be started, named and finished for nothing: such shims skip it and only keep the caller's
 * scope (issue 7: nothing computed for an unsampled span beyond what propagation needs).
 */
export function underUnsampledSpan(scope: Scope | undefined = activeScope()): boolean {
  // By shape, not instanceof: loading the span-context module here would load opentracing at boot.
  const context = (scope?.span as Partial<JaegerSpan> | undefined)?.spanContext;
  return context !== undefined && typeof context.isSampled === 'boolean' && context.isValid && !context.isSampled;
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
  return startSpanWith(tracer, operationName, { childOf: childOf ?? scope?.span, tags });
}

/**
 * `tracer.startSpan(operationName, options)` for shims that choose the parent themselves. Never
 * throws: if our own code fails, the instrumentation that asked (`state`, by default the one whose
 * wrapper runs now) is disabled, one error is logged and undefined returned, so the shim falls
 * through to the original. The span's finish() is guarded the same way.
 */
export function startSpanWith(
  tracer: JaegerTracer,
  operationName: string,
  options: JaegerSpanOptions,
  state: InstrumentationState | undefined = currentInstrumentation(),
): JaegerSpan | undefined {
  if (state?.disabled) return undefined;
  try {
    maybeInjectFault(state, 'start');
    const span = tracer.startSpan(operationName, options);
    // A slot every span has (one hidden class for guarded and unguarded spans alike).
    span.setFinishGuard(finishGuardFor(state));
    return span;
  } catch (err) {
    reportFault(state, 'start', err);
    return undefined;
  }
}

let unattributedGuard: FinishGuard | undefined;

// One finish guard per instrumentation, shared by its spans: a span is often finished from a
// callback, an event or a promise handler, where a throw would reach the app.
function finishGuardFor(state: InstrumentationState | undefined): FinishGuard {
  const existing = state === undefined ? unattributedGuard : state.finishGuard;
  if (existing !== undefined) return existing;
  const guard: FinishGuard = {
    finish(span, finishTime) {
      try {
        maybeInjectFault(state, 'finish');
        span.finishUnguarded(finishTime);
      } catch (err) {
        reportFault(state, 'finish', err);
      }
    },
  };
  if (state === undefined) unattributedGuard = guard;
  else state.finishGuard = guard;
  return guard;
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

/**
 * Tags many spans carry alike (an instrumentation's constants, or what a long-lived connection
 * says), made once: addSharedTags then adds them to a span without allocating a tag per span.
 * Each tag is frozen, the list only typed readonly: V8 (Node 20) reads a frozen array's elements
 * through its generic keyed load, ~90 instructions an element in callgrind, on every span.
 */
export function sharedTags(tags: Readonly<Record<string, unknown>>): readonly Tag[] {
  const entries: Array<[string, unknown]> = [];
  for (const key in tags) entries.push([key, tags[key]]);
  return sharedTagList(entries);
}

/** Adds `tags` (from sharedTags) to a sampled span; an unsampled one keeps nothing anyway. */
export function addSharedTags(span: JaegerSpan, tags: readonly Tag[]): void {
  if (!span.spanContext.isSampled) return;
  for (let i = 0; i < tags.length; i++) {
    const tag = tags[i];
    span.addStartTag(tag.key, tag.value, tag);
  }
}
