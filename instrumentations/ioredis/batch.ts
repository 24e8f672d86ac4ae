// pipeline() and multi(): one span per batch, `redis PIPELINE` or `redis MULTI`, started by
// Pipeline#exec in the caller's context and ended when the pipeline's own promise settles. Its
// db.statement lists every command (keys kept, values redacted) and db.operation.batch.size counts
// them. The queued commands get no spans of their own: they share one round trip, and a span each
// would count every command twice (Redis#sendCommand sees them with the pipeline's stream).
// Auto-pipelining (enableAutoPipelining) is the exception: there ioredis batches the commands of
// unrelated callers, so each keeps its own span, started by Pipeline#sendCommand in its caller's
// call, and the batch gets none.
import { isTracing } from '../../src/tracer/global';
import { dbSettings, redisStatement, truncate } from '../../src/shim/db';
import { shouldTrace, startSpan, underUnsampledSpan } from '../../src/shim/span-helpers';
import { DB_STATEMENT } from '../../src/tracer/tags';
import { SEEN, baseTags, canObserve, connectionTags, endOnSettle, type Client, type Command, type Fn } from './common';
import { firstPass } from './command';

/** Number of commands in a batch operation (OpenTelemetry's name for it; MULTI/EXEC not counted). */
export const DB_BATCH_SIZE = 'db.operation.batch.size';

const BATCH = Symbol('jaeger-auto:ioredis-batch');

interface Pipeline {
  _queue?: unknown;
  _transactions?: unknown;
  redis?: Client & { isCluster?: unknown; _autoPipelines?: unknown };
  isCluster?: unknown;
  resolve?: unknown;
  reject?: unknown;
  [BATCH]?: true;
}

/** The traced Pipeline.prototype.exec(callback). */
export function wrapExec(original: Fn): Fn {
  return function exec(this: Pipeline) {
    // While a multi() pipeline has an open transaction, exec() only queues EXEC (ioredis's multi
    // calls it twice); the batch is sent by the next call. Retries (Cluster) find the marker.
    if (!isTracing() || this === null || typeof this !== 'object' || this[BATCH] !== undefined
      || (typeof this._transactions === 'number' && this._transactions > 0)) {
      return original.apply(this, arguments as any);
    }
    try {
      begin(this);
    } catch {
      // the pipeline goes on untraced
    }
    return original.apply(this, arguments as any);
  };
}

/** The traced Pipeline.prototype.sendCommand(command): only auto-pipelines start spans here. */
export function wrapPipelineSendCommand(original: Fn): Fn {
  return function sendCommand(this: Pipeline, command: Command) {
    if (!isTracing() || command === null || typeof command !== 'object' || command[SEEN] !== undefined
      || this === null || typeof this !== 'object' || this.redis?.options?.enableAutoPipelining !== true) {
      return original.apply(this, arguments as any);
    }
    try {
      if (isAutoPipeline(this)) {
        this[BATCH] = true;
        firstPass(this.redis!, command, undefined, this.isCluster !== true && this.redis!.isCluster !== true);
      }
    } catch {
      // the command goes on untraced
    }
    return original.apply(this, arguments as any);
  };
}

// ioredis keeps the auto-pipelines it is filling in client._autoPipelines (one per slot group).
function isAutoPipeline(pipeline: Pipeline): boolean {
  const open = pipeline.redis?._autoPipelines;
  if (!(open instanceof Map)) return false;
  for (const p of open.values()) if (p === pipeline) return true;
  return false;
}

function begin(pipeline: Pipeline): void {
  pipeline[BATCH] = true;
  const queue = pipeline._queue;
  if (!Array.isArray(queue)) return;
  for (const command of queue as Command[]) if (command !== null && typeof command === 'object') command[SEEN] = true;
  if (queue.length === 0 || !canObserve(pipeline) || !shouldTrace() || underUnsampledSpan()) return;
  const first = (queue[0] as Command)?.name;
  const last = (queue[queue.length - 1] as Command)?.name;
  const transaction = queue.length >= 2 && first === 'multi' && last === 'exec';
  const listed = transaction ? queue.slice(1, -1) : queue;
  const tags = baseTags();
  if (listed.length > 0) tags[DB_STATEMENT] = statementOf(listed as Command[]);
  tags[DB_BATCH_SIZE] = listed.length;
  const client = pipeline.redis;
  if (client !== null && typeof client === 'object' && pipeline.isCluster !== true && client.isCluster !== true) {
    connectionTags(client, tags);
  }
  const span = startSpan(transaction ? 'redis MULTI' : 'redis PIPELINE', tags);
  if (span !== undefined) endOnSettle(pipeline, span, firstError);
}

// One line per command, as redisStatement writes it, cut at the statement length limit.
function statementOf(commands: readonly Command[]): string {
  const max = dbSettings().maxStatementLength;
  let out = '';
  for (const c of commands) {
    if (out.length > max) break;
    const name = typeof c?.name === 'string' ? c.name : '?';
    const line = redisStatement(name, Array.isArray(c?.args) ? c.args : []);
    out = out === '' ? line : `${out}\n${line}`;
  }
  return truncate(out, max);
}

// A pipeline resolves with [err, value] per command even when some failed; inside a transaction the
// errors of EXEC's replies sit in its value. The first one marks the span failed.
function firstError(results: unknown): unknown {
  if (!Array.isArray(results)) return undefined;
  for (const entry of results) {
    if (!Array.isArray(entry)) continue;
    if (entry[0] !== null && entry[0] !== undefined) return entry[0];
    if (Array.isArray(entry[1])) {
      for (const reply of entry[1]) if (reply instanceof Error) return reply;
    }
  }
  return undefined;
}
