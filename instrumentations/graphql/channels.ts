// graphql 17 publishes its execution on diagnostics_channel (diagnostics.js: tracing channels
// `graphql:execute`, also used by executeSync and the incremental forms). Listening there works
// however graphql was loaded: Node ≥20.19 resolves `require('graphql')` to its ES module build
// (the `module-sync` export condition), whose internal files no require hook sees. The channel's
// start is bound to our scope store, so execution (and every resolver) runs in the operation span.
import type * as opentracing from 'opentracing';
import { bindInstrumentation } from '../../src/shim/guard';
import { activeScope, bindChannelStore, type Scope, type StoreBindable } from '../../src/context/scope-manager';
import type { PatchContext } from '../../src/loader/definition';
import { shouldTrace } from '../../src/shim/span-helpers';
import { endOperation, startOperationSpan } from './operation';

/** The message graphql publishes for one execution (buildOperationContextFromArgs). */
interface ExecuteMessage { schema?: unknown; document?: unknown; operationName?: unknown; result?: unknown; error?: unknown }

interface Channel extends StoreBindable { subscribe?(fn: (message: unknown) => void): void; unsubscribe?(fn: (message: unknown) => void): boolean }
interface TracingChannel { start: Channel; end: Channel; asyncEnd: Channel; error: Channel }

export const EXECUTE_CHANNEL = 'graphql:execute';

const spans = new WeakMap<object, opentracing.Span>();
let unsubscribe: (() => void) | undefined;

/** True when this Node can give us graphql's tracing channels (process.getBuiltinModule, as graphql uses). */
export function channelsAvailable(): boolean {
  return typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === 'function';
}

/**
 * Listens to graphql:execute once per process (every graphql 17 copy publishes on the same named
 * channel). Returns false when the channel cannot be had: the caller wraps execute instead.
 */
export function subscribeExecute(ctx: PatchContext): boolean {
  if (unsubscribe !== undefined) return true;
  if (!channelsAvailable()) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dc = require('node:diagnostics_channel') as { tracingChannel?: (name: string) => TracingChannel };
  if (typeof dc.tracingChannel !== 'function') return false;
  const channel = dc.tracingChannel(EXECUTE_CHANNEL);
  // Runs as graphql (src/shim/guard.ts); once graphql's tracing is disabled, the caller's scope.
  const start = bindInstrumentation(startScope);
  const unbind = bindChannelStore(channel.start, (message: ExecuteMessage) => start(message, ctx) ?? activeScope());
  channel.end.subscribe?.(onEnd);
  channel.asyncEnd.subscribe?.(onAsyncEnd);
  unsubscribe = () => {
    unbind();
    channel.end.unsubscribe?.(onEnd);
    channel.asyncEnd.unsubscribe?.(onAsyncEnd);
  };
  return true;
}

/** Stops listening (the loader's uninstall): graphql 17 then runs as without us. */
export function unsubscribeExecute(): void {
  const undo = unsubscribe;
  unsubscribe = undefined;
  undo?.();
}

// Runs inside graphql's runStores, before execution: the scope returned is the execution's.
function startScope(message: ExecuteMessage, ctx: PatchContext): Scope | undefined {
  const current = activeScope();
  try {
    if (!shouldTrace() || message === null || typeof message !== 'object') return current;
    const span = startOperationSpan(message.schema, message.document, message.operationName, ctx);
    if (span === undefined) return current;
    spans.set(message, span);
    return { span };
  } catch {
    return current;
  }
}

// `end` comes right after the synchronous part: with a result or an error for a synchronous
// execution, with neither when a promise is pending (then asyncEnd follows, once it settled).
function onEnd(m: unknown): void {
  const message = m as ExecuteMessage;
  if (!('result' in message) && !('error' in message)) return;
  finish(message);
}

function onAsyncEnd(m: unknown): void {
  finish(m as ExecuteMessage);
}

function finish(message: ExecuteMessage): void {
  const span = spans.get(message);
  if (span === undefined) return;
  spans.delete(message);
  if ('error' in message) endOperation(span, undefined, message.error ?? new Error('execution failed'));
  else endOperation(span, message.result);
}
