// Instrumentation of undici 5–7 (https://github.com/nodejs/undici) and of Node's global fetch, which
// is Node's own bundled copy of undici. Nothing is patched: every undici copy publishes each request
// it dispatches on the process-wide diagnostics channels below, so one subscription, made when the
// loader starts (global fetch is never require()d), sees them all, and each dispatched request is
// seen exactly once whatever API made it (fetch, request, stream, Client, Pool, Agent).
//   undici:request:create    in the caller's context: client span started, headers injected
//   undici:request:headers   response status (5xx marks the span failed)
//   undici:request:trailers  the whole response received: span finished
//   undici:request:error     connection refused, reset, aborted, timeout: span failed and finished
// The span ends when undici has the whole body, not when the app has read it: a small body arrives
// (and ends the span) unread. A body too large for undici's buffers that the app neither reads nor
// cancels leaves its span open, hence unreported: the exchange is not over for undici either (the
// connection stays busy). The only patches are for redirects and retries undici makes itself
// (undici/handlers.ts).
import { channel as dcChannel, type Channel } from 'node:diagnostics_channel';
import { defineInstrumentation, type InstrumentationDefinition } from '../src/loader/definition';
import { setError, shouldTrace, startSpan } from '../src/shim/span-helpers';
import { bindInstrumentation } from '../src/shim/guard';
import { getTracer } from '../src/tracer/global';
import type { JaegerSpan } from '../src/tracer/span';
import {
  COMPONENT, HTTP_METHOD, HTTP_STATUS_CODE, HTTP_URL, PEER_HOSTNAME, PEER_PORT, SPAN_KIND, SPAN_KIND_RPC_CLIENT,
} from '../src/tracer/tags';
import { FORMAT_HTTP_HEADERS, markFailed, toPort } from './http/common';
import type { Carrier } from './http/headers';
import { methodOf, urlOf } from './http/url';
import { HANDLER_FILES, patchHandlerClass } from './undici/handlers';

/** The `component` tag of every undici and global fetch span. */
export const COMPONENT_UNDICI = 'undici';

export const CHANNEL_CREATE = 'undici:request:create';
export const CHANNEL_HEADERS = 'undici:request:headers';
export const CHANNEL_TRAILERS = 'undici:request:trailers';
export const CHANNEL_ERROR = 'undici:request:error';

/** What we read from undici's Request (the same fields in 5, 6 and 7). */
interface UndiciRequest {
  origin?: unknown; // 'http://host:port' (a URL in some call paths)
  method?: unknown;
  path?: unknown; // with its query string: never tagged as is
  upgrade?: unknown;
  headers?: unknown; // undici 5: 'name: value\r\n…'; 6 and 7: ['name', 'value', …]
  addHeader?: (name: string, value: string) => unknown;
}

interface Message {
  request?: UndiciRequest;
  response?: { statusCode?: unknown };
  error?: unknown;
}

// Request → its open span. A request that is never finished (body left unread) is collected with it.
const open = new WeakMap<object, JaegerSpan>();

function onCreate(message: unknown): void {
  if (!shouldTrace()) return;
  try {
    const request = (message as Message | null)?.request;
    if (request === null || typeof request !== 'object' || open.has(request)) return;
    // CONNECT (a proxy tunnel, which the real request then goes through) and protocol upgrades
    // (WebSocket) are not HTTP exchanges that complete: no span.
    if (request.upgrade || request.method === 'CONNECT') return;
    const tracer = getTracer();
    const span = startSpan(methodOf(request.method));
    if (tracer === undefined || span === undefined) return;
    open.set(request, span);
    if (span.spanContext.isSampled) tagRequest(span, request);
    const carrier: Carrier = {};
    tracer.inject(span, FORMAT_HTTP_HEADERS, carrier);
    injectHeaders(request, carrier);
  } catch {
    // the request goes on untraced (or traced without propagation)
  }
}

function onHeaders(message: unknown): void {
  try {
    const m = message as Message | null;
    const span = m?.request ? open.get(m.request) : undefined;
    if (span === undefined) return;
    const status = m?.response?.statusCode;
    if (typeof status !== 'number' || status < 200) return; // informational: the real one follows
    span.setTag(HTTP_STATUS_CODE, status);
    if (status >= 500) markFailed(span, 'http', `HTTP ${status}`);
  } catch {
    // never disturb undici
  }
}

function onTrailers(message: unknown): void {
  try {
    const request = (message as Message | null)?.request;
    const span = request ? open.get(request) : undefined;
    if (span === undefined) return;
    open.delete(request as object);
    span.finish();
  } catch {
    // never disturb undici
  }
}

function onError(message: unknown): void {
  try {
    const m = message as Message | null;
    const request = m?.request;
    const span = request ? open.get(request) : undefined;
    if (span === undefined) return; // also a second error for the same request (undici 5 publishes one per call)
    open.delete(request as object);
    setError(span, m?.error);
    span.finish();
  } catch {
    // never disturb undici
  }
}

function tagRequest(span: JaegerSpan, request: UndiciRequest): void {
  span.setTag(SPAN_KIND, SPAN_KIND_RPC_CLIENT);
  span.setTag(COMPONENT, COMPONENT_UNDICI);
  span.setTag(HTTP_METHOD, methodOf(request.method));
  let origin: URL;
  try {
    origin = new URL(String(request.origin));
  } catch {
    return;
  }
  const protocol = origin.protocol;
  // URL keeps the brackets of an IPv6 host; the http client tags it bare and urlOf adds them back.
  const host = origin.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = toPort(origin.port) ?? (protocol === 'https:' ? 443 : 80);
  // urlOf drops the query and fragment; origin never carries credentials (undici refuses them).
  span.setTag(HTTP_URL, urlOf(protocol, host, port, typeof request.path === 'string' ? request.path : '/'));
  span.setTag(PEER_HOSTNAME, host);
  span.setTag(PEER_PORT, port);
}

/**
 * Our propagation headers on the request before undici writes it. A header of the same name the
 * caller set (a proxy forwarding its incoming request's headers) is replaced: the new client span
 * is the parent downstream.
 */
function injectHeaders(request: UndiciRequest, carrier: Carrier): void {
  const names = Object.keys(carrier);
  if (names.length === 0 || typeof request.addHeader !== 'function') return;
  const own = (name: unknown) => typeof name === 'string' && Object.prototype.hasOwnProperty.call(carrier, name.toLowerCase());
  const headers = request.headers;
  if (Array.isArray(headers)) {
    for (let i = headers.length - 2; i >= 0; i -= 2) if (own(headers[i])) headers.splice(i, 2);
  } else if (typeof headers === 'string' && headers !== '') {
    const kept = headers.split('\r\n').filter((line) => line !== '' && !own(line.slice(0, line.indexOf(':'))));
    request.headers = kept.length === 0 ? '' : `${kept.join('\r\n')}\r\n`;
  }
  for (const name of names) request.addHeader(name, carrier[name]);
}

const SUBSCRIBERS: ReadonlyArray<readonly [string, (message: unknown) => void]> = [
  [CHANNEL_CREATE, onCreate],
  [CHANNEL_HEADERS, onHeaders],
  [CHANNEL_TRAILERS, onTrailers],
  [CHANNEL_ERROR, onError],
];

// Held for the process's life: before Node 18.19/20, a channel nobody references could be collected
// with its subscribers.
const channels: Channel[] = [];

/** Subscribes to undici's request channels; returns the unsubscribe. */
export function subscribe(): () => void {
  const done: Array<[Channel, (message: unknown, name: string | symbol) => void]> = [];
  for (const [name, fn] of SUBSCRIBERS) {
    const channel = dcChannel(name);
    channels.push(channel);
    // Run as undici: a fault in our span code disables undici's tracing (src/shim/guard.ts).
    const bound = bindInstrumentation(fn) as typeof fn;
    channel.subscribe(bound);
    done.push([channel, bound]);
  }
  return () => {
    for (const [channel, fn] of done) {
      channel.unsubscribe(fn);
      const i = channels.indexOf(channel);
      if (i !== -1) channels.splice(i, 1);
    }
  };
}

const VERSIONS = '>=5 <8';

const definitions: InstrumentationDefinition[] = [
  defineInstrumentation<unknown>({
    name: 'undici',
    versions: VERSIONS,
    // Nothing to patch at the top: userland undici's requests reach the channels subscribed at boot.
    patch() {},
    atBoot: subscribe,
  }),
  // Only so that redirects and retries undici makes itself are parented right (undici/handlers.ts).
  ...HANDLER_FILES.map(({ file, methods }) => defineInstrumentation<unknown>({
    name: 'undici', versions: VERSIONS, file, patch: patchHandlerClass(methods),
  })),
];

export default definitions;
