// Producer side: Channel#publish (sendToQueue calls it with the default exchange '') and
// ConfirmChannel#publish of both APIs. One producer span per message; its context goes into a copy
// of the message's headers. The span ends when publish returns, or for a ConfirmChannel given a
// callback, when the broker's ack/nack reaches that callback (a nack marks the span failed).
import type * as opentracing from 'opentracing';
import { setError, shouldTrace, startSpan } from '../../src/shim/span-helpers';
import { activeScope, bind } from '../../src/context/scope-manager';
import { SPAN_KIND_MESSAGING_PRODUCER } from '../../src/tracer/tags';
import { baseTags, injectHeaders, operationName } from './common';

type Fn = (...args: any[]) => any;

// Above zero while a traced publish runs: ConfirmChannel#publish calls Channel#publish, and
// sendToQueue calls publish; the inner call is the same message and gets no second span.
let depth = 0;

/** The traced replacement of `publish(exchange, routingKey, content, options[, cb])`. */
export function wrapPublish(original: Fn, confirm: boolean): Fn {
  return function publish(this: unknown) {
    if (depth > 0 || !shouldTrace()) return original.apply(this, arguments as any);
    let call: PublishCall | undefined;
    try {
      call = prepare(this, arguments, confirm);
    } catch {
      call = undefined;
    }
    if (call === undefined) return original.apply(this, arguments as any);
    let result: unknown;
    depth++;
    try {
      result = original.apply(this, call.args);
    } catch (err) {
      // e.g. IllegalOperationError on a closed channel: the same error reaches the app.
      end(call, err);
      throw err;
    } finally {
      depth--;
    }
    if (!call.onConfirm) end(call, undefined);
    return result;
  };
}

interface PublishCall {
  readonly span: opentracing.Span;
  readonly args: unknown[];
  /** The span ends in the confirm callback instead of on return. */
  readonly onConfirm: boolean;
  ended: boolean;
}

function end(call: PublishCall, err: unknown): void {
  if (call.ended) return;
  call.ended = true;
  try {
    if (err !== undefined && err !== null) setError(call.span, err);
    call.span.finish();
  } catch {
    // never the app's problem
  }
}

function prepare(channel: unknown, given: IArguments, confirm: boolean): PublishCall | undefined {
  const exchange: unknown = given[0];
  const routingKey: unknown = given[1];
  // amqplib rejects non-string names itself; leave such calls alone.
  if (typeof exchange !== 'string' || typeof routingKey !== 'string') return undefined;
  const options: unknown = given[3];
  if (options != null && typeof options !== 'object') return undefined;
  const headers: unknown = (options as { headers?: unknown } | null | undefined)?.headers;
  if (headers != null && typeof headers !== 'object') return undefined;

  // The name of a message's destination: the exchange, or for the default exchange ('', which
  // routes to the queue named by the routing key: sendToQueue) the routing key, i.e. the queue.
  const destination = exchange !== '' ? exchange : routingKey;
  const span = startSpan(operationName('publish', destination), baseTags(SPAN_KIND_MESSAGING_PRODUCER, destination, routingKey, channel));
  if (span === undefined) return undefined;

  // Never the caller's objects: a copy of their options holding a copy of their headers.
  const copy = Object.assign({}, options as object) as Record<string, unknown>;
  copy.headers = Object.assign({}, headers, injectHeaders(span));
  const args = Array.prototype.slice.call(given);
  while (args.length < 4) args.push(undefined);
  args[3] = copy;
  const call: PublishCall = { span, args, onConfirm: false, ended: false };

  const cb: unknown = given[4];
  if (confirm && typeof cb === 'function') {
    // The broker's answer comes on the socket: the app's callback runs in the caller's scope.
    const bound = bind(cb as Fn, activeScope());
    args[4] = function confirmed(this: unknown, err: unknown) {
      end(call, err);
      return bound.apply(this, arguments as any);
    };
    (call as { onConfirm: boolean }).onConfirm = true;
  }
  return call;
}
