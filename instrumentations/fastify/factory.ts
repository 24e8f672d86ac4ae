// What instrumentations/fastify.ts patches in: a factory that adds two hooks to every root
// instance (route name, error). Loaded on the first require of fastify.
import { serverSpanOf, nameServerSpan } from '../http/server';
import { setError } from '../../src/shim/span-helpers';

type Done = (err?: unknown) => void;
interface FastifyRequest {
  raw: unknown;
  routeOptions?: { url?: unknown };
  routerPath?: unknown;
}
interface FastifyReply { statusCode?: unknown }
interface FastifyInstance {
  addHook(name: string, fn: (...args: any[]) => unknown): unknown;
}
export type FastifyFactory = ((...args: unknown[]) => FastifyInstance) & Record<string, unknown>;

/**
 * Reads the matched route's template as registered (prefix included) off a request; undefined for
 * fastify's 404 handler. One reader per fastify copy, since each keeps its own private symbol.
 */
export function routeReader(): (request: FastifyRequest) => string | undefined {
  let key: symbol | string | null | undefined;
  return (request) => {
    if (key === undefined) key = contextKey(request);
    const url = key !== null
      ? ((request as unknown as Record<symbol | string, RouteContext | undefined>)[key])?.config?.url
      : publicRoute(request);
    return typeof url === 'string' && url !== '' ? url : undefined;
  };
}

type RouteContext = { config?: { url?: unknown } };

/**
 * Where this fastify copy keeps the matched route's context on a request: Symbol('fastify.context')
 * from 4.x's later minors and in 5, a plain `context` property before. The public getters cost too
 * much for every request (4.x's routeOptions freezes a new object: ~6 µs measured), so they are the
 * fallback only (null) when neither is found.
 */
export function contextKey(request: FastifyRequest): symbol | string | null {
  for (const s of Object.getOwnPropertySymbols(request)) if (s.description === 'fastify.context') return s;
  const own = Object.getOwnPropertyDescriptor(request, 'context');
  return own !== undefined && 'value' in own ? 'context' : null;
}

// routeOptions (fastify >=4.10, 5) first: from 4.21 on reading routerPath prints a deprecation
// warning, which must never appear because of us.
function publicRoute(request: FastifyRequest): unknown {
  return 'routeOptions' in request ? request.routeOptions?.url : request.routerPath;
}

// A callback hook that calls done() synchronously: fastify moves on in the same tick, exactly as
// without it (an async hook would add a microtask to every request).
function nameRouteHook(routeOf: (request: FastifyRequest) => string | undefined) {
  return function jaegerNameRoute(request: FastifyRequest, _reply: FastifyReply, done: Done): void {
    try {
      const route = serverSpanOf(request.raw) === undefined ? undefined : routeOf(request);
      if (route !== undefined) nameServerSpan(request.raw, route);
    } catch {
      // naming is cosmetic: the request goes on.
    }
    done();
  };
}

/**
 * The status fastify answers `error` with, as its own error path picks it: a 4xx/5xx the reply was
 * already given, else the error's statusCode or status when 4xx/5xx, else 500.
 */
function statusFor(error: unknown, reply: FastifyReply): number {
  const set = reply?.statusCode;
  if (typeof set === 'number' && set >= 400) return set;
  const e = error as { statusCode?: unknown; status?: unknown } | null;
  for (const own of [e?.statusCode, e?.status]) if (typeof own === 'number' && own >= 400 && own <= 599) return own;
  return 500;
}

// onError runs once per request, before any error handler, with the error as the app raised it
// (thrown or rejected in a hook or handler, reply.send(err)). A 4xx error (validation, body too
// large, an http-errors 404) is the client's failure, not the server's: the span keeps its status
// tag but is not marked failed.
function jaegerRecordError(request: FastifyRequest, reply: FastifyReply, error: unknown, done: Done): void {
  try {
    const span = serverSpanOf(request.raw);
    if (span !== undefined && span.spanContext.isSampled) {
      const status = statusFor(error, reply);
      if (status < 400 || status >= 500) setError(span, error);
    }
  } catch {
    // the error goes on to fastify's handlers untouched either way.
  }
  done();
}

/** Adds our hooks to a new root instance; a failure leaves the instance as fastify made it. */
function instrument(instance: FastifyInstance, nameRoute: ReturnType<typeof nameRouteHook>): void {
  if (instance === null || typeof instance !== 'object' || typeof instance.addHook !== 'function') return;
  try {
    instance.addHook('onRequest', nameRoute);
    instance.addHook('onError', jaegerRecordError);
  } catch {
    // an instance that refuses hooks stays untraced by route; the http span remains.
  }
}

/**
 * fastify's exports are its factory, also reachable as `.fastify` and `.default`. The replacement
 * keeps every own property (errorCodes, LogController, name, length) and points both aliases at
 * itself, so each way of creating a root instance goes through it.
 */
export function tracedFactory(original: FastifyFactory): FastifyFactory {
  const nameRoute = nameRouteHook(routeReader());
  const factory = function fastify(this: unknown) {
    const instance = Reflect.apply(original, this, arguments) as FastifyInstance;
    instrument(instance, nameRoute);
    return instance;
  } as unknown as FastifyFactory;
  for (const key of Reflect.ownKeys(original)) {
    if (key === 'prototype' || key === 'arguments' || key === 'caller') continue;
    const d = Object.getOwnPropertyDescriptor(original, key)!;
    if ('value' in d && d.value === original) d.value = factory;
    Object.defineProperty(factory, key, d);
  }
  return factory;
}
