// Pieces the http server and client shims share: the propagation format, the component tag value,
// error marking, and running an emitter's listeners in one captured scope.
import type * as opentracing from 'opentracing';
import { bind, type Scope } from '../../src/context/scope-manager';
import { ERROR } from '../../src/tracer/tags';

/** opentracing.FORMAT_HTTP_HEADERS, spelled out so the preload does not load `opentracing`. */
export const FORMAT_HTTP_HEADERS = 'http_headers';

/**
 * The `component` tag of every http span, server or client, plain or TLS: one value to filter on.
 * The scheme is in the client's http.url.
 */
export const COMPONENT_HTTP = 'http';

// Log field keys of an error event (the same fields setError writes).
const EVENT = 'event';
const ERROR_KIND = 'error.kind';
const MESSAGE = 'message';

/** error=true plus an error log with a kind and message, for failures that are not Error objects. */
export function markFailed(span: opentracing.Span, kind: string, message: string): void {
  span.setTag(ERROR, true);
  span.log({ [EVENT]: 'error', [ERROR_KIND]: kind, [MESSAGE]: message });
}

/**
 * Makes every listener of `emitter` run in `scope`, whatever context the event comes from (the
 * socket's, which on a kept-alive connection belongs to an earlier request). `observe` sees each
 * event first; it must not throw (callers guard it). The replacement is an own, non-enumerable
 * `emit`, so the prototype and other instances stay untouched.
 */
export function bindEmit(
  emitter: { emit: (...args: any[]) => boolean },
  scope: Scope | undefined,
  observe?: (type: unknown, arg: unknown) => void,
): void {
  const bound = bind(emitter.emit, scope);
  const emit = observe === undefined
    ? bound
    : function emit(this: unknown, type: unknown, arg?: unknown): boolean {
      observe(type, arg);
      return bound.apply(this, arguments as unknown as unknown[]);
    };
  Object.defineProperty(emitter, 'emit', { value: emit, writable: true, configurable: true, enumerable: false });
}

/** The number a port-ish value denotes, or undefined. */
export function toPort(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/** `path` without its query string and fragment. */
export function stripQuery(path: string): string {
  const q = path.indexOf('?');
  const h = path.indexOf('#');
  const end = q === -1 ? h : h === -1 ? q : Math.min(q, h);
  return end === -1 ? path : path.slice(0, end);
}
