// One span per command, started where ioredis first sees it: Redis#sendCommand for a connection,
// Cluster#sendCommand for a cluster (the node connection it routes to adds the peer tags later).
// Both run synchronously in the caller's call, so the active span is the caller's even when the
// command then waits in an offline queue. The span ends when the command's resolve or reject runs.
import { isTracing } from '../../src/tracer/global';
import { redisStatement } from '../../src/shim/db';
import { shouldTrace, startSpan, underUnsampledSpan } from '../../src/shim/span-helpers';
import type { JaegerSpan } from '../../src/tracer/span';
import { DB_STATEMENT } from '../../src/tracer/tags';
import {
  SEEN, asSetup, baseTags, canObserve, connectionTags, endOnSettle, inSetupWindow, isHandshakeCommand, type Client,
  type Command, type Fn,
} from './common';

/** The traced Redis.prototype.sendCommand(command, stream). */
export function wrapRedisSendCommand(original: Fn): Fn {
  return function sendCommand(this: Client, command: Command) {
    if (!isTracing() || command === null || typeof command !== 'object') return original.apply(this, arguments as any);
    const seen = command[SEEN];
    if (seen === undefined) {
      try {
        firstPass(this, command, arguments[1], true);
      } catch {
        // the command goes on untraced
      }
    } else if (seen !== true) {
      try {
        routed(this, command, seen);
      } catch {
        // keep the span without peer tags
      }
    }
    return original.apply(this, arguments as any);
  };
}

/** The traced Cluster.prototype.sendCommand(command, stream, node). */
export function wrapClusterSendCommand(original: Fn): Fn {
  return function sendCommand(this: Client, command: Command) {
    if (!isTracing() || command === null || typeof command !== 'object' || command[SEEN] !== undefined) {
      return original.apply(this, arguments as any);
    }
    try {
      firstPass(this, command, arguments[1], false);
    } catch {
      // the command goes on untraced
    }
    return original.apply(this, arguments as any);
  };
}

/**
 * The first time a shim sees `command`, sent through `client` (a connection, or a Cluster whose
 * node will add the peer tags): starts its span, or decides it gets none. Marks it seen either way.
 */
export function firstPass(client: Client, command: Command, stream: unknown, connection: boolean): void {
  // A `stream` is a pipeline's: its commands belong to the pipeline's span (see batch.ts). Inside
  // runUntraced the command is marked too, so that no later pass (offline queue flush) traces it.
  if (stream != null || !shouldTrace() || inSetupWindow() || (connection && isHandshakeCommand(client, command.name as string))) {
    command[SEEN] = true;
    return;
  }
  beginCommand(client, command, connection);
}

function beginCommand(client: Client, command: Command, connection: boolean): void {
  const name = command.name;
  if (typeof name !== 'string' || !canObserve(command)) {
    command[SEEN] = true;
    return;
  }
  if (underUnsampledSpan()) {
    command[SEEN] = true;
    return;
  }
  const tags = baseTags();
  tags[DB_STATEMENT] = redisStatement(name, Array.isArray(command.args) ? command.args : []);
  if (connection) connectionTags(client, tags);
  const span = startSpan(`redis ${name.toUpperCase()}`, tags);
  if (span === undefined) {
    command[SEEN] = true;
    return;
  }
  command[SEEN] = connection ? true : span;
  endOnSettle(command, span);
}

// A Cluster's command reached the node connection that will send it: now the peer is known.
function routed(client: Client, command: Command, span: JaegerSpan): void {
  command[SEEN] = true;
  const tags = connectionTags(client, {});
  for (const key of Object.keys(tags)) span.setTag(key, tags[key]);
}

/** Cluster methods that send commands of their own while (re)connecting: those get no span. */
export const wrapClusterSetup = (original: Fn): Fn => asSetup(original);
