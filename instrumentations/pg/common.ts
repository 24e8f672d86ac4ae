// Pieces the pg query and connect shims share: the tags every pg span carries, and the two ways a
// pg call reports back (a callback, or a promise pg builds with the client's own Promise class), each
// turned into "finish the span, then let the application see exactly what pg gave".
import type { JaegerSpan } from '../../src/tracer/span';
import { bind, type Scope } from '../../src/context/scope-manager';
import { dbSettings, finishDbSpan, truncate } from '../../src/shim/db';
import { addSharedTags, sharedTags } from '../../src/shim/span-helpers';
import type { Tag } from '../../src/tracer/finished-span';
import {
  COMPONENT, DB_INSTANCE, DB_TYPE, DB_USER, PEER_ADDRESS, PEER_HOSTNAME, PEER_PORT, PEER_SERVICE, SPAN_KIND,
  SPAN_KIND_RPC_CLIENT,
} from '../../src/tracer/tags';

/** The `component` tag of every pg span. */
export const COMPONENT_PG = 'pg';
/** `db.type` of every pg span. */
export const DB_TYPE_SQL = 'sql';
/** `peer.service` of every pg span: the server, whatever the client library. */
export const PEER_SERVICE_POSTGRESQL = 'postgresql';
/** Tag: the query's parameter values as a JSON array, only with JAEGER_DB_CAPTURE_PARAMS=true. */
export const DB_PARAMS = 'db.params';
/** Tag: the name of a named (prepared) statement; the operation name stays the SQL verb + table. */
export const DB_STATEMENT_NAME = 'db.statement.name';

/** What the shims read from a pg Client (public fields, set by its constructor in pg 7 and 8). */
export interface PgClient {
  host?: unknown;
  port?: unknown;
  database?: unknown;
  user?: unknown;
  _Promise?: unknown;
  connection?: { parsedStatements?: Record<string, unknown> } | null;
}

/** Connection tags: kind, component, db.type/instance/user, the peer and its service. */
export function tagConnection(span: JaegerSpan, client: PgClient): void {
  addSharedTags(span, connectionTags(client));
}

// A client's connection tags, made on its first traced query and shared by all its spans (pooled
// clients run thousands). Checked against the fields they came from, in case an app changes one.
interface CachedTags { readonly host: unknown; readonly port: unknown; readonly database: unknown; readonly user: unknown; readonly tags: readonly Tag[] }
const clientTags = new WeakMap<object, CachedTags>();

function connectionTags(client: PgClient): readonly Tag[] {
  const { host, port, database, user } = client;
  const cached = clientTags.get(client);
  if (cached !== undefined && cached.host === host && cached.port === port && cached.database === database && cached.user === user) {
    return cached.tags;
  }
  const tags: Record<string, unknown> = { [SPAN_KIND]: SPAN_KIND_RPC_CLIENT, [COMPONENT]: COMPONENT_PG, [DB_TYPE]: DB_TYPE_SQL };
  if (typeof database === 'string') tags[DB_INSTANCE] = database;
  if (typeof user === 'string') tags[DB_USER] = user;
  const portNumber = typeof port === 'number' ? port : Number(port);
  // pg connects to a unix socket when the host is a directory (lib/client.js _connect).
  if (typeof host === 'string' && host.startsWith('/')) tags[PEER_ADDRESS] = `${host}/.s.PGSQL.${port}`;
  else if (typeof host === 'string' && host !== '') tags[PEER_HOSTNAME] = host;
  if (Number.isInteger(portNumber) && portNumber > 0) tags[PEER_PORT] = portNumber;
  tags[PEER_SERVICE] = PEER_SERVICE_POSTGRESQL;
  const list = sharedTags(tags);
  clientTags.set(client, { host, port, database, user, tags: list });
  return list;
}

/**
 * `values` as a JSON array for `db.params`, cut to the statement length limit. Each value as the
 * app gave it: strings quoted (long ones cut first, so a 10 MB value costs nothing), Buffers as
 * `<Buffer n bytes>`, Dates in ISO form, objects as JSON when they can be.
 */
export function paramsText(values: unknown): string | undefined {
  if (!Array.isArray(values)) return undefined;
  const max = dbSettings().maxStatementLength;
  let out = '[';
  for (let i = 0; i < values.length && out.length <= max; i++) out += (i === 0 ? '' : ',') + paramText(values[i], max);
  return truncate(`${out}]`, max);
}

function paramText(value: unknown, max: number): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string': return JSON.stringify(value.length > max ? value.slice(0, max) : value);
    case 'number': return Number.isFinite(value) ? String(value) : JSON.stringify(String(value));
    case 'boolean': case 'bigint': return String(value);
    default: break;
  }
  if (Buffer.isBuffer(value)) return JSON.stringify(`<Buffer ${value.length} bytes>`);
  if (value instanceof Date) return JSON.stringify(Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString());
  try {
    const json = JSON.stringify(value);
    return json === undefined ? 'null' : truncate(json, max);
  } catch {
    return JSON.stringify(Object.prototype.toString.call(value));
  }
}

/**
 * Ends `span` (if any) once, with pg's error when there is one. The returned function takes what
 * pg passes to its callback first (an error or null).
 */
export function spanEnder(span: JaegerSpan | undefined): (err?: unknown) => void {
  let open = span !== undefined;
  return (err) => {
    if (!open) return;
    open = false;
    try {
      finishDbSpan(span as JaegerSpan, err); // values pg echoes in the message are redacted
    } catch {
      // never in the application's way
    }
  };
}

/**
 * The callback pg gets in place of the app's: ends the span, then calls the app's callback with the
 * same `this` and arguments in the caller's scope (a pooled connection answers in the context of
 * whoever opened it). Returns what the app's callback returns; its throws are not caught.
 */
export function endingCallback(cb: (...args: any[]) => unknown, end: (err?: unknown) => void, caller: Scope | undefined) {
  const bound = bind(cb, caller);
  return function (this: unknown, err?: unknown) {
    end(err);
    return bound.apply(this, arguments as unknown as unknown[]);
  };
}

type Executor = (resolve: (value: unknown) => void, reject: (reason?: unknown) => void) => void;
type PromiseClass = new (executor: Executor) => unknown;

/** True when `client` builds its promises with a Promise class callWithEndingPromise can stand in for. */
export function hasPromiseClass(client: PgClient): boolean {
  return typeof client._Promise === 'function';
}

/**
 * Calls `original` with the client's Promise class replaced, for this one synchronous call, by one
 * whose resolve/reject end the span first. pg (7 and 8) builds the promise of a callback-less query
 * or connect as `new this._Promise(executor)`, so the app gets the very promise pg made, settled at
 * the same moment, with no handler of ours attached (an unhandled rejection stays unhandled).
 * Check hasPromiseClass(client) first.
 */
export function callWithEndingPromise(client: PgClient, original: Function, args: IArguments, end: (err?: unknown) => void): unknown {
  const Real = client._Promise as PromiseClass;
  const own = Object.prototype.hasOwnProperty.call(client, '_Promise');
  let used = false;
  const Ending = function (executor: Executor) {
    used = true;
    return new Real((resolve, reject) => {
      const ok = (value: unknown) => { end(); resolve(value); };
      const fail = (reason?: unknown) => { end(reason ?? 'rejected without a reason'); reject(reason); };
      try {
        executor(ok, fail);
      } catch (err) {
        fail(err); // what the Promise constructor does with a throwing executor
      }
    });
  };
  client._Promise = Ending;
  let result: unknown;
  try {
    result = original.apply(client, args);
  } catch (err) {
    end(err);
    throw err;
  } finally {
    if (own) client._Promise = Real;
    else delete client._Promise;
  }
  // pg took a path without a promise: there is no end to observe, so the span ends now.
  if (!used) end();
  return result;
}
