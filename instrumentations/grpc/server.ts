// Incoming calls of every kind: one server span per call, a child of the context in the call's
// metadata, ended when the status is sent (or the client cancels). Hooked at
// Server.prototype.register, which addService calls once per method with the path and the app's
// handler from 1.8 to 1.14 (the call plumbing under it was rewritten for server interceptors in
// 1.10, grpc/grpc-node#2650): the handler is replaced by one that runs the app's inside the span's
// scope. A call that a server interceptor answers before the handler runs gets no span.
import net from 'node:net';
import type * as opentracing from 'opentracing';
import type { JaegerSpan } from '../../src/tracer/span';
import { setError, shouldTrace, startSpanWith } from '../../src/shim/span-helpers';
import { bindInstrumentation } from '../../src/shim/guard';
import { runInScope, type Scope } from '../../src/context/scope-manager';
import { getTracer } from '../../src/tracer/global';
import {
  COMPONENT, PEER_HOSTNAME, PEER_HOST_IPV4, PEER_HOST_IPV6, PEER_PORT, SPAN_KIND, SPAN_KIND_RPC_SERVER,
} from '../../src/tracer/tags';
import { bindEmit } from '../http/common';
import { COMPONENT_GRPC, FORMAT_HTTP_HEADERS, parseHostPort, tagStatus } from './common';

type Register = (name: unknown, handler: unknown, ...rest: unknown[]) => unknown;
type Handler = (call: ServerCall, callback?: unknown) => unknown;
interface Internal { sendStatus?: (status: unknown) => unknown }
interface ServerCall {
  emit: (...args: any[]) => boolean;
  metadata?: { getMap?: () => Record<string, unknown> };
  getPeer?: () => unknown;
  /** grpc-js's own call under the app-facing object (Http2ServerCallStream < 1.10, the interceptor chain after). */
  call?: Internal;
}

const CANCELLED = { code: 1, details: 'Cancelled by client' };

/** The traced replacement of Server.prototype.register. */
export function wrapRegister(original: Register): Register {
  return function register(this: unknown, name: unknown, handler: unknown) {
    if (typeof name !== 'string' || typeof handler !== 'function') return original.apply(this, arguments as any);
    let args: unknown[] = arguments as unknown as unknown[];
    try {
      args = Array.prototype.slice.call(arguments);
      args[1] = tracedHandler(handler as Handler, name);
    } catch {
      args = arguments as unknown as unknown[];
    }
    return original.apply(this, args as any);
  };
}

function tracedHandler(handler: Handler, path: string): Handler {
  const enter = bindInstrumentation(enterCall); // runs later, as grpc (src/shim/guard.ts)
  const traced = function (this: unknown, call: ServerCall) {
    if (!shouldTrace()) return handler.apply(this, arguments as any);
    let span: JaegerSpan | undefined;
    try {
      span = enter(call, path);
    } catch {
      span = undefined;
    }
    if (span === undefined) return handler.apply(this, arguments as any);
    const self = this;
    const args = arguments;
    const scope: Scope = { span };
    try {
      return runInScope(scope, () => handler.apply(self, args as any));
    } catch (err) {
      // grpc-js answers a throwing handler itself (UNKNOWN); the span also keeps what was thrown.
      try {
        setError(span, err);
      } catch {
        // nothing more to do
      }
      throw err;
    }
  };
  Object.defineProperty(traced, 'length', { value: handler.length, configurable: true });
  Object.defineProperty(traced, 'name', { value: handler.name, configurable: true });
  return traced as Handler;
}

/** The call's server span, with its ending hooked; undefined when the call cannot be traced. */
function enterCall(call: ServerCall, path: string): JaegerSpan | undefined {
  if (call === null || typeof call !== 'object' || typeof call.emit !== 'function') return undefined;
  const internal = call.call;
  if (internal === null || typeof internal !== 'object' || typeof internal.sendStatus !== 'function') return undefined;
  const tracer = getTracer();
  if (tracer === undefined) return undefined;
  let parent: opentracing.SpanContext | null = null;
  try {
    parent = tracer.extract(FORMAT_HTTP_HEADERS, carrierOf(call));
  } catch {
    parent = null; // malformed metadata: a new root
  }
  // Never a child of whatever the http2 session's context holds: the metadata alone decides.
  const span = startSpanWith(tracer, path, { childOf: parent ?? undefined, ignoreActiveSpan: true });
  if (span === undefined) return undefined;
  if (span.spanContext.isSampled) {
    span.setTag(SPAN_KIND, SPAN_KIND_RPC_SERVER);
    span.setTag(COMPONENT, COMPONENT_GRPC);
    tagPeer(span, call);
  }
  let open = true;
  const end = (status: unknown): void => {
    if (!open) return;
    open = false;
    try {
      if (span.spanContext.isSampled) tagStatus(span, status);
      span.finish();
    } catch {
      // a span we could not finish is lost; the call goes on
    }
  };
  // Every status the call sends passes here, grpc-js's own (errors, deadline, a throwing handler)
  // included: before 1.10 they are this.sendStatus calls on the object itself.
  const sendStatus = internal.sendStatus;
  Object.defineProperty(internal, 'sendStatus', {
    configurable: true, enumerable: false, writable: true,
    value: function (this: unknown, status: unknown) {
      end(status);
      return sendStatus.apply(this, arguments as any);
    },
  });
  // The app's listeners ('data', 'end', 'cancelled') run in the span's scope too; a cancellation by
  // the client may send no status at all, so it ends the span.
  const scope: Scope = { span };
  bindEmit(call, scope, (type) => {
    if (type === 'cancelled') end(CANCELLED);
  });
  return span;
}

// Only text values: binary (-bin) entries carry no trace context.
function carrierOf(call: ServerCall): Record<string, string> {
  const carrier: Record<string, string> = {};
  const md = call.metadata;
  if (md === null || typeof md !== 'object' || typeof md.getMap !== 'function') return carrier;
  const map = md.getMap();
  for (const key of Object.keys(map)) {
    const value = map[key];
    if (typeof value === 'string') carrier[key] = value;
  }
  return carrier;
}

function tagPeer(span: JaegerSpan, call: ServerCall): void {
  try {
    const peer = typeof call.getPeer === 'function' ? call.getPeer() : undefined;
    const hp = typeof peer === 'string' ? parseHostPort(peer.replace(/^ipv[46]:/, '')) : undefined;
    if (hp === undefined) return;
    const family = net.isIP(hp.host);
    span.setTag(family === 4 ? PEER_HOST_IPV4 : family === 6 ? PEER_HOST_IPV6 : PEER_HOSTNAME, hp.host);
    if (hp.port !== undefined) span.setTag(PEER_PORT, hp.port);
  } catch {
    // no peer tags
  }
}
