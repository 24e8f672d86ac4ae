// What instrumentations/koa.ts patches in: koa's context onerror marks the http server span failed
// (5xx or an error once the response is under way). Loaded on the first require of koa.
import { isTracing } from '../../src/tracer/global';
import { setError } from '../../src/shim/span-helpers';
import { serverSpanOf } from '../http/server';
import { wrapMatch, wrapRoutes } from './router';

export interface KoaContextProto { onerror: (this: unknown, err: unknown) => unknown }
export interface RouterClass { prototype?: { match?: unknown; routes?: unknown; middleware?: unknown } }

interface KoaContext { req?: unknown; res?: { statusCode?: unknown; headersSent?: unknown } }

/**
 * Wraps koa's context onerror (lib/context.js), the one place koa sends an error thrown or
 * rejected by middleware (and response stream errors). Every app's context inherits it; koa 2.0
 * binds it per request. koa's own handling (the app 'error' event and its default logging, the
 * status and body) runs first and unchanged; then the span is marked, before the response ends.
 */
export function wrapOnerror(original: KoaContextProto['onerror']): KoaContextProto['onerror'] {
  return function onerror(this: unknown, err: unknown) {
    if (!isTracing() || err == null) return original.apply(this, arguments as unknown as [unknown]);
    const span = serverSpanOf(reqOf(this));
    if (span === undefined) return original.apply(this, arguments as unknown as [unknown]);
    const underWay = headersSent(this);
    try {
      return original.apply(this, arguments as unknown as [unknown]);
    } finally {
      markIfServerError(span, this, err, underWay);
    }
  };
}

// koa answers an error with its status (ctx.throw(404), http-errors) or 500. A 4xx answer is the
// client's error, not a failure of this server (the http layer does not count 4xx either); an
// error once the response was under way always is one.
function markIfServerError(span: Parameters<typeof setError>[0], ctx: unknown, err: unknown, underWay: boolean): void {
  try {
    const status = (ctx as KoaContext).res?.statusCode;
    if (!underWay && typeof status === 'number' && status < 500) return;
    setError(span, err);
  } catch {
    // the error reached koa unchanged; only the mark is lost.
  }
}

function reqOf(ctx: unknown): unknown {
  try {
    return (ctx as KoaContext | null)?.req;
  } catch {
    return undefined;
  }
}

function headersSent(ctx: unknown): boolean {
  try {
    return (ctx as KoaContext).res?.headersSent === true;
  } catch {
    return false;
  }
}

export { wrapMatch, wrapRoutes } from './router';
