// What the ioredis command and batch shims share: the shapes of ioredis's objects we read, the
// marker that makes every command traced at most once, the connection tags, and the connection
// set-up detection (commands ioredis sends on its own get no span).
import { setDbError } from '../../src/shim/db';
import type { JaegerSpan } from '../../src/tracer/span';
import {
  COMPONENT, DB_INSTANCE, DB_TYPE, DB_USER, PEER_ADDRESS, PEER_HOSTNAME, PEER_PORT, PEER_SERVICE, SPAN_KIND,
  SPAN_KIND_RPC_CLIENT,
} from '../../src/tracer/tags';

export const COMPONENT_IOREDIS = 'ioredis';
const DB_TYPE_REDIS = 'redis';
const PEER_SERVICE_REDIS = 'redis';
const DEFAULT_HOST = 'localhost';
const DEFAULT_PORT = 6379;

/**
 * On a Command: true once a shim has seen it (traced or deliberately not), or the span a Cluster
 * started for it, until a node connection is chosen and adds its peer tags. ioredis passes one
 * command through sendCommand several times (offline queue, resend after reconnect, Cluster then
 * node, MOVED/ASK retries); only the first pass may start a span.
 */
export const SEEN = Symbol('jaeger-auto:ioredis-command');

/** The parts of an ioredis Command the shims read or replace. */
export interface Command {
  name?: unknown;
  args?: unknown;
  resolve?: unknown;
  reject?: unknown;
  [SEEN]?: true | JaegerSpan;
}

/** The parts of a Redis connection (or a Cluster) the shims read. */
export interface Client {
  status?: unknown;
  options?: {
    host?: unknown; port?: unknown; path?: unknown; db?: unknown; username?: unknown; enableAutoPipelining?: unknown;
  } | null;
  condition?: { select?: unknown } | null;
}

export type Fn = (...args: any[]) => any;

/** span.kind, component, db.type and peer.service: every ioredis span starts with these. */
export function baseTags(): Record<string, unknown> {
  return {
    [SPAN_KIND]: SPAN_KIND_RPC_CLIENT,
    [COMPONENT]: COMPONENT_IOREDIS,
    [DB_TYPE]: DB_TYPE_REDIS,
    [PEER_SERVICE]: PEER_SERVICE_REDIS,
  };
}

/** db.instance (the selected db), peer host/port (or unix socket path) and db.user of a connection. */
export function connectionTags(client: Client, tags: Record<string, unknown>): Record<string, unknown> {
  const o = client.options;
  if (o === null || typeof o !== 'object') return tags;
  const db = client.condition?.select ?? o.db ?? 0;
  tags[DB_INSTANCE] = String(db);
  if (typeof o.path === 'string' && o.path !== '') {
    tags[PEER_ADDRESS] = o.path;
  } else {
    tags[PEER_HOSTNAME] = typeof o.host === 'string' && o.host !== '' ? o.host : DEFAULT_HOST;
    tags[PEER_PORT] = toPort(o.port) ?? DEFAULT_PORT;
  }
  if (typeof o.username === 'string' && o.username !== '') tags[DB_USER] = o.username;
  return tags;
}

function toPort(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value !== '' ? Number(value) : NaN;
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}

/**
 * Ends `span` when `target` (a Command or a Pipeline) settles, by wrapping its own resolve and
 * reject: observing its promise with then() would mark a rejection handled that the app left
 * unhandled. Our reject is installed before ioredis's Cluster wraps reject for MOVED/ASK retries,
 * so only the final outcome reaches it. `failure` picks the error out of a resolved value (a
 * pipeline's results); resolve runs first, since a failing reply transform calls reject instead.
 * Check canObserve(target) before starting the span.
 */
export function endOnSettle(
  target: { resolve?: unknown; reject?: unknown },
  span: JaegerSpan,
  failure?: (value: unknown) => unknown,
): void {
  const resolve = target.resolve as Fn;
  const reject = target.reject as Fn;
  let open = true;
  target.resolve = function resolveTraced(this: unknown, value: unknown) {
    try {
      return resolve.apply(this, arguments as unknown as unknown[]);
    } finally {
      if (open) {
        open = false;
        end(span, false, value, failure);
      }
    }
  };
  target.reject = function rejectTraced(this: unknown, err: unknown) {
    if (open) {
      open = false;
      end(span, true, err);
    }
    return reject.apply(this, arguments as unknown as unknown[]);
  };
}

/** True when target's resolve and reject can be wrapped by endOnSettle. */
export function canObserve(target: { resolve?: unknown; reject?: unknown }): boolean {
  return typeof target.resolve === 'function' && typeof target.reject === 'function';
}

// Never throws: it runs on ioredis's reply path. `failure` finds an error in a resolved value.
function end(span: JaegerSpan, failed: boolean, outcome: unknown, failure?: (value: unknown) => unknown): void {
  try {
    const err = failed ? outcome : failure?.(outcome);
    if (failed || err !== undefined) markError(span, err);
    span.finish();
  } catch {
    // never let tracing break the reply path
  }
}

/**
 * error=true and an error log (event, error.kind, message), as setError writes it but without the
 * stack: reading `err.stack` makes V8 format it now, and Node then can no longer point at the
 * error's source line when the app leaves the rejection unhandled and dies of it (the crash report
 * would change). The stack of a reply error is the protocol parser's anyway, not the caller's.
 */
function markError(span: JaegerSpan, err: unknown): void {
  setDbError(span, err, 'redis', false); // errors quote command arguments: redacted
}

// Connection set-up: commands ioredis sends by itself. They have no caller of their own (they would
// be roots, or children of whatever request happened to create or reconnect the client) and are not
// the application's work, so they get no span.
//
// 1. Handshake: from the socket's connect until ready, ioredis sends AUTH/HELLO, SELECT, CLIENT
//    SETNAME/SETINFO, READONLY and the INFO ready check while its status is 'connect' (v5 sends
//    CLIENT SETINFO after an async step, v6 the whole handshake from an async function, so a
//    synchronous window around the connect handler would miss them). The app's own commands of those
//    names in that short window are indistinguishable and untraced too.
// 2. Windows: the ready handler (re-SELECT, re-SUBSCRIBE, MONITOR, v4's CLIENT SETNAME) and the
//    Cluster's slot refresh (CLUSTER SLOTS on a throwaway connection) and ready check (CLUSTER INFO)
//    issue theirs synchronously, so a depth counter around those functions marks them.
const HANDSHAKE_COMMANDS = new Set(['auth', 'hello', 'select', 'client', 'readonly', 'info']);
let setupDepth = 0;

/** True inside one of the set-up windows (asSetup): every command sent now is ioredis's own. */
export function inSetupWindow(): boolean {
  return setupDepth > 0;
}

/** True when a command named `name` sent on `connection` now is part of its handshake. */
export function isHandshakeCommand(connection: Client, name: string): boolean {
  return connection.status === 'connect' && HANDSHAKE_COMMANDS.has(name);
}

/** `fn` made to run as connection set-up: commands it sends synchronously get no span. */
export function asSetup<F extends Fn>(fn: F): F {
  return function setup(this: unknown) {
    setupDepth++;
    try {
      return fn.apply(this, arguments as unknown as unknown[]);
    } finally {
      setupDepth--;
    }
  } as F;
}
