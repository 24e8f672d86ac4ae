// Outgoing calls of every kind (unary, client/server streaming, bidi): one client span per call,
// its context injected into a copy of the call's metadata, ended when the call's status arrives.
// Hooked at getInterceptingCall (build/src/client-interceptors.js), which every make*Request of
// Client calls once per call, through the module's exports, with the same four arguments from 1.8 to
// 1.14. Wrapping its result sits outside the whole interceptor chain: the app's own interceptors
// (client- or call-level, which replace each other) are left exactly as they were configured.
import type { JaegerSpan } from '../../src/tracer/span';
import { shouldTrace, startSpan } from '../../src/shim/span-helpers';
import { activeScope, runInScope, type Scope } from '../../src/context/scope-manager';
import { getTracer } from '../../src/tracer/global';
import { COMPONENT, PEER_HOSTNAME, PEER_PORT, SPAN_KIND, SPAN_KIND_RPC_CLIENT } from '../../src/tracer/tags';
import { COMPONENT_GRPC, FORMAT_HTTP_HEADERS, parseTarget, tagStatus, type HostPort } from './common';

type GetInterceptingCall = (args: unknown, method: MethodDefinition, options: unknown, channel: Channel) => InterceptingCall;
interface MethodDefinition { path?: unknown }
interface Channel { getTarget?: () => unknown }
interface Metadata { clone?: () => Metadata; set?: (key: string, value: string) => void }
type Listener = Record<string, unknown>;
interface InterceptingCall { start: (metadata: Metadata, listener?: Listener) => unknown }

// Channel target → host and port (null: not readable), parsed once per channel.
const peers = new WeakMap<object, HostPort | null>();

/** The traced replacement of client-interceptors' getInterceptingCall. */
export function wrapGetInterceptingCall(original: GetInterceptingCall): GetInterceptingCall {
  return function getInterceptingCall(this: unknown, args, method, options, channel) {
    const call = original.apply(this, arguments as any);
    if (!shouldTrace()) return call;
    try {
      traceCall(call, method, channel);
    } catch {
      // the call goes on untraced
    }
    return call;
  };
}

function traceCall(call: InterceptingCall, method: MethodDefinition, channel: Channel): void {
  if (call === null || typeof call !== 'object' || typeof call.start !== 'function') return;
  const path = method !== null && typeof method === 'object' && typeof method.path === 'string' ? method.path : undefined;
  if (path === undefined) return;
  const caller = activeScope();
  const span = startSpan(path);
  if (span === undefined) return;
  if (span.spanContext.isSampled) {
    span.setTag(SPAN_KIND, SPAN_KIND_RPC_CLIENT);
    span.setTag(COMPONENT, COMPONENT_GRPC);
    const peer = peerOf(channel);
    if (peer != null) {
      span.setTag(PEER_HOSTNAME, peer.host);
      if (peer.port !== undefined) span.setTag(PEER_PORT, peer.port);
    }
  }
  const start = call.start;
  // An own property over the prototype's start, on this call object only.
  Object.defineProperty(call, 'start', {
    configurable: true, enumerable: false, writable: true,
    value: function (this: unknown, metadata: Metadata, listener?: Listener) {
      let md = metadata;
      let ls = listener;
      try {
        md = withContext(metadata, span);
        ls = boundListener(listener, span, caller);
      } catch {
        // propagation or listener binding failed: the call goes on as the app made it
      }
      return start.call(this, md, ls);
    },
  });
}

// A copy of the caller's metadata with the span's context added: the caller's object may be reused
// for other calls and must not change.
function withContext(metadata: Metadata, span: JaegerSpan): Metadata {
  if (metadata === null || typeof metadata !== 'object' || typeof metadata.clone !== 'function') return metadata;
  const tracer = getTracer();
  if (tracer === undefined) return metadata;
  const carrier: Record<string, string> = {};
  tracer.inject(span, FORMAT_HTTP_HEADERS, carrier);
  const copy = metadata.clone();
  if (copy === null || typeof copy !== 'object' || typeof copy.set !== 'function') return metadata;
  for (const key of Object.keys(carrier)) {
    try {
      copy.set(key, carrier[key]);
    } catch {
      // a value grpc-js refuses (baggage it cannot carry): leave that one out
    }
  }
  return copy;
}

// The listener grpc-js's Client gave: every callback runs in the caller's scope (never the client
// span's, nor whatever context the http2 session carries); the status ends the span first.
function boundListener(listener: Listener | undefined, span: JaegerSpan, caller: Scope | undefined): Listener | undefined {
  if (listener === null || typeof listener !== 'object') return listener;
  const bound: Listener = Object.assign({}, listener);
  let open = true;
  for (const key of Object.keys(listener)) {
    const fn = listener[key];
    if (typeof fn !== 'function') continue;
    bound[key] = key === 'onReceiveStatus'
      ? function onReceiveStatus(this: unknown, status: unknown) {
        if (open) {
          open = false;
          end(span, status);
        }
        return runInScope(caller, () => fn.apply(listener, arguments));
      }
      : function (this: unknown) {
        const args = arguments;
        return runInScope(caller, () => fn.apply(listener, args));
      };
  }
  return bound;
}

function end(span: JaegerSpan, status: unknown): void {
  try {
    if (span.spanContext.isSampled) tagStatus(span, status);
    span.finish();
  } catch {
    // a span we could not finish is lost; the call goes on
  }
}

function peerOf(channel: Channel): HostPort | null {
  if (channel === null || typeof channel !== 'object') return null;
  let peer = peers.get(channel);
  if (peer === undefined) {
    try {
      peer = typeof channel.getTarget === 'function' ? parseTarget(channel.getTarget()) ?? null : null;
    } catch {
      peer = null;
    }
    peers.set(channel, peer);
  }
  return peer;
}
