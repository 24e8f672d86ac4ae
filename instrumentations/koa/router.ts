// @koa/router: the server span is named after the route layer the router matched. The router's
// dispatch middleware calls its own match() synchronously before running any layer, so the
// wrapped dispatch lends the request's ctx to the wrapped match() for exactly that one call.
import { isTracing } from '../../src/tracer/global';
import { nameServerSpan, serverSpanOf } from '../http/server';

type Dispatch = (this: unknown, ctx: unknown, next: unknown) => unknown;
interface Layer { path?: unknown; methods?: unknown }
interface MatchResult { route?: unknown; pathAndMethod?: unknown }
interface KoaContext { req?: unknown }

/** Marks dispatch functions we made, so `routes()` calling `middleware()` (v15) wraps once. */
const OURS = Symbol('jaeger-auto:koa-router.dispatch');

// The ctx of the traced dispatch whose match() has not run yet. Set and cleared synchronously.
let dispatching: KoaContext | undefined;

/** Wraps Router#routes / Router#middleware: the dispatch function they return lends its ctx. */
export function wrapRoutes(original: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
  return function routes(this: unknown) {
    const dispatch = original.apply(this, arguments as unknown as unknown[]);
    if (typeof dispatch !== 'function' || (dispatch as { [OURS]?: true })[OURS] === true) return dispatch;
    try {
      return wrapDispatch(dispatch as Dispatch);
    } catch {
      return dispatch;
    }
  };
}

function wrapDispatch(original: Dispatch): Dispatch {
  const dispatch = function dispatch(this: unknown, ctx: unknown) {
    if (!isTracing() || serverSpanOf(reqOf(ctx)) === undefined) return original.apply(this, arguments as any);
    const outer = dispatching;
    dispatching = ctx as KoaContext;
    try {
      return original.apply(this, arguments as any);
    } finally {
      dispatching = outer;
    }
  };
  // Same name, length and own properties: router.use(nested.routes()) reads `dispatch.router` to
  // mount the nested router's layers under the outer one's prefix.
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const d = Object.getOwnPropertyDescriptor(original, key);
    if (d !== undefined) Object.defineProperty(dispatch, key, d);
  }
  Object.defineProperty(dispatch, OURS, { value: true });
  return dispatch;
}

/** Wraps Router#match: the first call inside a traced dispatch names that request's span. */
export function wrapMatch(original: (...a: unknown[]) => unknown): (...a: unknown[]) => unknown {
  return function match(this: unknown) {
    const result = original.apply(this, arguments as unknown as unknown[]);
    const ctx = dispatching;
    if (ctx !== undefined) {
      dispatching = undefined;
      const route = routeOf(result);
      if (route !== undefined) nameServerSpan(reqOf(ctx), route);
    }
    return result;
  };
}

/**
 * The path of the last layer with methods among those matching path and method: the route the
 * router itself reports as most specific (v15 ctx._matchedRoute). Middleware layers (router.use,
 * no methods) are skipped; older versions picked them when registered after the routes. Prefixes of
 * routers and of nested routers are already joined into the layer's path.
 */
function routeOf(result: unknown): string | undefined {
  try {
    const r = result as MatchResult | null | undefined;
    if (r == null || r.route !== true || !Array.isArray(r.pathAndMethod)) return undefined;
    const layers = r.pathAndMethod as Layer[];
    for (let i = layers.length - 1; i >= 0; i--) {
      const layer = layers[i];
      if (layer == null || !Array.isArray(layer.methods) || layer.methods.length === 0) continue;
      const path = layer.path;
      if (typeof path === 'string') return path;
      if (path instanceof RegExp) return String(path); // router.get(/^\/re/, …) in v8–v13
      return undefined;
    }
  } catch {
    // a layer we cannot read: keep the http layer's name.
  }
  return undefined;
}

function reqOf(ctx: unknown): unknown {
  if (ctx === null || typeof ctx !== 'object') return undefined;
  try {
    return (ctx as KoaContext).req;
  } catch {
    return undefined;
  }
}
