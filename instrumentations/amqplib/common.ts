// What the amqplib publish and consume shims share: tag names, operation names, the peer of a
// connection, and carrying a span context in a message's headers.
import type * as opentracing from 'opentracing';
import { getTracer } from '../../src/tracer/global';
import { COMPONENT, MESSAGE_BUS_DESTINATION, PEER_HOSTNAME, PEER_PORT, SPAN_KIND } from '../../src/tracer/tags';

export const COMPONENT_AMQPLIB = 'amqplib';
/** The routing key a message was published with (not in the OpenTracing conventions). */
export const MESSAGE_BUS_ROUTING_KEY = 'message_bus.routing_key';
/** opentracing.FORMAT_TEXT_MAP and REFERENCE_FOLLOWS_FROM, spelled out so the preload does not load `opentracing`. */
const FORMAT_TEXT_MAP = 'text_map';
const REFERENCE_FOLLOWS_FROM = 'follows_from';

/** Set on a Connection by the wrapped lib/connect.js: the host and port dialled (never the URL). */
export const PEER = Symbol('jaeger-auto:amqplib-peer');

export interface Peer { readonly hostname: string; readonly port: number }

/** The host and port `connect(url)` dials, read the way amqplib reads them; undefined if unclear. */
export function peerOf(url: unknown): Peer | undefined {
  if (typeof url === 'string') {
    const u = new URL(url);
    const hostname = u.hostname.replace(/^\[|\]$/g, '') || 'localhost';
    return { hostname, port: u.port !== '' ? Number(u.port) : defaultPort(u.protocol) };
  }
  if (url !== null && typeof url === 'object') {
    const o = url as { hostname?: unknown; port?: unknown; protocol?: unknown };
    const hostname = typeof o.hostname === 'string' && o.hostname !== '' ? o.hostname : 'localhost';
    const port = Number(o.port) > 0 ? Number(o.port) : defaultPort(o.protocol);
    return { hostname, port };
  }
  return undefined;
}

function defaultPort(protocol: unknown): number {
  return protocol === 'amqps:' || protocol === 'amqps' ? 5671 : 5672;
}

/** The peer of a channel's connection, when we saw it being opened. */
export function channelPeer(channel: unknown): Peer | undefined {
  const connection = (channel as { connection?: { [PEER]?: Peer } } | null)?.connection;
  return connection == null ? undefined : connection[PEER];
}

/**
 * `<verb> <name>`. Server-named queues (`amq.gen-…`, e.g. RPC reply queues) are new for each
 * client, so they collapse to `amq.gen-*`: operation names stay low-cardinality.
 */
export function operationName(verb: string, name: string): string {
  if (name === '') return verb;
  return `${verb} ${name.startsWith('amq.gen-') ? 'amq.gen-*' : name}`;
}

/** The tags of every amqplib span. */
export function baseTags(kind: string, destination: string, routingKey: unknown, channel: unknown): Record<string, unknown> {
  const tags: Record<string, unknown> = { [SPAN_KIND]: kind, [COMPONENT]: COMPONENT_AMQPLIB, [MESSAGE_BUS_DESTINATION]: destination };
  if (typeof routingKey === 'string' && routingKey !== '') tags[MESSAGE_BUS_ROUTING_KEY] = routingKey;
  const peer = channelPeer(channel);
  if (peer !== undefined) {
    tags[PEER_HOSTNAME] = peer.hostname;
    tags[PEER_PORT] = peer.port;
  }
  return tags;
}

/** The span's context as header entries (uber-trace-id, traceparent, baggage…). */
export function injectHeaders(span: opentracing.Span): Record<string, string> {
  const carrier: Record<string, string> = {};
  getTracer()?.inject(span, FORMAT_TEXT_MAP, carrier);
  return carrier;
}

/**
 * The publisher's span context from a delivered message's headers, or null when absent or
 * malformed. Only string values are read: AMQP tables carry any type, and the codecs want strings.
 */
export function extractContext(message: unknown): opentracing.SpanContext | null {
  const headers = (message as { properties?: { headers?: unknown } } | null)?.properties?.headers;
  if (headers === null || typeof headers !== 'object') return null;
  const carrier: Record<string, string> = {};
  let any = false;
  for (const key of Object.keys(headers)) {
    const value = (headers as Record<string, unknown>)[key];
    if (typeof value === 'string') {
      carrier[key] = value;
      any = true;
    } else if (Buffer.isBuffer(value)) {
      carrier[key] = value.toString('utf8');
      any = true;
    }
  }
  if (!any) return null;
  return getTracer()?.extract(FORMAT_TEXT_MAP, carrier) ?? null;
}

/** A follows_from reference in the shape the tracer reads (no `opentracing` import at preload). */
export function followsFrom(context: opentracing.SpanContext): opentracing.Reference {
  return { type: () => REFERENCE_FOLLOWS_FROM, referencedContext: () => context } as unknown as opentracing.Reference;
}
