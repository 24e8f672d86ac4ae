// What the mysql and mysql2 shims share: the query span and its tags, and ending it once from
// whichever way the query reports back (callback, 'error' or 'end' event), with the app's
// callbacks and listeners run in the scope that issued the query. Both drivers deliver results
// from the socket's context, which on a pooled connection belongs to whoever opened it.
import { activeScope, bind, type Scope } from '../src/context/scope-manager';
import { dbSettings, finishDbSpan, sqlOperationName, sqlStatement, truncate } from '../src/shim/db';
import { addSharedTags, sharedTags, shouldTrace, startSpan, underUnsampledSpan } from '../src/shim/span-helpers';
import type { Tag } from '../src/tracer/finished-span';
import { isTracing } from '../src/tracer/global';
import type { JaegerSpan } from '../src/tracer/span';
import {
  COMPONENT, DB_INSTANCE, DB_STATEMENT, DB_TYPE, DB_USER, PEER_ADDRESS, PEER_HOSTNAME, PEER_PORT, PEER_SERVICE,
  SPAN_KIND, SPAN_KIND_RPC_CLIENT,
} from '../src/tracer/tags';

/** Parameter values of a statement, recorded only with JAEGER_DB_CAPTURE_PARAMS. */
export const DB_PARAMS = 'db.params';
const DB_TYPE_SQL = 'sql';
const PEER_SERVICE_MYSQL = 'mysql';
const DEFAULT_HOST = 'localhost';
const DEFAULT_PORT = 3306;

/** The parts of a mysql/mysql2 ConnectionConfig the tags come from. */
export interface MysqlConfig {
  host?: unknown;
  port?: unknown;
  socketPath?: unknown;
  user?: unknown;
  database?: unknown;
}

/**
 * A traced query: its span and the scope the app issued it in. No span under an unsampled span
 * (nothing propagates from a query): its callbacks and events still run in the caller's scope.
 */
export interface QueryTrace {
  readonly span: JaegerSpan | undefined;
  readonly caller: Scope | undefined;
}

type Fn = (...args: any[]) => any;
type Emitter = { emit: Fn };

/**
 * The arguments with the callback at `at` (if any) replaced by endingCallback. Replaced before the
 * driver runs: drivers may call it synchronously (mysql2 on a closed connection) or keep their own
 * reference to it (mysql2's execute when prepare fails).
 */
export function withEndingCallback(args: IArguments, at: number, trace: QueryTrace): ArrayLike<unknown> {
  if (at < 0 || typeof args[at] !== 'function') return args;
  const copy = Array.prototype.slice.call(args);
  copy[at] = endingCallback(trace, copy[at]);
  return copy;
}

/** Starts the span of one statement (undefined when not tracing), a child of the active span. */
export function startQuery(
  component: string, fallbackName: string, sql: unknown, values: unknown, config: MysqlConfig | undefined,
): QueryTrace | undefined {
  const caller = activeScope();
  if (isTracing() && caller?.untraced !== true && underUnsampledSpan(caller)) return { span: undefined, caller };
  const span = startSpan(sqlOperationName(sql, fallbackName));
  if (span === undefined) return undefined;
  if (span.spanContext.isSampled) tagQuery(span, component, sql, values, config);
  return { span, caller };
}

function tagQuery(span: JaegerSpan, component: string, sql: unknown, values: unknown, config: MysqlConfig | undefined): void {
  addSharedTags(span, connectionTags(component, config));
  const statement = sqlStatement(sql, 'mysql');
  if (statement !== undefined) span.setTag(DB_STATEMENT, statement);
  if (values !== undefined && values !== null && dbSettings().captureParams) span.setTag(DB_PARAMS, paramsText(values));
}

// A connection's tags, made on its first traced query and shared by all its spans. Keyed by the
// connection's config object (one per connection or pool), checked against the fields they came
// from in case an app changes one.
interface CachedTags {
  readonly component: string;
  readonly database: unknown; readonly user: unknown; readonly socketPath: unknown; readonly host: unknown; readonly port: unknown;
  readonly tags: readonly Tag[];
}
const configTags = new WeakMap<object, CachedTags>();
const NO_CONFIG = {};

function connectionTags(component: string, config: MysqlConfig | undefined): readonly Tag[] {
  const key = typeof config === 'object' && config !== null ? config : NO_CONFIG;
  const { database, user, socketPath, host, port } = key as MysqlConfig;
  const cached = configTags.get(key);
  if (cached !== undefined && cached.component === component && cached.database === database && cached.user === user
    && cached.socketPath === socketPath && cached.host === host && cached.port === port) {
    return cached.tags;
  }
  const tags: Record<string, unknown> = { [SPAN_KIND]: SPAN_KIND_RPC_CLIENT, [COMPONENT]: component, [DB_TYPE]: DB_TYPE_SQL };
  if (typeof database === 'string' && database !== '') tags[DB_INSTANCE] = database;
  if (typeof user === 'string' && user !== '') tags[DB_USER] = user;
  if (typeof socketPath === 'string' && socketPath !== '') {
    tags[PEER_ADDRESS] = socketPath;
  } else {
    tags[PEER_HOSTNAME] = typeof host === 'string' && host !== '' ? host : DEFAULT_HOST;
    tags[PEER_PORT] = toPort(port) ?? DEFAULT_PORT;
  }
  tags[PEER_SERVICE] = PEER_SERVICE_MYSQL;
  const list = sharedTags(tags);
  configTags.set(key, { component, database, user, socketPath, host, port, tags: list });
  return list;
}

/**
 * Where the drivers' argument juggling puts the callback of `query(sql, values, cb)`,
 * `query(options, cb)` and `execute(...)`: the second argument when it is a function, else the
 * third when it is one; -1 for none.
 */
export function callbackIndex(args: IArguments): number {
  if (typeof args[1] === 'function') return 1;
  if (typeof args[2] === 'function') return 2;
  return -1;
}

/** The values given with `query(sql | options, values?, cb?)`: the argument, else options.values. */
export function valuesOf(args: IArguments): unknown {
  const given = args[1];
  if (given !== undefined && typeof given !== 'function') return given;
  const options: unknown = args[0];
  return options !== null && typeof options === 'object' ? (options as { values?: unknown }).values : undefined;
}

/** The SQL text of `query(sql | options | Query, ...)`. */
export function sqlOf(first: unknown): unknown {
  return first !== null && typeof first === 'object' ? (first as { sql?: unknown }).sql : first;
}

/** `cb` that ends the span (failed when called with an error) and then runs in the caller's scope. */
export function endingCallback<F extends Fn>(trace: QueryTrace, cb: F): F {
  const bound = bind(cb, trace.caller);
  return function queryCallback(this: unknown, err?: unknown) {
    end(trace, err);
    return bound.apply(this, arguments as unknown as unknown[]);
  } as F;
}

/**
 * Makes the emitter's listeners run in the caller's scope, and ends the span at its first 'error'
 * (failed) or 'end' event, then calls `onEnd`. No listener is added: an 'error' listener would
 * change whether an unhandled error crashes the app. The replacement `emit` is an own,
 * non-enumerable property of this one object.
 */
export function observeEvents(emitter: Emitter, trace: QueryTrace, onEnd?: () => void): void {
  const bound = bind(emitter.emit, trace.caller);
  const emit = function emit(this: unknown, type: unknown, arg?: unknown): boolean {
    if ((type === 'error' || type === 'end') && trace.span !== undefined && !trace.span.isFinished) {
      end(trace, type === 'error' ? arg : undefined);
      if (onEnd !== undefined) onEnd();
    }
    return bound.apply(this, arguments as unknown as unknown[]);
  };
  Object.defineProperty(emitter, 'emit', { value: emit, writable: true, configurable: true, enumerable: false });
}

/** Ends the span once; never throws into the driver. */
export function end(trace: QueryTrace, err?: unknown): void {
  if (trace.span === undefined) return;
  try {
    finishDbSpan(trace.span, err); // Duplicate entry '…' and the like are redacted
  } catch {
    // the query goes on untraced
  }
}

/** True for a driver's command/sequence object (an EventEmitter), as opposed to an options object. */
export function isEmitter(value: unknown): value is Emitter {
  return value !== null && typeof value === 'object' && typeof (value as Emitter).emit === 'function';
}

// Queries without a callback whose span is still open, per connection. Both drivers report a
// connection failure (refused, access denied, lost) to such a query on the *connection*'s 'error'
// event and never end the query itself; the shims call failPending from that path.
const PENDING = Symbol('jaeger-auto:mysql-pending');

type WithPending = { [PENDING]?: Set<QueryTrace> };

/** Remembers an open callback-less query of `connection`; returns what forgets it (at its end). */
export function watchConnection(connection: unknown, trace: QueryTrace): (() => void) | undefined {
  if (connection === null || typeof connection !== 'object' || trace.span === undefined) return undefined;
  const c = connection as WithPending;
  let pending = c[PENDING];
  if (pending === undefined) {
    pending = new Set();
    Object.defineProperty(c, PENDING, { value: pending, configurable: true });
  }
  pending.add(trace);
  return () => pending!.delete(trace);
}

/** Ends every open callback-less query of `connection` as failed by `err`. */
export function failPending(connection: unknown, err: unknown): void {
  const pending = connection !== null && typeof connection === 'object' ? (connection as WithPending)[PENDING] : undefined;
  if (pending === undefined || pending.size === 0) return;
  for (const trace of pending) end(trace, err);
  pending.clear();
}

// Callbacks bound by getConnection: a queued one comes back through getConnection on release.
const BOUND = new WeakSet<Fn>();

/**
 * Pool.prototype.getConnection(cb) with `cb` bound to the caller's scope. Pools call a waiting
 * caller's callback from whoever released a connection, so unbound it would run (and issue its
 * queries) in another request's context.
 */
export function wrapGetConnection(original: Fn): Fn {
  return function getConnection(this: unknown, cb: unknown) {
    if (!shouldTrace() || typeof cb !== 'function' || BOUND.has(cb as Fn)) return original.apply(this, arguments as any);
    const bound = bind(cb as Fn);
    BOUND.add(bound);
    const args = Array.prototype.slice.call(arguments);
    args[0] = bound;
    return original.apply(this, args);
  };
}

/** JSON of the parameter values (bigints as strings, buffers by size), truncated like statements. */
export function paramsText(values: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(values, function replacer(this: Record<string, unknown>, key: string, value: unknown) {
      const raw = this[key];
      if (Buffer.isBuffer(raw)) return `<Buffer ${raw.length} bytes>`;
      return typeof value === 'bigint' ? value.toString() : value;
    });
  } catch {
    text = undefined; // a cycle, or a throwing toJSON
  }
  return truncate(text ?? '[unserializable]', dbSettings().maxStatementLength);
}

function toPort(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/** Where one driver differs in query(): its names, where a query object keeps its callback. */
export interface QueryShape {
  readonly component: string;
  readonly fallbackName: string;
  /** mysql's Query sequence calls `_callback`, mysql2's Query command `onResult`. */
  readonly callbackKey: '_callback' | 'onResult';
  /** mysql accepts query(cb) (createQuery takes a function as the callback); mysql2 does not. */
  readonly functionIsCallback: boolean;
}

type QueryObject = Emitter & { values?: unknown } & Record<string, unknown>;

/**
 * The traced query(sql | options | Query, values?, cb?) of either driver: one span per statement,
 * ended through the callback (an argument, or the Query object's own), or through the Query
 * object's events when there is none.
 */
export function wrapQueryWith(original: Fn, shape: QueryShape): Fn {
  return function query(this: { config?: MysqlConfig }, sql: unknown) {
    if (!shouldTrace()) return original.apply(this, arguments as any);
    const object = isEmitter(sql) ? sql as QueryObject : undefined;
    let trace: QueryTrace | undefined;
    try {
      trace = startQuery(shape.component, shape.fallbackName, sqlOf(sql), object ? object.values : valuesOf(arguments), this?.config);
    } catch {
      trace = undefined;
    }
    if (trace === undefined) return original.apply(this, arguments as any);
    let args: ArrayLike<unknown> = arguments;
    if (object !== undefined) {
      try {
        let forget: (() => void) | undefined;
        const cb = object[shape.callbackKey];
        if (typeof cb === 'function') object[shape.callbackKey] = endingCallback(trace, cb as Fn);
        else forget = watchConnection(this, trace);
        observeEvents(object, trace, forget);
      } catch {
        // a query object we cannot observe: the query goes on, its span may stay open (never reported)
      }
    } else {
      args = withEndingCallback(arguments, shape.functionIsCallback && typeof sql === 'function' ? 0 : callbackIndex(arguments), trace);
    }
    return callQuery(original, this, args, trace, object === undefined, shape.callbackKey);
  };
}

/**
 * Calls the driver; a synchronous throw ends the span and reaches the app unchanged. With `observe`,
 * a query object the driver returns is observed (its callback, else its events, end the span).
 */
export function callQuery(
  original: Fn, self: unknown, args: ArrayLike<unknown>, trace: QueryTrace, observe: boolean, callbackKey: QueryShape['callbackKey'],
): unknown {
  let result: unknown;
  try {
    result = original.apply(self, args as unknown[]);
  } catch (err) {
    end(trace, err); // the app gets the very same error
    throw err;
  }
  if (observe && isEmitter(result) && trace.span?.isFinished !== true) {
    try {
      const object = result as QueryObject;
      observeEvents(object, trace, typeof object[callbackKey] === 'function' ? undefined : watchConnection(self, trace));
    } catch {
      // the query goes on; its span ends with its callback, if any
    }
  }
  return result;
}
