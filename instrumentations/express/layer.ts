// Layer.prototype.handle_request / handle_error (express 4) and handleRequest / handleError (router
// 2, express 5): every middleware, mounted router and route handler of a request passes through
// them with the router's `next`. Wrapping `next` there tells us when a layer hands the request on
// (leaving its mount path), with which error, and lets the chain go on in the request's scope.
import type * as opentracing from 'opentracing';
import { envSetting } from '../../src/config/setting';
import { activate, activeScope, runInScope, type Scope } from '../../src/context/scope-manager';
import { setError, startSpan } from '../../src/shim/span-helpers';
import { COMPONENT, HTTP_ROUTE } from '../../src/tracer/tags';
import type { JaegerSpan } from '../../src/tracer/span';
import { nameServerSpan, serverSpanOf } from '../http/server';
import { MOUNT, routeTemplate, type Layer, type Router } from './router';

export const COMPONENT_EXPRESS = 'express';
/** What an optional layer span stands for: 'middleware', 'router', 'app' or 'request_handler'. */
export const EXPRESS_TYPE = 'express.type';
/** The middleware function's name, as express reports it. */
export const EXPRESS_NAME = 'express.name';

const middlewareSpans = envSetting('expressMiddlewareSpans');

/** JAEGER_EXPRESS_MIDDLEWARE_SPANS, read once, when the first request reaches express. */
export const middlewareSpansEnabled = (): boolean => middlewareSpans.get();

/** Overrides the setting (tests); undefined re-reads the environment. */
export const setMiddlewareSpans = (value: boolean | undefined): void => middlewareSpans.set(value);

/** What express instrumentation keeps per traced request. */
export interface RequestState {
  readonly span: JaegerSpan;
  /** The server span's scope, restored for every layer and every next(). */
  readonly scope: Scope;
  /** Rendered mount paths of the use() layers the request is inside now. */
  readonly mounts: string[];
  /** The route template once a route matched (names the request handler spans). */
  route?: string;
  /** Errors already logged on the server span (one passes through several next() calls). */
  errors?: unknown[];
  /** Layer spans not yet finished; the response's end finishes them. */
  open?: Set<opentracing.Span>;
}

const STATE = Symbol('jaeger-auto:express.request');
const UNTRACED = Object.freeze({}) as RequestState;

/** The request's state, created on first use; undefined when the request is not traced or sampled. */
export function stateOf(req: unknown): RequestState | undefined {
  if (req === null || typeof req !== 'object') return undefined;
  const known = (req as { [STATE]?: RequestState })[STATE];
  if (known !== undefined) return known === UNTRACED ? undefined : known;
  const span = serverSpanOf(req);
  let state = UNTRACED;
  if (span !== undefined && span.spanContext.isSampled) {
    // The http layer's own scope object when it is active (the usual case), so that staying in it
    // costs a comparison, not a new context.
    const current = activeScope();
    state = { span, scope: current?.span === span && current.untraced !== true ? current : { span }, mounts: [] };
  }
  Object.defineProperty(req, STATE, { value: state, configurable: true, enumerable: false, writable: true });
  return state === UNTRACED ? undefined : state;
}

/** Logs `err` on the server span (once per error) and on the layer span when given. */
export function recordError(state: RequestState, err: unknown, layerSpan: opentracing.Span | undefined): void {
  if (!err || err === 'route' || err === 'router') return; // routing signals, not failures
  if (layerSpan !== undefined) setError(layerSpan, err);
  const errors = state.errors ?? (state.errors = []);
  if (errors.includes(err)) return;
  errors.push(err);
  setError(state.span, err);
}

type Next = (err?: unknown) => unknown;
type Handle = (this: Router, req: unknown, res: unknown, out?: unknown) => unknown;
type HandleRequest = (this: Layer, req: unknown, res: unknown, next: Next) => unknown;
type HandleError = (this: Layer, err: unknown, req: unknown, res: unknown, next: Next) => unknown;

/**
 * router.handle(req, res, out): a router finishing with an error hands it to `out`; errors the router
 * raises itself (a malformed URI in a path parameter) reach no layer, so they are recorded here.
 */
export function wrapHandle(original: Handle): Handle {
  return function handle(this: Router, req: unknown, res: unknown, out?: unknown) {
    const state = typeof out === 'function' ? stateOf(req) : undefined;
    if (state === undefined) return original.apply(this, arguments as any);
    const done = out as (...a: unknown[]) => unknown;
    const args = Array.prototype.slice.call(arguments) as unknown[];
    args[2] = function next(this: unknown, err?: unknown) {
      if (err) recordError(state, err, undefined);
      return done.apply(this, arguments as unknown as unknown[]);
    };
    return original.apply(this, args as Parameters<Handle>);
  };
}

export function wrapHandleRequest(original: HandleRequest): HandleRequest {
  return function handle_request(this: Layer, req: unknown, res: unknown, next: Next) {
    const state = typeof next === 'function' ? stateOf(req) : undefined;
    if (state === undefined || this === null || typeof this !== 'object') return original.apply(this, arguments as any);
    try {
      // express calls a layer whose function takes 4 arguments only for errors: nothing happens here.
      if (typeof this.handle !== 'function' || this.handle.length > 3) return original.apply(this, arguments as any);
    } catch {
      return original.apply(this, arguments as any);
    }
    return enter(this, state, req, res, next, (n) => original.call(this, req, res, n));
  };
}

export function wrapHandleError(original: HandleError): HandleError {
  return function handle_error(this: Layer, err: unknown, req: unknown, res: unknown, next: Next) {
    const state = typeof next === 'function' ? stateOf(req) : undefined;
    if (state === undefined || this === null || typeof this !== 'object') return original.apply(this, arguments as any);
    try {
      // Other layers pass an error straight on: only error handlers run code.
      if (typeof this.handle !== 'function' || this.handle.length !== 4) return original.apply(this, arguments as any);
      recordError(state, err, undefined); // raised where no wrapped next saw it
    } catch {
      return original.apply(this, arguments as any);
    }
    return enter(this, state, req, res, next, (n) => original.call(this, err, req, res, n));
  };
}

/** Runs one layer with a `next` that leaves it; names the server span when the layer is a route. */
function enter(layer: Layer, state: RequestState, req: unknown, res: unknown, routerNext: Next, run: (next: Next) => unknown): unknown {
  const depth = state.mounts.length;
  let span: opentracing.Span | undefined;
  try {
    const route = layer.route;
    if (route) {
      const template = routeTemplate(state.mounts, route.path);
      // A second route of the same template (the first passed on) would only repeat the tags.
      if (template !== state.route) nameServerSpan(req, template);
      state.route = template;
    } else {
      const mount = layer[MOUNT];
      if (mount) state.mounts.push(mount);
      if (middlewareSpansEnabled()) span = startLayerSpan(layer, state, res);
    }
  } catch {
    span = undefined;
  }
  let left = false;
  const leave = function next(this: unknown, err?: unknown): unknown {
    if (!left) {
      left = true;
      try {
        state.mounts.length = depth;
        recordError(state, err, span);
        if (span !== undefined) finishLayerSpan(state, span);
      } catch {
        // bookkeeping only: routing goes on.
      }
    }
    // Whatever context the layer called next() from (a pooled connection's, a timer's), the rest
    // of the chain belongs to the request.
    if (inScope(state)) return routerNext.apply(this, arguments as unknown as [unknown]);
    const self = this;
    const args = arguments as unknown as [unknown];
    return runInScope(state.scope, () => routerNext.apply(self, args));
  };
  if (span !== undefined) return activate(span, run, undefined, leave);
  if (inScope(state)) return run(leave);
  return runInScope(state.scope, () => run(leave));
}

/** True when the request's server span is the active span already (nothing to restore). */
function inScope(state: RequestState): boolean {
  const current = activeScope();
  return current === state.scope || (current?.span === state.span && current.untraced !== true);
}

// `middleware - jsonParser`, `router - /api`, `app - /admin`, `request handler - /users/:id`: children of the
// server span, each active while its function runs.
function startLayerSpan(layer: Layer, state: RequestState, res: unknown): opentracing.Span | undefined {
  const fn = layer.handle as { name?: unknown; stack?: unknown };
  const name = typeof fn.name === 'string' && fn.name !== '' ? fn.name : '<anonymous>';
  let operation: string;
  const tags: Record<string, unknown> = { [COMPONENT]: COMPONENT_EXPRESS };
  if (Object.prototype.hasOwnProperty.call(layer, 'method')) { // a handler inside a route
    operation = `request handler - ${state.route ?? '<unknown>'}`;
    tags[EXPRESS_TYPE] = 'request_handler';
    if (state.route !== undefined) tags[HTTP_ROUTE] = state.route;
  } else if (Array.isArray(fn.stack)) { // a mounted router
    operation = `router - ${routeTemplate(state.mounts, '/')}`;
    tags[EXPRESS_TYPE] = 'router';
  } else if (name === 'mounted_app') { // express's wrapper around app.use(path, subApp)
    operation = `app - ${routeTemplate(state.mounts, '/')}`;
    tags[EXPRESS_TYPE] = 'app';
  } else {
    operation = `middleware - ${name}`;
    tags[EXPRESS_TYPE] = 'middleware';
  }
  tags[EXPRESS_NAME] = name;
  const span = startSpan(operation, tags, state.span);
  if (span === undefined) return undefined;
  if (state.open === undefined) {
    state.open = new Set();
    watchResponse(state, res);
  }
  state.open.add(span);
  return span;
}

function finishLayerSpan(state: RequestState, span: opentracing.Span): void {
  if (state.open?.delete(span)) span.finish();
}

// A layer that answers never calls next(): its span ends with the response.
function watchResponse(state: RequestState, res: unknown): void {
  const emitter = res as { once?: (type: string, fn: () => void) => unknown };
  if (typeof emitter?.once !== 'function') return;
  const finishAll = () => {
    const open = state.open;
    if (open === undefined) return;
    for (const span of open) span.finish();
    open.clear();
  };
  emitter.once('finish', finishAll);
  emitter.once('close', finishAll);
}
