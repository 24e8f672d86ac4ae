// Client.prototype.query (pg lib/client.js, the same in 7 and 8) in every call form: one span per
// query, ended when pg reports the outcome to the app — through the callback (given as an argument
// or as config.callback), the promise pg builds, or the Submittable's protocol handlers (pg.Query,
// pg-cursor, pg-query-stream). What pg calls back runs in the caller's scope, never in the scope of
// whoever opened the (pooled) connection.
import type { JaegerSpan } from '../../src/tracer/span';
import { activeScope, bind, type Scope } from '../../src/context/scope-manager';
import { startSpan, underUnsampledSpan } from '../../src/shim/span-helpers';
import { dbSettings, sqlOperationName, sqlStatement } from '../../src/shim/db';
import { isTracing } from '../../src/tracer/global';
import { DB_STATEMENT } from '../../src/tracer/tags';
import {
  DB_PARAMS, DB_STATEMENT_NAME, callWithEndingPromise, endingCallback, hasPromiseClass, paramsText, spanEnder,
  tagConnection, type PgClient,
} from './common';

/** The operation name when the SQL has no recognisable verb (or there is no text at all). */
export const QUERY_FALLBACK = 'pg.query';

type QueryFn = (this: PgClient, config?: unknown, values?: unknown, callback?: unknown) => unknown;
type Callback = (...args: any[]) => unknown;
interface QueryConfig { text?: unknown; values?: unknown; name?: unknown; callback?: unknown }
type Submittable = QueryConfig & { submit: Function; cursor?: QueryConfig; [key: string | symbol]: unknown };

// Marks a Submittable whose handlers we replaced: a second submission of it is left alone.
const HOOKED = Symbol('jaeger-auto:pg-submittable');
// Where the callback pg will use was given.
const CALLBACK_ARG = 2;
const VALUES_ARG = 1;
const CONFIG_CALLBACK = 3;
const PROMISE = -1;

/** The traced replacement of Client.prototype.query. */
export function wrapQuery(original: QueryFn): QueryFn {
  // Not shouldTrace(): inside runUntraced() no span is made, but callbacks are still bound to the
  // caller, or a pooled connection would run them in another request's traced scope.
  return function query(this: PgClient, config?: unknown, values?: unknown, callback?: unknown) {
    if (!isTracing() || config == null || this == null) return original.apply(this, arguments as any);
    const caller = activeScope();
    if (typeof (config as Submittable).submit === 'function') return submit(this, original, arguments, config as Submittable, caller);
    let call: Call | undefined;
    try {
      call = prepare(this, config, values, callback, caller);
    } catch {
      call = undefined; // a config object we cannot read: pg's business
    }
    if (call === undefined) return original.apply(this, arguments as any);
    const { slot, cb, object, end } = call;
    if (slot === PROMISE) {
      return call.traced ? callWithEndingPromise(this, original, arguments, end) : original.apply(this, arguments as any);
    }
    const wrapped = endingCallback(cb as Callback, end, caller);
    let args: unknown[];
    if (slot === CONFIG_CALLBACK) {
      args = [config, values, wrapped];
    } else {
      args = Array.prototype.slice.call(arguments);
      args[slot] = wrapped;
    }
    try {
      return original.apply(this, args as any);
    } catch (err) {
      end(err);
      throw err;
    } finally {
      // pg 7 writes the callback it is given onto the caller's config object: make it theirs, as
      // it would be without us (pg 8 copies the config first).
      if (object !== undefined) restoreCallback(object, wrapped, cb);
    }
  };
}

interface Call {
  /** Where the callback pg will use came from, or PROMISE. */
  readonly slot: number;
  readonly cb: unknown;
  readonly object: QueryConfig | undefined;
  /** False inside runUntraced(): callbacks are bound, no span. */
  readonly traced: boolean;
  readonly end: (err?: unknown) => void;
}

// How pg will report this call, by the precedence of its normalizeQueryConfig (lib/utils.js), and
// the span. Undefined: leave the call to pg untouched (it will refuse it, or has no promise class).
function prepare(client: PgClient, config: unknown, values: unknown, callback: unknown, caller: Scope | undefined): Call | undefined {
  const object = typeof config === 'object' ? config as QueryConfig : undefined;
  let slot = PROMISE;
  let cb: unknown;
  if (callback) {
    slot = CALLBACK_ARG;
    cb = callback;
  } else if (typeof values === 'function') {
    slot = VALUES_ARG;
    cb = values;
  } else if (object?.callback) {
    slot = CONFIG_CALLBACK;
    cb = object.callback;
  }
  if (slot === PROMISE ? !hasPromiseClass(client) : typeof cb !== 'function') return undefined;
  const text = object !== undefined ? object.text : config;
  const params = values && typeof values !== 'function' ? values : object?.values;
  const span = caller?.untraced || underUnsampledSpan(caller) ? undefined : startQuerySpan(client, text, params, object?.name);
  return { slot, cb, object, traced: span !== undefined, end: spanEnder(span) };
}

function startQuerySpan(client: PgClient, text: unknown, values: unknown, name: unknown): JaegerSpan | undefined {
  let sql = text;
  // A named statement run again by name alone: pg sends no text, the connection remembers it.
  if (typeof sql !== 'string' && typeof name === 'string') sql = client.connection?.parsedStatements?.[name];
  const span = startSpan(sqlOperationName(sql, QUERY_FALLBACK));
  if (span === undefined || !span.spanContext.isSampled) return span;
  try {
    tagConnection(span, client);
    const statement = sqlStatement(sql, 'postgres');
    if (statement !== undefined) span.setTag(DB_STATEMENT, statement);
    if (typeof name === 'string' && name !== '') span.setTag(DB_STATEMENT_NAME, name);
    if (dbSettings().captureParams) {
      const params = paramsText(values);
      if (params !== undefined) span.setTag(DB_PARAMS, params);
    }
  } catch {
    // a hostile value: the span goes on with the tags it got
  }
  return span;
}

// A Submittable is the app's own object: client.query returns it, and pg drives it through these
// handlers. The first of handleReadyForQuery / handleError ends the span; every handler runs in the
// caller's scope, so its events, stream data and callbacks (pg-cursor's read) do too.
const HANDLERS = [
  'handleRowDescription', 'handleDataRow', 'handlePortalSuspended', 'handleCommandComplete', 'handleEmptyQuery',
  'handleCopyInResponse', 'handleCopyData', 'handleReadyForQuery', 'handleError',
] as const;

function submit(client: PgClient, original: QueryFn, args: IArguments, sub: Submittable, caller: Scope | undefined): unknown {
  const end = hookSubmittable(client, sub, caller);
  if (end === undefined) return original.apply(client, args as any);
  try {
    return original.apply(client, args as any);
  } catch (err) {
    end(err);
    throw err;
  }
}

// Starts the span and replaces the Submittable's handlers (own, non-enumerable unless they were
// enumerable own properties already, as pg-query-stream's are). Undefined when it is not ours to
// hook: submitted before, frozen, or unreadable.
function hookSubmittable(client: PgClient, sub: Submittable, caller: Scope | undefined): ((err?: unknown) => void) | undefined {
  let end: ((err?: unknown) => void) | undefined;
  try {
    if (sub[HOOKED] === true || !Object.isExtensible(sub)) return undefined;
    // pg-query-stream keeps text and values on its cursor.
    const source = typeof sub.text === 'string' || typeof sub.name === 'string' ? sub : (sub.cursor ?? sub);
    const span = caller?.untraced ? undefined : startQuerySpan(client, source.text, source.values, source.name);
    const ender = spanEnder(span);
    end = ender;
    Object.defineProperty(sub, HOOKED, { value: true, configurable: true });
    for (const name of HANDLERS) {
      const handler = sub[name];
      if (typeof handler !== 'function') continue;
      const bound = bind(handler as Callback, caller);
      const replacement = name === 'handleError'
        ? function handleError(this: unknown, err?: unknown) {
          ender(err ?? 'query failed');
          return bound.apply(this, arguments as unknown as unknown[]);
        }
        : name === 'handleReadyForQuery'
          ? function handleReadyForQuery(this: unknown) {
            ender(canceledBy(sub));
            return bound.apply(this, arguments as unknown as unknown[]);
          }
          : bound;
      const own = Object.getOwnPropertyDescriptor(sub, name);
      Object.defineProperty(sub, name, { value: replacement, writable: true, configurable: true, enumerable: own?.enumerable ?? false });
    }
    return ender;
  } catch {
    end?.(); // half hooked: no end would be seen, so the span ends now
    return undefined;
  }
}

// pg.Query turns a row it could not parse into an error delivered at readyForQuery (lib/query.js
// _canceledDueToError, pg 7 and 8).
function canceledBy(sub: Submittable): unknown {
  const err = sub._canceledDueToError;
  return err instanceof Error ? err : undefined;
}

function restoreCallback(config: QueryConfig, wrapped: unknown, cb: unknown): void {
  try {
    if (config.callback === wrapped) config.callback = cb;
  } catch {
    // a config object that refuses the write never took ours either
  }
}
