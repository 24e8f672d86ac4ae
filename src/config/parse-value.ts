import type { SchemaEntry } from './schema';

// Reads one raw value by its schema type. Raw values are strings from the environment or native
// values (numbers, booleans, objects, arrays) from a Config dict; both go through here.

/**
 * `value` undefined means "use the default"; `problem` (a phrase such as "is not a valid port")
 * means the caller warns once. Both set: the value is used, but part of the input was dropped.
 */
export interface ParseResult {
  value?: unknown;
  problem?: string;
}

export type EnvLookup = Readonly<Record<string, string | undefined>>;

const TRUE = new Set(['true', '1', 'yes']);
const FALSE = new Set(['false', '0', 'no']);
const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;
const INTEGER_RE = /^\+?\d+$/;

export function parseValue(entry: SchemaEntry, raw: unknown, env: EnvLookup = {}): ParseResult {
  switch (entry.type) {
    case 'string':
      if (typeof raw !== 'string') return { problem: 'is not a string' };
      if (entry.headerValue && /[\x00-\x20\x7f]/.test(raw.trim())) {
        return { problem: 'has spaces or control characters, which an HTTP header cannot carry' };
      }
      return { value: entry.secret && !entry.headerValue ? raw : raw.trim() };
    case 'boolean': {
      if (typeof raw === 'boolean') return { value: raw };
      const s = String(raw).trim().toLowerCase();
      if (TRUE.has(s)) return { value: true };
      if (FALSE.has(s)) return { value: false };
      return { problem: 'is not a boolean (true/false, 1/0, yes/no)' };
    }
    case 'number':
    case 'integer':
      return parseNumber(entry, raw);
    case 'port': {
      const n = toNumber(raw, INTEGER_RE);
      return n !== undefined && n >= 1 && n <= 65535 ? { value: n } : { problem: 'is not a valid port (1-65535)' };
    }
    case 'url':
      return typeof raw === 'string' && isHttpUrl(raw.trim())
        ? { value: raw.trim() }
        : { problem: 'is not an absolute http(s) URL' };
    case 'host-port':
      return typeof raw === 'string' && splitHostPort(raw.trim()) !== undefined
        ? { value: raw.trim() }
        : { problem: 'is not host:port with a port in 1-65535' };
    case 'enum': {
      const v = canonical(entry, raw);
      return v !== undefined ? { value: v } : { problem: `is not one of ${entry.values?.join(', ')}` };
    }
    case 'list':
      return parseList(entry, raw);
    case 'tags':
      return parseTags(raw, env);
    case 'paths':
      return parsePaths(raw);
  }
}

/** Comma-separated URL paths, each starting with '/'; a trailing '*' makes a prefix. */
function parsePaths(raw: unknown): ParseResult {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  if (items === undefined) return { problem: 'is not a comma-separated list of paths' };
  const good: string[] = [];
  const bad: string[] = [];
  for (const item of items) {
    const path = typeof item === 'string' ? item.trim() : '';
    if (path === '') continue;
    const star = path.indexOf('*');
    if (path.startsWith('/') && !/[\s?#]/.test(path) && (star === -1 || star === path.length - 1)) good.push(path);
    else bad.push(String(item).trim());
  }
  if (bad.length === 0) return { value: good };
  return {
    value: good.length > 0 ? good : undefined,
    problem: `has invalid path(s) ${bad.join(', ')}, ignored (expected /path or /prefix/*)`,
  };
}

function toNumber(raw: unknown, re: RegExp): number | undefined {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== 'string' || !re.test(raw.trim())) return undefined;
  return Number(raw.trim());
}

function parseNumber(entry: SchemaEntry, raw: unknown): ParseResult {
  const integer = entry.type === 'integer';
  const n = toNumber(raw, integer ? INTEGER_RE : NUMBER_RE);
  const min = entry.min ?? (integer ? 0 : -Infinity);
  const max = entry.max ?? Infinity;
  if (n === undefined || (integer && !Number.isInteger(n)) || n < min || n > max) {
    const range = max === Infinity ? (min === -Infinity ? '' : ` ≥ ${min}`) : ` in ${min}-${max}`;
    return { problem: `is not ${integer ? 'a whole number' : 'a number'}${range}` };
  }
  return { value: n };
}

function canonical(entry: SchemaEntry, raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  const s = raw.trim().toLowerCase();
  const v = entry.valueAliases?.[s] ?? s;
  return entry.values?.includes(v) ? v : undefined;
}

function parseList(entry: SchemaEntry, raw: unknown): ParseResult {
  const items = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  if (items === undefined) return { problem: 'is not a comma-separated list' };
  const good: string[] = [];
  const bad: string[] = [];
  for (const item of items) {
    if (typeof item === 'string' && item.trim() === '') continue;
    const v = canonical(entry, item);
    if (v === undefined) bad.push(String(item).trim());
    else if (!good.includes(v)) good.push(v);
  }
  const allowed = `(allowed: ${entry.values?.join(', ')})`;
  if (good.length === 0) return { problem: `has no known value ${allowed}` };
  if (bad.length > 0) return { value: good, problem: `has unknown value(s) ${bad.join(', ')}, ignored ${allowed}` };
  return { value: good };
}

/** `k=v,k2=${VAR:default}`; a native object (from a Config dict) is taken as it is. */
function parseTags(raw: unknown, env: EnvLookup): ParseResult {
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) return { value: { ...raw } };
  if (typeof raw !== 'string') return { problem: 'is not key=value pairs' };
  const tags: Record<string, string> = {};
  const bad: string[] = [];
  for (const part of raw.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq < 0 ? '' : part.slice(0, eq).trim();
    if (key === '') {
      bad.push(part.trim());
      continue;
    }
    tags[key] = expand(part.slice(eq + 1).trim(), env);
  }
  if (bad.length === 0) return { value: tags };
  return {
    value: Object.keys(tags).length > 0 ? tags : undefined,
    problem: `has malformed entr${bad.length > 1 ? 'ies' : 'y'} ${bad.map((b) => `"${b}"`).join(', ')}, `
      + 'skipped (expected key=value or key=${ENV_VAR:default})',
  };
}

/** `${VAR}` / `${VAR:default}`: VAR's value when set and non-empty, else the default (or ''). */
function expand(value: string, env: EnvLookup): string {
  const m = /^\$\{([^}:]+)(?::([^}]*))?\}$/.exec(value);
  if (m === null) return value;
  const fromEnv = env[m[1].trim()];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : (m[2] ?? '');
}

export function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** `host:port` or `[v6]:port`; undefined when malformed. */
export function splitHostPort(s: string): { host: string; port: number } | undefined {
  const m = /^(\[[^\]]+\]|[^:\s/]+):(\d{1,5})$/.exec(s);
  if (m === null) return undefined;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1], port } : undefined;
}

/** A value fit for a warning: secrets redacted, credentials in URLs masked. */
export function showValue(entry: SchemaEntry | undefined, raw: unknown): string {
  if (entry?.secret) return '<redacted>';
  let s: string;
  try {
    s = typeof raw === 'string' ? raw : JSON.stringify(raw) ?? String(raw);
  } catch {
    s = String(raw);
  }
  // userinfo before a host, with or without a scheme ('u:p@host', 'http://u:p@host'), and query
  // strings and fragments (tokens travel there): a warning only needs to show the shape.
  s = s.replace(/(^|\/\/|[\s,;=])[^/@\s,;=]*@/g, '$1<redacted>@').replace(/[?#][^\s,;]*/g, '?<redacted>');
  return JSON.stringify(s.length > 200 ? `${s.slice(0, 200)}…` : s);
}
