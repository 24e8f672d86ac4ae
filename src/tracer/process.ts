import { hostname, networkInterfaces } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { ProcessInfo, Tag } from './finished-span';
import {
  JAEGER_CLIENT_VERSION, JAEGER_CLIENT_VERSION_TAG_KEY, TRACER_CLIENT_ID_TAG_KEY,
  TRACER_HOSTNAME_TAG_KEY, TRACER_IP_TAG_KEY,
} from './constants';

/** The first non-internal IPv4 address, or 127.0.0.1. */
export function localIPv4(): string {
  try {
    for (const addrs of Object.values(networkInterfaces())) {
      for (const a of addrs ?? []) {
        if (a.family === 'IPv4' && !a.internal) return a.address;
      }
    }
  } catch {
    // Some sandboxes forbid the syscall; the tag is informational.
  }
  return '127.0.0.1';
}

/**
 * The Process the reference clients send: jaeger.version, hostname, ip and a client-uuid that is
 * new for every tracer, then the user's tags (which may override the defaults, e.g. hostname).
 */
export function buildProcess(serviceName: string, extraTags: Readonly<Record<string, unknown>> = {}): ProcessInfo {
  const tags = new Map<string, unknown>([
    [JAEGER_CLIENT_VERSION_TAG_KEY, JAEGER_CLIENT_VERSION],
    [TRACER_HOSTNAME_TAG_KEY, hostname()],
    [TRACER_IP_TAG_KEY, localIPv4()],
    [TRACER_CLIENT_ID_TAG_KEY, randomUUID()],
  ]);
  for (const [key, value] of Object.entries(extraTags)) tags.set(key, value);
  const list: Tag[] = [];
  for (const [key, value] of tags) list.push(Object.freeze({ key, value }));
  return Object.freeze({ serviceName, tags: Object.freeze(list) });
}
