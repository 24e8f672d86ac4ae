// What the client shim reads from request arguments: the method, whether an object is a URL, and
// the http.url tag value.
import { stripQuery } from './common';

// The methods Node's HTTP parser accepts (http.METHODS, spelled out: undici's shim loads this file
// at boot, before the app requires http): a server never sees others, a client may send any token.
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK', 'M-SEARCH', 'MERGE',
  'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST', 'PROPFIND', 'PROPPATCH',
  'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE', 'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK',
  'UNLOCK', 'UNSUBSCRIBE',
]);
/** Operation name of a request whose method is not a known one. */
export const OTHER_METHOD = 'HTTP';

/** The method Node will use: options.method upper-cased, GET when absent. */
export function methodOf(method: unknown): string {
  return typeof method === 'string' && method !== '' ? method.toUpperCase() : 'GET';
}

/**
 * The method as an operation name: a known method as is, any other token (an app may send
 * 'X-PURGE-1234') as 'HTTP', so that operation names stay a small set. http.method keeps the token.
 */
export function operationMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : OTHER_METHOD;
}

/** scheme://host:port/path, never the query or credentials. A proxy request's path is a whole URL. */
export function urlOf(protocol: string, host: string, port: number, rawPath: string): string {
  if (rawPath.charCodeAt(0) !== 47 /* '/' */) {
    try {
      const u = new URL(rawPath);
      return `${u.protocol}//${u.host}${u.pathname}`;
    } catch {
      // fall through: treat it as a path
    }
  }
  const h = host.includes(':') ? `[${host}]` : host;
  return `${protocol}//${h}:${port}${stripQuery(rawPath)}`;
}

// What some Node version would take for a URL rather than options (Node 18: href and origin;
// Node 20: href and protocol, with no auth or path). Headers cannot be added as a second argument
// to those without knowing which reading applies, so they are set on the request afterwards.
export function looksLikeUrl(o: Record<string, unknown>): boolean {
  if (!o.href) return false;
  return Boolean(o.origin) || (Boolean(o.protocol) && o.auth === undefined && o.path === undefined);
}
