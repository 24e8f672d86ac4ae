// Outgoing requests: http.request, http.get, https.request, https.get in every call form. One
// client span per call, its context injected into the request's headers before Node sees them
// (http.get and raw-array headers send them at once), ended once by the response's end or the
// request's failure. Listeners run in the caller's context, not the client span's.
import type { JaegerSpan } from '../../src/tracer/span';
import { addSharedTags, setError, sharedTags, shouldTrace, startSpan } from '../../src/shim/span-helpers';
import { activeScope, type Scope } from '../../src/context/scope-manager';
import { getTracer } from '../../src/tracer/global';
import {
  COMPONENT, HTTP_METHOD, HTTP_STATUS_CODE, HTTP_URL, PEER_HOSTNAME, PEER_PORT, SPAN_KIND, SPAN_KIND_RPC_CLIENT,
} from '../../src/tracer/tags';
import { COMPONENT_HTTP, FORMAT_HTTP_HEADERS, bindEmitTo, markFailed, toPort, type EmitBinding } from './common';
import { mergeHeaders, NOT_MERGED, type Carrier } from './headers';
import { looksLikeUrl, methodOf, operationMethod, urlOf } from './url';

type RequestFn = (...args: any[]) => any;
type Options = Record<string, unknown>;

const URL_FORM = 0; // (url string | URL, options?, cb?)
const OPTIONS_FORM = 1; // (options, cb?)
const OPAQUE_FORM = 2; // (URL-like object, ...): Node's own test for it differs between versions

interface ClientCall {
  readonly span: JaegerSpan;
  readonly caller: Scope | undefined;
  readonly form: number;
  readonly args: unknown[];
  /** Options as Node will read them (the caller's, or our copy with headers). */
  readonly options: Options | undefined;
  /** Headers still to set on the request: they could not go into the arguments. */
  readonly lateCarrier: Carrier | undefined;
  readonly defaultProtocol: string;
}

// Above zero while an original request/get runs: a nested call is the same request (http.get
// calling the exported request in some Node version), or Node's own, and gets no second span.
let depth = 0;

/** The traced replacement of `request` or `get` of http ('http:') or https ('https:'). */
export function wrapClient(original: RequestFn, defaultProtocol: string): RequestFn {
  return function request(this: unknown) {
    if (!shouldTrace() || depth > 0) return original.apply(this, arguments as any);
    let call: ClientCall | undefined;
    try {
      call = prepare(arguments, defaultProtocol);
    } catch {
      call = undefined;
    }
    if (call === undefined) return original.apply(this, arguments as any);
    let req: unknown;
    depth++;
    try {
      req = original.apply(this, call.args);
    } catch (err) {
      // Node refused the arguments: the app gets the very same error, the span records it.
      try {
        setError(call.span, err);
        call.span.finish();
      } catch {
        // nothing more to do
      }
      throw err;
    } finally {
      depth--;
    }
    try {
      observe(req as Req, call);
    } catch {
      // the request goes on untraced
    }
    return req;
  };
}

function prepare(args: IArguments, defaultProtocol: string): ClientCall | undefined {
  const a0: unknown = args[0];
  let form: number;
  if (typeof a0 === 'string' || a0 instanceof URL) form = URL_FORM;
  else if (a0 !== null && typeof a0 === 'object') form = looksLikeUrl(a0 as Options) ? OPAQUE_FORM : OPTIONS_FORM;
  else return undefined;
  const given: unknown = form === URL_FORM ? (typeof args[1] === 'function' ? undefined : args[1]) : a0;
  if (given != null && typeof given !== 'object') return undefined; // Node's own error, untouched
  const options = given as Options | undefined;

  const tracer = getTracer();
  const caller = activeScope();
  const span = startSpan(operationMethod(methodOf(options?.method)));
  if (tracer === undefined || span === undefined) return undefined;
  const carrier: Carrier = {};
  tracer.inject(span, FORMAT_HTTP_HEADERS, carrier);

  const merged = form === OPAQUE_FORM ? NOT_MERGED : mergeHeaders(options?.headers, carrier);
  if (merged === NOT_MERGED) {
    return { span, caller, form, args: Array.prototype.slice.call(args), options, lateCarrier: carrier, defaultProtocol };
  }
  // Never the caller's objects: a copy of their options with a copy of their headers. Not spread:
  // in Node 20 a spread copy that then gets `headers` took V8's slow clone path (~6k instructions
  // against ~2k, callgrind).
  const copy: Options = Object.assign({}, options);
  copy.headers = merged;
  let callArgs: unknown[];
  if (form === OPTIONS_FORM) {
    callArgs = Array.prototype.slice.call(args);
    callArgs[0] = copy;
  } else if (typeof args[1] === 'function') {
    callArgs = [a0, copy, args[1]];
  } else {
    callArgs = Array.prototype.slice.call(args);
    callArgs[1] = copy;
  }
  return { span, caller, form, args: callArgs, options: copy, lateCarrier: undefined, defaultProtocol };
}

type Req = {
  emit: (...args: any[]) => boolean;
  method?: unknown; protocol?: unknown; host?: unknown; path?: unknown;
  agent?: { defaultPort?: unknown } | null | false;
  headersSent?: boolean;
  setHeader?: (name: string, value: string) => unknown;
};
type Res = { emit: (...args: any[]) => boolean; statusCode?: unknown; complete?: boolean };

// One record per call serves as the emit binding of the request and then of its response: the
// listeners run in the caller's scope, the shared observers below end the span once.
interface CallBinding extends EmitBinding {
  readonly scope: Scope | undefined;
  readonly span: JaegerSpan;
  open: boolean;
  timedOut: boolean;
  response: Res | undefined;
}

function observe(req: Req, call: ClientCall): void {
  if (req === null || typeof req !== 'object') return;
  const span = call.span;
  if (call.lateCarrier !== undefined) injectLate(req, call.lateCarrier);
  if (span.spanContext.isSampled) tagRequest(span, req, call);
  const binding: CallBinding = { scope: call.caller, span, open: true, timedOut: false, response: undefined, observe: onRequestEvent };
  bindEmitTo(req, binding);
}

function abort(b: CallBinding): void {
  b.open = false;
  if (b.timedOut) markFailed(b.span, 'timeout', 'request timed out and was aborted');
  else markFailed(b.span, 'aborted', 'request aborted before the response completed');
  b.span.finish();
}

function responseEvent(b: CallBinding, type: unknown, arg: unknown): void {
  if (!b.open) return;
  if (type === 'end') {
    b.open = false;
    b.span.finish();
  } else if (type === 'error') {
    b.open = false;
    setError(b.span, arg);
    b.span.finish();
  } else if (type === 'aborted' || (type === 'close' && b.response?.complete !== true)) {
    abort(b);
  } else if (type === 'close') {
    b.open = false;
    b.span.finish();
  }
}

// The response's observer: a separate binding object (the request's stays bound to the request).
function onResponseEvent(this: EmitBinding, type: unknown, arg: unknown): void {
  try {
    responseEvent((this as ResponseBinding).call, type, arg);
  } catch {
    // keep the app's events flowing
  }
}

interface ResponseBinding extends EmitBinding {
  readonly call: CallBinding;
}

function onRequestEvent(this: EmitBinding, type: unknown, arg: unknown): void {
  const b = this as CallBinding;
  if (!b.open) return;
  try {
    if (type === 'response') {
      if (arg === null || typeof arg !== 'object') return;
      const response = arg as Res;
      b.response = response;
      const status = response.statusCode;
      if (typeof status === 'number') {
        b.span.setTag(HTTP_STATUS_CODE, status);
        if (status >= 500) markFailed(b.span, 'http', `HTTP ${status}`);
      }
      const rb: ResponseBinding = { scope: b.scope, call: b, observe: onResponseEvent };
      bindEmitTo(response, rb);
    } else if (type === 'timeout') {
      b.timedOut = true;
      b.span.log({ event: 'timeout' });
    } else if (type === 'error') {
      b.open = false;
      setError(b.span, arg);
      b.span.finish();
    } else if (type === 'close') {
      // After a complete response the body may still be unread: the exchange itself is done.
      if (b.response?.complete === true) responseEvent(b, 'close', undefined);
      else abort(b);
    }
  } catch {
    // keep the app's events flowing
  }
}

function tagRequest(span: JaegerSpan, req: Req, call: ClientCall): void {
  const protocol = typeof req.protocol === 'string' ? req.protocol : call.defaultProtocol;
  const host = typeof req.host === 'string' && req.host !== '' ? req.host : 'localhost';
  const agent = req.agent;
  const port = explicitPort(call)
    ?? toPort(call.options?.defaultPort)
    ?? (agent ? toPort(agent.defaultPort) : undefined)
    ?? (protocol === 'https:' ? 443 : 80);
  const rawPath = typeof req.path === 'string' ? req.path : '/';
  addSharedTags(span, CLIENT_TAGS);
  span.setTag(HTTP_METHOD, typeof req.method === 'string' ? req.method : methodOf(call.options?.method));
  span.setTag(HTTP_URL, urlOf(protocol, host, port, rawPath));
  span.setTag(PEER_HOSTNAME, host);
  span.setTag(PEER_PORT, port);
}

// The port the caller asked for, as Node resolves it: options.port over the URL's.
function explicitPort(call: ClientCall): number | undefined {
  const options = call.options;
  if (call.form === OPTIONS_FORM) return toPort(options?.port);
  if (options != null && Object.prototype.hasOwnProperty.call(options, 'port')) return toPort(options.port);
  const a0 = call.args[0];
  if (a0 instanceof URL) return toPort(a0.port);
  if (typeof a0 === 'string') {
    try {
      return toPort(new URL(a0).port);
    } catch {
      return undefined;
    }
  }
  return a0 !== null && typeof a0 === 'object' ? toPort((a0 as Options).port) : undefined;
}

// Only when the headers could not go into the arguments; too late once Node has sent them.
function injectLate(req: Req, carrier: Carrier): void {
  if (req.headersSent === true || typeof req.setHeader !== 'function') return;
  try {
    for (const key of Object.keys(carrier)) req.setHeader(key, carrier[key]);
  } catch {
    // ERR_HTTP_HEADERS_SENT or a hostile request object: no propagation, the request goes on.
  }
}

/** What every client span says first. */
const CLIENT_TAGS = sharedTags({ [SPAN_KIND]: SPAN_KIND_RPC_CLIENT, [COMPONENT]: COMPONENT_HTTP });
