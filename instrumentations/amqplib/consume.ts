// Consumer side: consume() (both APIs) runs each delivered message's callback inside a consumer
// span that follows_from the publisher's context found in the message headers (a root when there is
// none); get() makes one span per call that follows_from the message it got. sendOrEnqueue, the
// funnel of every RPC of a channel, binds its reply callback to the caller's scope, so the app's
// callbacks (assertQueue, consume's ok, get…) do not run in the socket's context.
import { types } from 'node:util';
import type * as opentracing from 'opentracing';
import { setError, shouldTrace, startSpanWith } from '../../src/shim/span-helpers';
import { bindInstrumentation } from '../../src/shim/guard';
import { activate, activeScope, bind, type Scope } from '../../src/context/scope-manager';
import { getTracer } from '../../src/tracer/global';
import { SPAN_KIND_MESSAGING_CONSUMER } from '../../src/tracer/tags';
import { baseTags, extractContext, followsFrom, operationName } from './common';

type Fn = (...args: any[]) => any;

// The tracer's clock, required on first use: loading it calibrates against Date.now (a few ms),
// which the preload must not spend in apps that never call get().
let clock: typeof import('../../src/tracer/clock') | undefined;
function nowMillis(): number {
  clock ??= require('../../src/tracer/clock') as typeof import('../../src/tracer/clock');
  return clock.nowMicros() / 1000;
}

type Message = { fields?: { routingKey?: unknown } } | null | false | undefined;

/** consume(queue, callback, …): the callback is replaced by a traced one (per consume call). */
export function wrapConsume(original: Fn): Fn {
  return function consume(this: unknown, queue: unknown, callback: unknown) {
    if (typeof callback !== 'function' || !shouldTrace()) return original.apply(this, arguments as any);
    const args = Array.prototype.slice.call(arguments);
    args[1] = tracedConsumer(this, typeof queue === 'string' ? queue : '', callback as Fn);
    return original.apply(this, args);
  };
}

function tracedConsumer(channel: unknown, queue: string, callback: Fn): Fn {
  const startSpan = bindInstrumentation(messageSpan); // runs later, as amqplib (src/shim/guard.ts)
  return function consumer(this: unknown, message: Message) {
    // null: the server cancelled the consumer; it passes through untouched.
    if (message === null || typeof message !== 'object' || !shouldTrace()) return callback.apply(this, arguments as any);
    let span: opentracing.Span | undefined;
    try {
      span = startSpan(operationName('consume', queue), queue, message, channel, undefined, undefined);
    } catch {
      span = undefined;
    }
    if (span === undefined) return callback.apply(this, arguments as any);
    let result: unknown;
    try {
      result = activate(span, callback, this, ...(arguments as unknown as unknown[]));
    } catch (err) {
      fail(span, err);
      throw err;
    }
    if (types.isPromise(result)) {
      // amqplib drops what the callback returns, so nobody else holds this promise: rethrowing
      // keeps a rejection unhandled (and the process's reaction to it) exactly as without us.
      result.then(() => finish(span!, undefined), (err: unknown) => {
        fail(span!, err);
        throw err;
      });
    } else {
      finish(span, undefined);
    }
    return result;
  };
}

// Set by the promise API's get() for the one sendOrEnqueue call it makes synchronously: sees the
// BasicGet reply before amqplib settles the promise.
let getReplyObserver: ((err: unknown) => void) | undefined;

/**
 * Promise API get(queue, options): the span ends when the promise settles. A handler on amqplib's
 * promise would mark it handled, so an app that ignores a failed get() would no longer see its
 * unhandledRejection: failures are read from the BasicGet reply instead, and the promise is only
 * observed once the reply succeeded, after which amqplib never rejects it.
 */
export function wrapGetPromise(original: Fn): Fn {
  return function get(this: unknown, queue: unknown) {
    if (typeof queue !== 'string' || !shouldTrace()) return original.apply(this, arguments as any);
    const started = nowMillis();
    const caller = activeScope();
    const channel = this;
    const getDone = bindInstrumentation(spanGot);
    const state: { result?: unknown; ok?: boolean } = {};
    const observe = () => {
      const thenable = state.result as PromiseLike<unknown> | null;
      if (thenable !== null && typeof thenable === 'object' && typeof thenable.then === 'function') {
        thenable.then((m) => getDone(channel, queue, m as Message, undefined, started, caller),
          (err: unknown) => getDone(channel, queue, undefined, err ?? new Error('get failed'), started, caller));
      }
    };
    getReplyObserver = (err: unknown) => {
      if (err) {
        getDone(channel, queue, undefined, err, started, caller);
      } else if (state.result !== undefined) {
        observe();
      } else {
        state.ok = true; // replied before get() returned (not seen in practice)
      }
    };
    let result: unknown;
    try {
      result = original.apply(this, arguments as any);
    } finally {
      getReplyObserver = undefined;
    }
    try {
      state.result = result;
      if (state.ok === true) observe();
    } catch {
      // untraced
    }
    return result;
  };
}

/** Callback API get(queue, options, cb): the span ends when cb is called. */
export function wrapGetCallback(original: Fn): Fn {
  return function get(this: unknown, queue: unknown, options: unknown, cb: unknown) {
    if (typeof queue !== 'string' || typeof cb !== 'function' || !shouldTrace()) return original.apply(this, arguments as any);
    const started = nowMillis();
    const caller = activeScope();
    const bound = bind(cb as Fn, caller);
    const channel = this;
    const getDone = bindInstrumentation(spanGot);
    const args = Array.prototype.slice.call(arguments);
    args[2] = function got(this: unknown, err: unknown, message: Message) {
      getDone(channel, queue, message, err, started, caller);
      return bound.apply(this, arguments as any);
    };
    return original.apply(this, args);
  };
}

function spanGot(channel: unknown, queue: string, message: Message, err: unknown, started: number, caller: Scope | undefined): void {
  try {
    const span = messageSpan(operationName('get', queue), queue, message, channel, caller?.span ?? null, started);
    if (span !== undefined) finish(span, err);
  } catch {
    // never the app's problem
  }
}

/**
 * A consumer span for `message` (false or undefined when get found none): follows_from the
 * context in its headers; child of `parent` when given (get), else no parent but that reference.
 */
function messageSpan(
  operation: string, queue: string, message: Message, channel: unknown,
  parent: opentracing.Span | null | undefined, startTime: number | undefined,
): opentracing.Span | undefined {
  const tracer = getTracer();
  if (tracer === undefined) return undefined;
  const context = message ? extractContext(message) : null;
  const routingKey = message ? message.fields?.routingKey : undefined;
  return startSpanWith(tracer, operation, {
    childOf: parent ?? undefined,
    references: context === null ? undefined : [followsFrom(context)],
    ignoreActiveSpan: true,
    startTime,
    tags: baseTags(SPAN_KIND_MESSAGING_CONSUMER, queue, routingKey, channel),
  });
}

/** Ends a span whose callback threw or rejected: failed even when what was thrown is falsy. */
function fail(span: opentracing.Span, err: unknown): void {
  try {
    setError(span, err);
  } catch {
    // never the app's problem
  }
  finish(span, undefined);
}

function finish(span: opentracing.Span, err: unknown): void {
  try {
    if (err !== undefined && err !== null) setError(span, err);
    span.finish();
  } catch {
    // never the app's problem
  }
}

/** sendOrEnqueue(method, fields, reply): reply runs in the caller's scope. */
export function wrapSendOrEnqueue(original: Fn): Fn {
  return function sendOrEnqueue(this: unknown, method: unknown, fields: unknown, reply: unknown) {
    if (typeof reply !== 'function' || !shouldTrace()) return original.apply(this, arguments as any);
    const observe = getReplyObserver;
    getReplyObserver = undefined;
    const args = Array.prototype.slice.call(arguments);
    const bound = bind(reply as Fn);
    args[2] = observe === undefined ? bound : function replied(this: unknown, err: unknown) {
      try {
        observe(err);
      } catch {
        // the reply reaches amqplib regardless
      }
      return bound.apply(this, arguments as any);
    };
    return original.apply(this, args);
  };
}
