// What the pino and winston instrumentations share: the switch (JAEGER_LOGS_INJECTION) and the ids
// of the span active now, in the form Jaeger shows them (lowercase hex, 16 or 32 digits).
import { envSetting } from '../config/setting';
import { activeSpan } from '../context/scope-manager';
import { isTracing } from '../tracer/global';

/** Record field holding the active span's trace id. */
export const TRACE_ID_FIELD = 'trace_id';
/** Record field holding the active span's span id. */
export const SPAN_ID_FIELD = 'span_id';

export interface LogIds {
  readonly traceId: string;
  readonly spanId: string;
}

const enabled = envSetting('logsInjection');

/** JAEGER_LOGS_INJECTION, read once, at the first record written. */
export const logsInjectionEnabled = (): boolean => enabled.get();

/** Overrides the setting (tests); undefined re-reads the environment. */
export const setLogsInjection = (value: boolean | undefined): void => enabled.set(value);

interface IdContext { toTraceId?: () => unknown; toSpanId?: () => unknown }

/**
 * The ids of the span active now (sampled or not), or undefined: outside a span, with injection
 * switched off, or when the span is not one whose ids can be read. Never throws.
 */
export function activeLogIds(): LogIds | undefined {
  if (!isTracing()) return undefined;
  const span = activeSpan();
  if (span === null || !logsInjectionEnabled()) return undefined;
  try {
    const ctx = span.context() as IdContext;
    const traceId = ctx.toTraceId?.();
    const spanId = ctx.toSpanId?.();
    if (typeof traceId !== 'string' || typeof spanId !== 'string' || traceId === '' || spanId === '') return undefined;
    return { traceId, spanId };
  } catch {
    return undefined;
  }
}
