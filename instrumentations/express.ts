// Instrumentation of 'express' — https://expressjs.com
// Names the http server span after the route express matched (`GET /api/users/:id`, tag
// http.route), logs errors passed to next(err) or thrown/rejected in handlers on it, keeps the
// request's context across the next() chain, and optionally adds one span per middleware and route
// handler (JAEGER_EXPRESS_MIDDLEWARE_SPANS). express 4 routes with its own lib/router; express 5
// with the `router` package 2.x, so each is hooked where the code lives.
import { defineInstrumentation, type InstrumentationDefinition, type PatchContext } from '../src/loader/definition';
import { lazy } from '../src/loader/lazy';
import type { Router } from './express/router';

// Loaded on the first require of express or router (src/loader/lazy.ts).
const layer = lazy(() => require('./express/layer') as typeof import('./express/layer'));
const router = lazy(() => require('./express/router') as typeof import('./express/router'));

interface RouterMethods { use?: unknown; handle?: unknown }
interface LayerClass { prototype?: Record<string, unknown> }

function patchRouter(proto: RouterMethods | undefined, ctx: PatchContext): void {
  // Both express 4's router prototype and router 2's Router.prototype are functions.
  if (proto == null || (typeof proto !== 'object' && typeof proto !== 'function')) return;
  if (typeof proto.use === 'function') ctx.wrap(proto as { use: any }, 'use', (original) => router().wrapUse(original));
  if (typeof proto.handle === 'function') ctx.wrap(proto as { handle: any }, 'handle', (original) => layer().wrapHandle(original));
}

function patchLayer(Layer: LayerClass | undefined, request: string, error: string, ctx: PatchContext): void {
  const proto = Layer?.prototype as Record<string, any> | undefined;
  if (proto == null) return;
  if (typeof proto[request] === 'function') ctx.wrap(proto, request, (original) => layer().wrapHandleRequest(original));
  if (typeof proto[error] === 'function') ctx.wrap(proto, error, (original) => layer().wrapHandleError(original));
}

const definitions: InstrumentationDefinition[] = [
  // express 4: lib/router/index.js exports the router prototype (routers are functions whose
  // __proto__ is it); app.use and app.route end up in its use/route.
  defineInstrumentation<RouterMethods>({
    name: 'express',
    versions: '>=4.17 <5',
    file: 'lib/router/index.js',
    patch(proto, ctx) {
      patchRouter(proto, ctx);
    },
  }),
  defineInstrumentation<LayerClass>({
    name: 'express',
    versions: '>=4.17 <5',
    file: 'lib/router/layer.js',
    patch(Layer, ctx) {
      patchLayer(Layer, 'handle_request', 'handle_error', ctx);
    },
  }),
  // express 5 (and the router package used on its own): Router is a constructor, Layer a class.
  defineInstrumentation<{ prototype?: Router & RouterMethods }>({
    name: 'router',
    versions: '>=2 <3',
    patch(Router, ctx) {
      patchRouter(Router?.prototype, ctx);
    },
  }),
  defineInstrumentation<LayerClass>({
    name: 'router',
    versions: '>=2 <3',
    file: 'lib/layer.js',
    patch(Layer, ctx) {
      patchLayer(Layer, 'handleRequest', 'handleError', ctx);
    },
  }),
];

export default definitions;
