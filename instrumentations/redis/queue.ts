import { activeScope } from '../../src/context/scope-manager';
import { dbSettings, redisStatement, setDbError, truncate } from '../../src/shim/db';
import { addSharedTags, sharedTags, shouldTrace, startSpanWith, underUnsampledSpan } from '../../src/shim/span-helpers';
import { getTracer } from '../../src/tracer/global';
import type { JaegerSpan } from '../../src/tracer/span';
import {
  COMPONENT, DB_INSTANCE, DB_STATEMENT, DB_TYPE, DB_USER, SPAN_KIND, SPAN_KIND_RPC_CLIENT,
} from '../../src/tracer/tags';
import { connectionOf, type Connection } from './connection';

// RedisCommandsQueue.prototype.addCommand: every command the client sends passes here, in the
// caller's synchronous run — typed commands, sendCommand, scripts, module commands, pipelines,
// MULTI…EXEC, commands queued while the client connects, and the connection handshake (AUTH /
// HELLO, SELECT, CLIENT SETINFO). A span starts here and ends when the command's promise settles.
//
// MULTI…EXEC is one span: @redis/client adds MULTI, the queued commands and EXEC back to back with
// one chainId (client/index.js multiExecutor / _executeMulti), so the span opened at MULTI collects
// the queued commands and ends with EXEC. Pipelines (execAsPipeline, and the commands of one tick,
// which node-redis always writes together) are plain commands here: one span each.

/** Number of commands in a batch (OpenTelemetry's name; the ioredis instrumentation's too). */
const DB_BATCH_SIZE = 'db.operation.batch.size';

const kTransaction = Symbol('jaeger-auto:redis-transaction');

interface Transaction {
  readonly chainId: unknown;
  readonly span: JaegerSpan;
  readonly connection: Connection | undefined;
  /** One line per queued command, until the statement length limit is reached. */
  statement: string;
  size: number;
  /** The database a SELECT inside the transaction switches to once EXEC succeeds. */
  db: number | undefined;
}

interface Queue {
  [kTransaction]?: Transaction;
}

/** What the client passes: chainId groups MULTI…EXEC and pipelines; asap, typeMapping, signals… */
type CommandOptions = { readonly chainId?: unknown; readonly [option: string]: unknown };

type AddCommand = (this: object, args: unknown, options?: CommandOptions | null) => Promise<unknown>;

const COMMAND_NAME = /^[A-Za-z][A-Za-z0-9._|-]{0,39}$/;

function commandName(first: unknown): string {
  const name = typeof first === 'string' ? first : Buffer.isBuffer(first) ? first.toString('latin1') : '';
  // Operation names stay low-cardinality even if an app sends garbage as a command.
  return COMMAND_NAME.test(name) ? name.toUpperCase() : 'UNKNOWN';
}

function startCommandSpan(name: string, connection: Connection | undefined): JaegerSpan | undefined {
  // What the client does on its own once connected (reconnecting and its handshake, pings) runs in
  // the scope its connect() ran in: it is nobody's work, and gets no span.
  if (connection !== undefined && !connection.connecting && activeScope() === connection.scope) return undefined;
  const tracer = getTracer();
  if (tracer === undefined) return undefined;
  const span = startSpanWith(tracer, `redis ${name}`, NO_OPTIONS);
  if (span !== undefined) {
    addSharedTags(span, COMMAND_TAGS);
    if (connection !== undefined) addSharedTags(span, connection.peerTags);
  }
  return span;
}

const NO_OPTIONS = Object.freeze({});
/** What every command span says first (then its connection's peer tags). */
const COMMAND_TAGS = sharedTags({ [SPAN_KIND]: SPAN_KIND_RPC_CLIENT, [COMPONENT]: 'redis', [DB_TYPE]: 'redis' });

/**
 * error=true and an error log (event, error.kind, message), as setError writes it but without the
 * stack: reading `err.stack` makes V8 format it now, and Node then no longer shows the error's
 * source line when the app leaves the rejection unhandled and dies of it. A reply error's stack is
 * the protocol decoder's anyway.
 */
function markError(span: JaegerSpan, err: unknown): void {
  setDbError(span, err, 'redis', false); // errors quote command arguments: redacted
}

function finish(span: JaegerSpan, connection: Connection | undefined, err?: unknown): void {
  try {
    span.setTag(DB_INSTANCE, String(connection?.db ?? 0));
    if (connection?.user !== undefined) span.setTag(DB_USER, connection.user);
    if (err !== undefined) markError(span, err);
    span.finish();
  } catch {
    // never let tracing break the reply path
  }
}

/** The database a `SELECT <n>` switches to, if it is one. */
function selectedDb(args: readonly unknown[]): number | undefined {
  const db = Number(typeof args[1] === 'string' || typeof args[1] === 'number' ? args[1] : NaN);
  return Number.isInteger(db) && db >= 0 ? db : undefined;
}

// AUTH [user] password, HELLO protover AUTH user password: only the user is kept.
function noteUser(connection: Connection | undefined, name: string, args: readonly unknown[]): void {
  if (connection === undefined) return;
  let user: unknown;
  if (name === 'AUTH') user = args.length >= 3 ? args[1] : undefined;
  else if (name === 'HELLO') {
    const at = args.findIndex((a, i) => i > 0 && typeof a === 'string' && a.toUpperCase() === 'AUTH');
    user = at > 0 ? args[at + 1] : undefined;
  } else return;
  connection.user = typeof user === 'string' ? user : Buffer.isBuffer(user) ? user.toString('utf8') : undefined;
}

/**
 * The promise the app gets: the command's own, followed once, so the span ends before the app's
 * code runs. Not handlers on the command's promise itself: that would mark a rejection handled that
 * the app leaves unhandled (a raw sendCommand() promise reaches the app as it is), and the process
 * would no longer die of it. The cost is one microtask: the app's reactions run one job later.
 */
function settle(promise: Promise<unknown>, onReply: (reply: unknown) => void, onError: (err: unknown) => void): Promise<unknown> {
  if (typeof promise?.then !== 'function') {
    onReply(undefined);
    return promise;
  }
  return promise.then((reply) => {
    onReply(reply);
    return reply;
  }, (err) => {
    onError(err);
    throw err;
  });
}

function forward(original: AddCommand, queue: Queue, args: IArguments): Promise<unknown> {
  return original.apply(queue, args as unknown as Parameters<AddCommand>);
}

function call(original: AddCommand, queue: Queue, args: IArguments, span: JaegerSpan, connection: Connection | undefined): Promise<unknown> {
  try {
    return forward(original, queue, args);
  } catch (err) {
    finish(span, connection, err);
    throw err;
  }
}

function addToTransaction(txn: Transaction, name: string, args: unknown[]): void {
  txn.size++;
  if (name === 'SELECT') txn.db = selectedDb(args);
  // Thousands of queued commands must not build a string only to cut it.
  if (txn.statement.length > dbSettings().maxStatementLength) return;
  const line = redisStatement(name, args, 1);
  txn.statement = txn.statement === '' ? line : `${txn.statement}\n${line}`;
}

function firstError(reply: unknown): unknown {
  return Array.isArray(reply) ? reply.find((r) => r instanceof Error) : undefined;
}

function endTransaction(queue: Queue, txn: Transaction, original: AddCommand, args: IArguments): Promise<unknown> {
  queue[kTransaction] = undefined;
  const { span, connection } = txn;
  if (txn.statement !== '') span.setTag(DB_STATEMENT, truncate(txn.statement, dbSettings().maxStatementLength));
  span.setTag(DB_BATCH_SIZE, txn.size);
  return settle(call(original, queue, args, span, connection), (reply) => {
    // nil: a WATCHed key changed and nothing ran (the client throws WatchError); an array may hold
    // the errors of single commands (the client throws MultiErrorReply).
    const err = reply === null ? 'transaction aborted: a watched key changed' : firstError(reply);
    finish(span, connection, err);
    if (err === undefined && connection !== undefined && txn.db !== undefined) connection.db = txn.db;
  }, (err) => finish(span, connection, err));
}

export function wrapAddCommand(original: AddCommand): AddCommand {
  return function addCommand(this: Queue, args: unknown, options?: CommandOptions | null) {
    if (!shouldTrace() || !Array.isArray(args) || args.length === 0) return forward(original, this, arguments);
    const name = commandName(args[0]);
    const chainId = options?.chainId;
    const txn = this[kTransaction];
    if (txn !== undefined && chainId !== undefined && chainId === txn.chainId) {
      if (name === 'EXEC') return endTransaction(this, txn, original, arguments);
      addToTransaction(txn, name, args); // queued: part of the transaction's span
      return forward(original, this, arguments);
    }
    const connection = connectionOf(this);
    if (underUnsampledSpan()) {
      // No span under an unsampled one, but what later spans of this connection report is kept.
      noteUser(connection, name, args);
      if (name !== 'SELECT' || connection === undefined) return forward(original, this, arguments);
      return settle(forward(original, this, arguments), () => {
        connection.db = selectedDb(args) ?? connection.db;
      }, () => {});
    }
    const span = startCommandSpan(name, connection);
    if (span === undefined) return forward(original, this, arguments);
    noteUser(connection, name, args);
    if (name === 'MULTI' && chainId !== undefined) {
      if (txn !== undefined) finish(txn.span, txn.connection); // its EXEC never came
      this[kTransaction] = { chainId, span, connection, statement: '', size: 0, db: undefined };
      try {
        return forward(original, this, arguments); // the span ends with EXEC's promise
      } catch (err) {
        this[kTransaction] = undefined;
        finish(span, connection, err);
        throw err;
      }
    }
    span.setTag(DB_STATEMENT, redisStatement(name, args, 1));
    return settle(call(original, this, arguments, span, connection), () => {
      finish(span, connection);
      if (name === 'SELECT' && connection !== undefined) connection.db = selectedDb(args) ?? connection.db;
    }, (err) => finish(span, connection, err));
  };
}
