// Redirects followed by undici itself (request/stream with maxRedirections in 5 and 6, the redirect
// interceptor in 6 and 7): the next hop is dispatched from the previous response's end, which runs
// in the context of whoever opened the socket (on a kept-alive connection, an earlier, unrelated
// request). Its span would get that request's parent. The handler is built in the caller's context,
// so it remembers that scope and the hop is dispatched in it. (Global fetch and undici.fetch
// follow redirects in their own promise chain and need none of this.)
import { activeScope, runInScope, type Scope } from '../../src/context/scope-manager';
import { isTracing } from '../../src/tracer/global';
import type { PatchContext } from '../../src/loader/definition';

const CALLER = Symbol('jaeger-auto:undici-caller');

type HandlerClass = (new (...args: any[]) => object) & { prototype: Record<string | symbol, any> };

/** Where the redirect-following handler lives in each major. */
export const REDIRECT_HANDLER_FILES = [
  'lib/handler/redirect.js', // 5.0 – 5.x before the interceptor rewrite
  'lib/handler/RedirectHandler.js', // later 5.x
  'lib/handler/redirect-handler.js', // 6, 7
];

/**
 * Patches a RedirectHandler export: returns a subclass that records the caller's scope (undici's
 * own modules construct it through the export), and runs the method that dispatches the next hop
 * (onComplete up to 6, onResponseEnd in 7) in that scope.
 */
export function patchRedirectHandler(exports: unknown, ctx: PatchContext): unknown {
  if (typeof exports !== 'function' || typeof (exports as HandlerClass).prototype !== 'object') return undefined;
  const Original = exports as HandlerClass;
  let wrapped = false;
  for (const method of ['onComplete', 'onResponseEnd']) {
    if (typeof Original.prototype[method] !== 'function') continue;
    wrapped = ctx.wrap(Original.prototype, method, inCallerScope) || wrapped;
  }
  if (!wrapped) return undefined;
  const Traced = class RedirectHandler extends Original {
    constructor(...args: any[]) {
      super(...args);
      try {
        if (isTracing()) (this as Record<symbol, unknown>)[CALLER] = activeScope() ?? null;
      } catch {
        // untraced hop parents, nothing else
      }
    }
  };
  Object.defineProperty(Traced, 'length', { value: Original.length, configurable: true });
  return Traced;
}

function inCallerScope(original: (...args: any[]) => any): (...args: any[]) => any {
  return function (this: Record<symbol, unknown>) {
    const scope = this?.[CALLER];
    if (scope === undefined) return original.apply(this, arguments as any);
    return runInScope((scope ?? undefined) as Scope | undefined, () => original.apply(this, arguments as any));
  };
}
