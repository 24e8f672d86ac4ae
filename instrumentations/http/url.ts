// What the client shim reads from request arguments: the method, whether an object is a URL, and
// the http.url tag value.
import { stripQuery } from './common';

/** The method Node will use: options.method upper-cased, GET when absent. */
export function methodOf(method: unknown): string {
  return typeof method === 'string' && method !== '' ? method.toUpperCase() : 'GET';
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
