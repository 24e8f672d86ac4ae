// Connections: Client.prototype.connect gets a `pg.connect` span (TCP, TLS and authentication; a
// refused port or an unknown role fails here, before any query exists), and pg-pool's
// Pool.prototype.connect hands each waiter its client in the waiter's own scope. pg-pool queues
// waiters and serves them from whichever release frees a client, i.e. in another request's context.
import { activeScope, bind } from '../../src/context/scope-manager';
import { startSpan, underUnsampledSpan } from '../../src/shim/span-helpers';
import { isTracing } from '../../src/tracer/global';
import { callWithEndingPromise, endingCallback, hasPromiseClass, spanEnder, tagConnection, type PgClient } from './common';

/** The operation name of a connection attempt. */
export const CONNECT_OPERATION = 'pg.connect';

type ConnectFn = (this: PgClient, callback?: unknown) => unknown;
type Callback = (...args: any[]) => unknown;

/** The traced replacement of Client.prototype.connect (callback or promise form). */
export function wrapConnect(original: ConnectFn): ConnectFn {
  return function connect(this: PgClient, callback?: unknown) {
    if (!isTracing() || this == null) return original.apply(this, arguments as any);
    if (callback ? typeof callback !== 'function' : !hasPromiseClass(this)) return original.apply(this, arguments as any);
    const caller = activeScope();
    const span = caller?.untraced || underUnsampledSpan(caller) ? undefined : startSpan(CONNECT_OPERATION);
    if (span !== undefined && span.spanContext.isSampled) tagConnection(span, this);
    const end = spanEnder(span);
    if (!callback) return span === undefined ? original.apply(this, arguments as any) : callWithEndingPromise(this, original, arguments, end);
    const args = Array.prototype.slice.call(arguments);
    args[0] = endingCallback(callback as Callback, end, caller);
    try {
      return original.apply(this, args as any);
    } catch (err) {
      end(err);
      throw err;
    }
  };
}

/** pg-pool's Pool.prototype.connect with its callback bound to the caller's scope (no span). */
export function wrapPoolConnect(original: (this: unknown, cb?: unknown) => unknown): (this: unknown, cb?: unknown) => unknown {
  return function connect(this: unknown, cb?: unknown) {
    // The promise form needs nothing: a promise's reactions run in the scope of their then().
    if (typeof cb !== 'function' || !isTracing()) return original.apply(this, arguments as any);
    const args = Array.prototype.slice.call(arguments);
    args[0] = bind(cb as Callback, activeScope());
    return original.apply(this, args as any);
  };
}
