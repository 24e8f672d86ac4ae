// Incoming requests: http.Server.prototype.emit and https.Server.prototype.emit (https.Server
// derives from tls.Server, not http.Server), intercepting 'request' and 'checkContinue'. One server
// span per request, ended exactly once when the response finishes or its connection closes.
import type * as opentracing from 'opentracing';
import type { PatchContext } from '../../src/loader/definition';
import type { JaegerSpan } from '../../src/tracer/span';
import { addSharedTags, sharedTags, shouldTrace, startSpanWith } from '../../src/shim/span-helpers';
import { getTracer } from '../../src/tracer/global';
import { applyInScope, type Scope } from '../../src/context/scope-manager';
import {
  COMPONENT, HTTP_METHOD, HTTP_ROUTE, HTTP_STATUS_CODE, HTTP_URL, PEER_HOST_IPV4, PEER_HOST_IPV6, PEER_PORT,
  SPAN_KIND, SPAN_KIND_RPC_SERVER,
} from '../../src/tracer/tags';
import type { Tag } from '../../src/tracer/finished-span';
import { COMPONENT_HTTP, FORMAT_HTTP_HEADERS, Stamp, bindEmitTo, bindingOf, listenersOf, markFailed, stripQuery, toPort, type EmitBinding } from './common';
import { isIgnoredPath } from './ignore-paths';
import { operationMethod } from './url';

/** Handlers of an ignored path run untraced: nothing they call becomes a span either. */
const IGNORED: Scope = Object.freeze({ untraced: true as const });
/** An incoming request's binding; its class tells it from the bindings of other emitters. */
class RequestBinding implements EmitBinding {
  constructor(readonly scope: Scope) {}
}

// By constructor, not instanceof: a class read from the module's scope is no constant to the
// optimiser, so instanceof is a call into V8's generic builtin, and frameworks ask per middleware.
function isRequestBinding(binding: EmitBinding | undefined): binding is RequestBinding {
  return binding !== undefined && binding.constructor === RequestBinding;
}
/** An ignored request's (and its response's) binding: shared, there is nothing per request in it. */
const IGNORED_BINDING: EmitBinding = Object.freeze(new RequestBinding(IGNORED));

/** The response's binding: runs its listeners in the request's scope and ends the span once. */
interface ResponseBinding extends EmitBinding {
  readonly scope: Scope;
  readonly span: JaegerSpan;
  readonly res: Res;
  open: boolean;
}

type Emitter = { emit: (...args: any[]) => boolean };
type Req = Emitter & {
  url?: unknown; method?: unknown; headers?: unknown;
  socket?: { remoteAddress?: string; remotePort?: number; remoteFamily?: string } | null;
};
type Res = Emitter & { statusCode?: unknown; headersSent?: boolean };

/**
 * The server span of an incoming request (`req` as given to a 'request' listener), or undefined
 * when the request is not traced. Framework instrumentations use it to name the route.
 */
export function serverSpanOf(req: unknown): JaegerSpan | undefined {
  if (req === null || typeof req !== 'object') return undefined;
  const binding = bindingOf(req);
  return isRequestBinding(binding) ? binding.scope.span as JaegerSpan | undefined : undefined;
}

/**
 * Names the request's server span after the route a framework matched: operation `GET /users/:id`
 * and tag http.route. Does nothing for untraced requests or an empty route; never throws.
 */
export function nameServerSpan(req: unknown, route: string): void {
  try {
    const span = serverSpanOf(req);
    if (span === undefined || typeof route !== 'string' || route === '') return;
    const method = (req as Req).method;
    span.setOperationName(typeof method === 'string' ? `${operationMethod(method)} ${route}` : route);
    span.setTag(HTTP_ROUTE, route);
  } catch {
    // naming is cosmetic: never let it break the app.
  }
}

/** Wraps `proto.emit` (a Server prototype) so request handlers run inside a server span. */
export function patchServer(proto: Emitter, ctx: PatchContext): void {
  ctx.wrap(proto, 'emit', (original) => function emit(this: unknown, type: unknown) {
    // The event type first: it is the cheaper test, and most server events are not requests.
    if (type !== 'request' && type !== 'checkContinue') return original.apply(this, arguments as any);
    if (!shouldTrace()) return original.apply(this, arguments as any);
    let scope: Scope | undefined;
    try {
      scope = enterRequest(arguments[1], arguments[2]);
    } catch {
      scope = undefined;
    }
    if (scope === undefined) return original.apply(this, arguments as any);
    return applyInScope(scope, original, this, arguments);
  });
}

/** The scope the request's handlers run in (a new server span, or untraced), or undefined. */
function enterRequest(req: Req, res: Res): Scope | undefined {
  if (req === null || typeof req !== 'object' || res === null || typeof res !== 'object') return undefined;
  // The same request emitted again (an app's 'checkContinue' handler emitting 'request'): same span.
  const known = bindingOf(req);
  if (isRequestBinding(known)) return known.scope;

  const url = typeof req.url === 'string' ? req.url : '/';
  const path = pathOf(url);
  if (isIgnoredPath(path)) {
    bindEmitTo(req, IGNORED_BINDING);
    bindEmitTo(res, IGNORED_BINDING);
    return IGNORED;
  }
  const tracer = getTracer();
  if (tracer === undefined) return undefined;
  let parent: opentracing.SpanContext | null = null;
  try {
    parent = tracer.extract(FORMAT_HTTP_HEADERS, req.headers);
  } catch {
    parent = null; // malformed headers: a new root
  }
  const method = typeof req.method === 'string' ? req.method : 'GET';
  // Never a child of whatever the socket's context holds: the headers alone decide the parent.
  const span = startSpanWith(tracer, operationMethod(method), { childOf: parent ?? undefined, ignoreActiveSpan: true });
  if (span === undefined) return undefined;
  if (span.spanContext.isSampled) {
    addSharedTags(span, SERVER_TAGS);
    span.setTag(HTTP_METHOD, method);
    span.setTag(HTTP_URL, url.charCodeAt(0) === 47 /* '/' */ ? path : absoluteUrl(url, path));
    tagPeer(span, req.socket);
  }
  const scope: Scope = { span };
  // The request's binding also records its scope (serverSpanOf, a repeated emit). The response's
  // 'finish' already has Node's own listener (resOnFinish): see quietType. The request's 'end' has
  // none yet (Node adds clearIncoming later, from resOnFinish), so it gets no quiet listeners.
  bindEmitTo(req, new RequestBinding(scope));
  const binding: ResponseBinding = {
    scope, span, res, open: true, observe: onResponseEvent, quietType: 'finish', quietListeners: listenersOf(res, 'finish'),
  };
  bindEmitTo(res, binding);
  return scope;
}

function onResponseEvent(this: EmitBinding, type: unknown): void {
  const binding = this as ResponseBinding;
  if (!binding.open || (type !== 'finish' && type !== 'close')) return;
  binding.open = false;
  try {
    endServerSpan(binding.span, binding.res, type === 'finish');
  } catch {
    // a span we could not finish is lost; the response goes on.
  }
}

function endServerSpan(span: JaegerSpan, res: Res, finished: boolean): void {
  const status = typeof res.statusCode === 'number' ? res.statusCode : undefined;
  if (status !== undefined && (finished || res.headersSent === true)) span.setTag(HTTP_STATUS_CODE, status);
  if (!finished) {
    markFailed(span, 'aborted', 'connection closed before the response finished');
  } else if (status !== undefined && status >= 500) {
    markFailed(span, 'http', `HTTP ${status}`);
  }
  span.finish();
}

// req.url is origin-form ('/a?b') except through proxies, which send absolute-form.
function pathOf(url: string): string {
  if (url.charCodeAt(0) === 47) return stripQuery(url);
  try {
    return new URL(url).pathname;
  } catch {
    return stripQuery(url);
  }
}

// An absolute-form target without credentials or query.
function absoluteUrl(url: string, path: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return path;
  }
}

/** What every server span says first. */
const SERVER_TAGS = sharedTags({ [SPAN_KIND]: SPAN_KIND_RPC_SERVER, [COMPONENT]: COMPONENT_HTTP });

/**
 * The peer tags of a connection, worked out on its first traced request and kept on the socket (a
 * private field, invisible to the app): a kept-alive connection carries many requests, and reading
 * and normalising its address each time cost ~0.5 µs per request (Node 24, bench:hotpath /plain).
 */
class PeerSlot extends Stamp {
  #tags: readonly Tag[] | undefined;

  static of(socket: object): readonly Tag[] {
    if (#tags in socket) {
      const tags = (socket as PeerSlot).#tags;
      if (tags !== undefined) return tags;
    }
    const tags = peerTags(socket as NonNullable<Req['socket']>);
    // Only an address known for good is kept: before connect or after close it reads as undefined.
    if (tags.length === 2) {
      try {
        if (!(#tags in socket)) new PeerSlot(socket);
        (socket as PeerSlot).#tags = tags;
      } catch {
        // a socket that takes no field: worked out per request instead
      }
    }
    return tags;
  }
}

function peerTags(socket: NonNullable<Req['socket']>): readonly Tag[] {
  const tags: Record<string, string | number> = {};
  let address = socket.remoteAddress;
  if (typeof address === 'string' && address !== '') {
    if (address.startsWith('::ffff:') && address.includes('.')) address = address.slice(7); // IPv4-mapped
    tags[address.includes(':') ? PEER_HOST_IPV6 : PEER_HOST_IPV4] = address;
  }
  const port = toPort(socket.remotePort);
  if (port !== undefined) tags[PEER_PORT] = port;
  return sharedTags(tags);
}

function tagPeer(span: JaegerSpan, socket: Req['socket']): void {
  if (socket == null || typeof socket !== 'object') return;
  addSharedTags(span, PeerSlot.of(socket));
}
