// Instrumentation of 'koa' 2–3 (https://github.com/koajs/koa) and '@koa/router' 8–15
// (https://github.com/koajs/router). The server span is the http layer's: koa's context onerror
// marks it failed when middleware throws or rejects; @koa/router names it `GET /users/:id` after
// the route it matched. Handlers already run in the request's scope (set by instrumentations/http).
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';
import type { KoaContextProto, RouterClass } from './koa/context';

// The wrappers, loaded on the first require of koa (src/loader/lazy.ts).
const impl = lazy(() => require('./koa/context') as typeof import('./koa/context'));

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<KoaContextProto>({
    name: 'koa',
    versions: '>=2 <4',
    file: 'lib/context.js',
    patch(proto, ctx) {
      if (proto === null || typeof proto !== 'object') return;
      ctx.wrap(proto, 'onerror', impl().wrapOnerror);
    },
  }),
  // v8–v14 export the Router function; v15 (bundled) too, with Router.Router = Router.
  defineInstrumentation<RouterClass>({
    name: '@koa/router',
    versions: '>=8 <16',
    patch(Router, ctx) {
      const proto = Router?.prototype as Record<'match' | 'routes' | 'middleware', (...a: unknown[]) => unknown> | undefined;
      if (proto === undefined || proto === null) return;
      ctx.wrap(proto, 'match', impl().wrapMatch);
      // routes and middleware are one function in v8–v14; in v15 routes() calls middleware().
      ctx.wrap(proto, 'routes', impl().wrapRoutes);
      ctx.wrap(proto, 'middleware', impl().wrapRoutes);
    },
  }),
];

export default definitions;
