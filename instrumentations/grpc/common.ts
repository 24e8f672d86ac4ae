// What the grpc client and server shims share: tag names, the status names, marking a span with the
// call's final status, and reading host and port out of a channel target or a peer string.
import type { JaegerSpan } from '../../src/tracer/span';
import { ERROR } from '../../src/tracer/tags';

/** The `component` tag of every grpc span, client or server. */
export const COMPONENT_GRPC = 'grpc';
/** The call's final status code, a number (0 = OK). */
export const RPC_GRPC_STATUS_CODE = 'rpc.grpc.status_code';
/** opentracing.FORMAT_HTTP_HEADERS, spelled out so the preload does not load `opentracing`. */
export const FORMAT_HTTP_HEADERS = 'http_headers';

// The canonical gRPC status names, indexed by code (grpc/doc/statuscodes.md).
const STATUS_NAMES = [
  'OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED',
  'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED',
];

/** The status name of `code` ('NOT_FOUND'), or the number as text for codes outside the table. */
export function statusName(code: number): string {
  return STATUS_NAMES[code] ?? String(code);
}

/**
 * Tags the final status; a non-OK one also sets error=true and logs the status name and details
 * (never the trailing metadata).
 */
export function tagStatus(span: JaegerSpan, status: unknown): void {
  const s = status !== null && typeof status === 'object' ? status as { code?: unknown; details?: unknown } : {};
  const code = typeof s.code === 'number' && Number.isInteger(s.code) ? s.code : 2 /* UNKNOWN */;
  span.setTag(RPC_GRPC_STATUS_CODE, code);
  if (code === 0) return;
  span.setTag(ERROR, true);
  const fields: Record<string, unknown> = { event: 'error', 'error.kind': statusName(code) };
  if (typeof s.details === 'string' && s.details !== '') fields.message = s.details;
  span.log(fields);
}

export interface HostPort { readonly host: string; readonly port: number | undefined }

/**
 * Host and port of a channel target as grpc-js reports it ('dns:host:port', 'dns:///host:port',
 * 'ipv4:1.2.3.4:5,…', 'ipv6:[::1]:5', 'host:port', '[::1]:5'); undefined for unix sockets and
 * anything else it cannot read.
 */
export function parseTarget(target: unknown): HostPort | undefined {
  if (typeof target !== 'string' || target === '') return undefined;
  let rest = target;
  const scheme = /^(dns|ipv4|ipv6|unix|unix-abstract|vsock|xds):/.exec(rest);
  if (scheme !== null) {
    if (scheme[1] !== 'dns' && scheme[1] !== 'ipv4' && scheme[1] !== 'ipv6') return undefined;
    rest = rest.slice(scheme[0].length);
    if (rest.startsWith('//')) rest = rest.slice(rest.indexOf('/', 2) + 1); // the authority part
    rest = rest.split(',')[0];
  }
  return parseHostPort(rest);
}

/** 'host:port', '[v6]:port', 'host' → host and port. */
export function parseHostPort(text: string): HostPort | undefined {
  if (text === '') return undefined;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0) return undefined;
    const host = text.slice(1, close);
    return host === '' ? undefined : { host, port: portOf(text.slice(close + 2)) };
  }
  const colon = text.indexOf(':');
  if (colon < 0) return { host: text, port: undefined };
  if (text.indexOf(':', colon + 1) >= 0) return { host: text, port: undefined }; // bare IPv6
  const host = text.slice(0, colon);
  return host === '' ? undefined : { host, port: portOf(text.slice(colon + 1)) };
}

function portOf(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 && n < 65536 ? n : undefined;
}
