// Instrumentation of 'koa' 2–3 (https://github.com/koajs/koa) and '@koa/router' 8–15
// (https://github.com/koajs/router). The server span is the http layer's: koa's context onerror
// marks it failed when middleware throws or rejects; @koa/router names it `GET /users/:id` after
// the route it matched. Handlers already run in the request's scope (set by instrumentations/http).
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { isTracing } from '../src/tracer/global';
import { setError } from '../src/shim/span-helpers';
import { serverSpanOf } from './http/server';
import { wrapMatch, wrapRoutes } from './koa/router';

interface KoaContextProto { onerror: (this: unknown, err: unknown) => unknown }
interface RouterClass { prototype?: { match?: unknown; routes?: unknown; middleware?: unknown } }

/**
 * Wraps koa's context onerror (lib/context.js), the one place koa sends an error thrown or
 * rejected by middleware (and response stream errors). Every app's context inherits it; koa 2.0
 * binds it per request. The span is marked before koa answers, and koa's own handling (the app
 * 'error' event and its default logging, status, body) runs unchanged.
 */
function wrapOnerror(original: KoaContextProto['onerror']): KoaContextProto['onerror'] {
  return function onerror(this: unknown, err: unknown) {
    if (isTracing() && err != null) markRequestFailed(this, err);
    return original.apply(this, arguments as unknown as [unknown]);
  };
}

function markRequestFailed(ctx: unknown, err: unknown): void {
  try {
    const span = serverSpanOf((ctx as { req?: unknown } | null)?.req);
    if (span === undefined || respondsWithClientError(err)) return;
    setError(span, err);
  } catch {
    // the error still reaches koa unchanged.
  }
}

// An error carrying a 4xx status (ctx.throw(404), http-errors) becomes that response: a client
// error, which the http layer does not count as a failure either. Anything else koa answers 500.
function respondsWithClientError(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { status?: unknown; statusCode?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500;
}

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<KoaContextProto>({
    name: 'koa',
    versions: '>=2 <4',
    file: 'lib/context.js',
    patch(proto, ctx) {
      if (proto === null || typeof proto !== 'object') return;
      ctx.wrap(proto, 'onerror', wrapOnerror);
    },
  }),
  // v8–v14 export the Router function; v15 (bundled) too, with Router.Router = Router.
  defineInstrumentation<RouterClass>({
    name: '@koa/router',
    versions: '>=8 <16',
    patch(Router, ctx) {
      const proto = Router?.prototype as Record<'match' | 'routes' | 'middleware', (...a: unknown[]) => unknown> | undefined;
      if (proto === undefined || proto === null) return;
      ctx.wrap(proto, 'match', wrapMatch);
      // routes and middleware are one function in v8–v14; in v15 routes() calls middleware().
      ctx.wrap(proto, 'routes', wrapRoutes);
      ctx.wrap(proto, 'middleware', wrapRoutes);
    },
  }),
];

export default definitions;
