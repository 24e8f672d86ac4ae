// Requests undici dispatches again by itself: redirects (request/stream with maxRedirections in 5
// and 6, the redirect interceptor in 6 and 7) and retries (RetryHandler, RetryAgent, the retry
// interceptor). The next attempt is dispatched from the previous response's end or error, which runs
// in the context of whoever opened the socket (on a kept-alive connection, an earlier, unrelated
// request), or from a timer set there. Its span would get that request's parent. The handler is
// built in the caller's context, so it remembers that scope and the methods that dispatch again run
// in it. (Global fetch and undici.fetch follow redirects in their own promise chain: nothing needed.)
import { activeScope, runInScope, type Scope } from '../../src/context/scope-manager';
import { isTracing } from '../../src/tracer/global';
import type { PatchContext } from '../../src/loader/definition';

const CALLER = Symbol('jaeger-auto:undici-caller');

type HandlerClass = (new (...args: any[]) => object) & { prototype: Record<string | symbol, any> };

interface HandlerFile {
  readonly file: string;
  /** The methods from which the handler dispatches the next attempt (or sets the timer that does). */
  readonly methods: readonly string[];
}

const REDIRECT_METHODS = ['onComplete', 'onResponseEnd']; // onComplete up to 6, onResponseEnd in 7
const RETRY_METHODS = ['onError', 'onResponseError', 'onResponseEnd']; // onError up to 6

export const HANDLER_FILES: readonly HandlerFile[] = [
  { file: 'lib/handler/redirect.js', methods: REDIRECT_METHODS }, // 5.0 – early 5.x
  { file: 'lib/handler/RedirectHandler.js', methods: REDIRECT_METHODS }, // later 5.x
  { file: 'lib/handler/redirect-handler.js', methods: REDIRECT_METHODS }, // 6, 7
  { file: 'lib/handler/RetryHandler.js', methods: RETRY_METHODS }, // 5.x (exported, built by the app)
  { file: 'lib/handler/retry-handler.js', methods: RETRY_METHODS }, // 6, 7
];

/**
 * Patches a handler class export: returns a subclass that records the caller's scope (undici's own
 * modules construct it through the export), and runs `methods` in that scope.
 */
export function patchHandlerClass(methods: readonly string[]) {
  return function patch(exports: unknown, ctx: PatchContext): unknown {
    if (typeof exports !== 'function' || typeof (exports as HandlerClass).prototype !== 'object') return undefined;
    const Original = exports as HandlerClass;
    let wrapped = false;
    for (const method of methods) {
      if (typeof Original.prototype[method] !== 'function') continue;
      wrapped = ctx.wrap(Original.prototype, method, inCallerScope) || wrapped;
    }
    if (!wrapped) return undefined;
    // Named like the original: undici and apps may print or compare it.
    const Traced = { [Original.name]: class extends Original {
      constructor(...args: any[]) {
        super(...args);
        try {
          if (isTracing()) (this as Record<symbol, unknown>)[CALLER] = activeScope() ?? null;
        } catch {
          // untraced: the next attempt keeps undici's own context
        }
      }
    } }[Original.name];
    Object.defineProperty(Traced, 'length', { value: Original.length, configurable: true });
    return Traced;
  };
}

function inCallerScope(original: (...args: any[]) => any): (...args: any[]) => any {
  return function (this: Record<symbol, unknown>) {
    const scope = this?.[CALLER];
    if (scope === undefined) return original.apply(this, arguments as any);
    return runInScope((scope ?? undefined) as Scope | undefined, () => original.apply(this, arguments as any));
  };
}
