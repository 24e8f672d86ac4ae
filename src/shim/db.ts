import type * as opentracing from 'opentracing';
import { parseEnv } from '../config/from-env';
import { ERROR } from '../tracer/tags';

// What every database shim needs: the privacy settings, SQL operation names and statements, and
// redacted redis commands. Pure string work, cheap enough for every query.

export interface DbSettings {
  /** JAEGER_DB_CAPTURE_PARAMS: record parameter values (off by default). */
  readonly captureParams: boolean;
  /** JAEGER_DB_SANITIZE: replace inline literals in SQL text by '?' (on by default). */
  readonly sanitize: boolean;
  /** JAEGER_DB_STATEMENT_MAX_LENGTH: longest db.statement, in characters. */
  readonly maxStatementLength: number;
}

let settings: DbSettings | undefined;

/** The database settings, read once from the environment (warnings were printed by the tracer). */
export function dbSettings(): DbSettings {
  if (settings === undefined) {
    const c = parseEnv(process.env, () => {});
    settings = Object.freeze({
      captureParams: c.dbCaptureParams, sanitize: c.dbSanitize, maxStatementLength: c.dbStatementMaxLength,
    });
  }
  return settings;
}

/** Overrides the settings (tests, or code that configures the tracer itself); undefined re-reads env. */
export function setDbSettings(next: Partial<DbSettings> | undefined): void {
  settings = next === undefined ? undefined : Object.freeze({ ...dbSettings(), ...next });
  clearSqlCache();
}

// Apps run a small set of query texts over and over: the name and statement of each are worked out
// once. Bounded in entries and in the length of the text cached (the keys are the app's own strings,
// so at most MAX_CACHED_SQL × MAX_CACHED_SQL_LENGTH characters of statements, ~1 MB per dialect);
// when full, a cache starts afresh rather than track recency.
// The maps hold the app's own strings: V8 keeps a string's hash, so a constant query text costs one
// lookup. Measured on Node 24 (bench:hotpath /db): naming plus sanitizing was ~1 µs per query.
const MAX_CACHED_SQL = 512;
const MAX_CACHED_SQL_LENGTH = 2048;
const NO_VERB = '';
const sqlNames = new Map<string, string>();
const sqlStatements = { postgres: new Map<string, string>(), mysql: new Map<string, string>() };

function remember(cache: Map<string, string>, sql: string, value: string): void {
  if (sql.length > MAX_CACHED_SQL_LENGTH) return;
  if (cache.size >= MAX_CACHED_SQL) cache.clear();
  cache.set(sql, value);
}

function clearSqlCache(): void {
  sqlNames.clear();
  sqlStatements.postgres.clear();
  sqlStatements.mysql.clear();
}

export type SqlDialect = 'postgres' | 'mysql';

const DML_TABLE_AFTER: Record<string, string> = { SELECT: 'FROM', DELETE: 'FROM', INSERT: 'INTO', REPLACE: 'INTO' };
const WORD = /[A-Za-z_][A-Za-z0-9_$]*/y;
const NAME = /(?:"(?:[^"]|"")+"|`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_$]*))*/y;

/**
 * Low-cardinality operation name for SQL: the verb plus the main table when a cheap scan finds it
 * (`SELECT users`, `INSERT orders`, `UPDATE accounts`), else the verb (`BEGIN`), else `fallback`.
 * Never literal values.
 */
export function sqlOperationName(sql: unknown, fallback: string): string {
  if (typeof sql !== 'string') return fallback;
  let name = sqlNames.get(sql);
  if (name === undefined) remember(sqlNames, sql, (name = scanOperationName(sql)));
  return name === NO_VERB ? fallback : name;
}

// The verb and table, or NO_VERB.
function scanOperationName(sql: string): string {
  let i = skipNoise(sql, 0);
  WORD.lastIndex = i;
  const verbMatch = WORD.exec(sql);
  if (verbMatch === null) return NO_VERB;
  const verb = verbMatch[0].toUpperCase();
  i = WORD.lastIndex;
  let table: string | undefined;
  if (verb === 'UPDATE') {
    table = nameAt(sql, i);
  } else if (DML_TABLE_AFTER[verb] !== undefined) {
    const keyword = DML_TABLE_AFTER[verb];
    const at = findKeyword(sql, keyword, i);
    if (at >= 0) table = nameAt(sql, at + keyword.length);
  }
  return table === undefined ? verb : `${verb} ${table}`;
}

/** The SQL text for db.statement: inline literals replaced (when sanitizing), then truncated. */
export function sqlStatement(sql: unknown, dialect: SqlDialect): string | undefined {
  if (typeof sql !== 'string') return undefined;
  const cache = sqlStatements[dialect];
  let statement = cache.get(sql);
  if (statement === undefined) {
    const s = dbSettings();
    statement = truncate(s.sanitize ? sanitizeSql(sql, dialect) : sql, s.maxStatementLength);
    remember(cache, sql, statement);
  }
  return statement;
}

/** Cuts `text` to `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * Replaces literal values in SQL text by '?': quoted strings ('…', E'…', $tag$…$tag$ in postgres,
 * "…" in mysql), numbers and hex/bit literals. Keeps placeholders ($1, ?, :name), identifiers
 * (including "quoted" ones in postgres and `quoted` ones in mysql), comments and keywords.
 */
export function sanitizeSql(sql: string, dialect: SqlDialect): string {
  return sanitize(sql, dialect, false);
}

// In a comment's text (inComment), comment markers are plain text: no recursion, linear time.
function sanitize(sql: string, dialect: SqlDialect, inComment: boolean): string {
  let out = '';
  let last = 0;
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql.charCodeAt(i);
    let end = -1;
    if (c === 39 /* ' */ || (c === 34 /* " */ && dialect === 'mysql')) {
      end = skipQuoted(sql, i, c, dialect === 'mysql');
    } else if ((c === 69 || c === 101) /* E e */ && sql.charCodeAt(i + 1) === 39 && !isWordChar(sql.charCodeAt(i - 1)) && dialect === 'postgres') {
      end = skipQuoted(sql, i + 1, 39, true);
    } else if ((c === 88 || c === 120 || c === 66 || c === 98) /* X x B b */ && sql.charCodeAt(i + 1) === 39 && !isWordChar(sql.charCodeAt(i - 1))) {
      end = skipQuoted(sql, i + 1, 39, false);
    } else if (c === 36 /* $ */ && dialect === 'postgres') {
      const tagEnd = sql.indexOf('$', i + 1);
      const tag = tagEnd > i ? sql.slice(i, tagEnd + 1) : '';
      if (tag !== '' && /^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$$/.test(tag)) {
        const close = sql.indexOf(tag, tagEnd + 1);
        end = close < 0 ? n : close + tag.length;
      } else {
        i = skipWhile(sql, i + 1, isDigit); // $1: a placeholder, kept
        continue;
      }
    } else if (c === 34 /* " */ || c === 96 /* ` */) {
      i = skipQuoted(sql, i, c, false); // a quoted identifier, kept
      continue;
    } else if (!inComment && ((c === 45 && sql.charCodeAt(i + 1) === 45) || (c === 47 && sql.charCodeAt(i + 1) === 42))) {
      // A comment is kept (hints, sqlcommenter tags), but the literals in it are not: commented-out
      // SQL and "user='bob'" notes are as private as the statement.
      let close: number;
      if (c === 45) {
        close = sql.indexOf('\n', i);
        if (close < 0) close = n;
      } else {
        close = sql.indexOf('*/', i + 2);
        close = close < 0 ? n : close + 2;
      }
      const text = sql.slice(i, close);
      const clean = sanitize(text, dialect, true);
      if (clean !== text) {
        out += sql.slice(last, i) + clean;
        last = close;
      }
      i = close;
      continue;
    } else if (isDigit(c) || (c === 46 && isDigit(sql.charCodeAt(i + 1)))) {
      if (isWordChar(sql.charCodeAt(i - 1))) { // part of an identifier such as t1
        i = skipWhile(sql, i, isWordChar);
        continue;
      }
      const radix = c === 48 ? sql.charCodeAt(i + 1) | 32 : 0;
      end = radix === 120 /* 0x */ ? skipWhile(sql, i + 2, isHexDigit)
        : radix === 98 /* 0b */ && isBinaryDigit(sql.charCodeAt(i + 2)) ? skipWhile(sql, i + 2, isBinaryDigit)
          : skipNumber(sql, i);
    } else if (isWordChar(c)) {
      i = skipWhile(sql, i, isWordChar);
      continue;
    }
    if (end < 0) {
      i++;
      continue;
    }
    out += sql.slice(last, i) + '?';
    last = i = end;
  }
  return last === 0 ? sql : out + sql.slice(last);
}

// Redis commands whose every argument is a key, and those whose arguments alternate key, value.
const ALL_KEYS = new Set(['DEL', 'EXISTS', 'MGET', 'TOUCH', 'UNLINK', 'WATCH', 'SINTER', 'SUNION', 'SDIFF', 'PFCOUNT']);
const KEY_VALUE_PAIRS = new Set(['MSET', 'MSETNX']);
const NO_KEY = new Set([
  'PING', 'INFO', 'MULTI', 'EXEC', 'DISCARD', 'UNWATCH', 'SELECT', 'DBSIZE', 'FLUSHDB', 'FLUSHALL', 'TIME',
  'QUIT', 'ECHO', 'CLIENT', 'CONFIG', 'COMMAND', 'SCRIPT', 'READONLY', 'READWRITE', 'ROLE', 'LASTSAVE', 'SAVE',
  'PUBLISH', 'SUBSCRIBE', 'PSUBSCRIBE', 'UNSUBSCRIBE', 'PUNSUBSCRIBE', 'SCAN', 'KEYS', 'RANDOMKEY', 'WAIT',
  'CLUSTER', 'MEMORY', 'SLOWLOG', 'LATENCY', 'DEBUG', 'MONITOR', 'SWAPDB', 'RESET',
]);
// Their arguments are credentials (or may carry them): never recorded, not even redacted one by one.
const SECRET = new Set(['AUTH', 'HELLO', 'MIGRATE']);
// Scripts and functions: script numkeys key… arg….
const SCRIPT_CALL = new Set(['EVAL', 'EVALSHA', 'EVAL_RO', 'EVALSHA_RO', 'FCALL', 'FCALL_RO']);

// How a command's arguments show in its statement. Worked out once per command name (a small set;
// bounded all the same, an app may send anything): the per-call work is then one map lookup.
const enum KeyRole { First, All, Pairs, None, Script, Secret }
interface CommandShape { readonly name: string; readonly role: KeyRole }
const MAX_COMMAND_SHAPES = 256;
const commandShapes = new Map<string, CommandShape>();

function shapeOf(command: string): CommandShape {
  let shape = commandShapes.get(command);
  if (shape !== undefined) return shape;
  const name = String(command).toUpperCase();
  const role = SECRET.has(name) ? KeyRole.Secret
    : SCRIPT_CALL.has(name) ? KeyRole.Script
      : NO_KEY.has(name) ? KeyRole.None
        : ALL_KEYS.has(name) ? KeyRole.All
          : KEY_VALUE_PAIRS.has(name) ? KeyRole.Pairs
            : KeyRole.First;
  shape = { name, role };
  if (commandShapes.size >= MAX_COMMAND_SHAPES) commandShapes.clear();
  commandShapes.set(command, shape);
  return shape;
}

/**
 * `db.statement` for a redis command: the command and its key(s), every other argument as '?'
 * (`SET user:1 ?`, `MGET a b`, `HSET h ? ?`). AUTH and HELLO keep nothing of their arguments.
 * `args` are read from index `from` on (callers holding the command name at args[0] pass 1).
 */
export function redisStatement(command: string, args: readonly unknown[], from = 0): string {
  const { name, role } = shapeOf(typeof command === 'string' ? command : String(command));
  const count = args.length - from;
  if (role === KeyRole.Secret) return count > 0 ? `${name} ?` : name;
  if (count <= 0) return name;
  const max = dbSettings().maxStatementLength;
  let out = name;
  // EVAL script numkeys key… arg…: the script may embed values, so only the count and keys show.
  const keyCount = role === KeyRole.Script ? Number(keyText(args[from + 1])) : NaN;
  for (let i = 0; i < count && out.length < max; i++) {
    const isKey = role === KeyRole.First ? i === 0
      : role === KeyRole.All ? true
        : role === KeyRole.Pairs ? i % 2 === 0
          : role === KeyRole.Script ? i === 1 || (i >= 2 && i < 2 + keyCount)
            : false;
    out += isKey ? ` ${keyText(args[from + i])}` : ' ?';
  }
  return truncate(out, max);
}

// --- Error messages ---

// The word before a quoted name that makes it an identifier the server names, not a value it echoes
// back (`relation "users"`, `column 'email'`, `for key 'users.email'`).
const IDENTIFIER_BEFORE = new Set([
  'relation', 'column', 'table', 'constraint', 'key', 'index', 'type', 'function', 'schema', 'database',
  'sequence', 'view', 'trigger', 'role', 'user', 'in', 'of', 'operator', 'extension', 'procedure', 'field',
  'collation', 'domain', 'tablespace', 'savepoint', 'cursor', 'statement', 'portal', 'server', 'publication',
  'subscription', 'policy', 'rule', 'aggregate', 'routine', 'variable',
]);

// Longer messages echo a huge value: only their text before the first quote or parenthesis is
// kept. This also bounds the backtracking of the shapes below (a value full of quotes).
const MAX_MESSAGE_LENGTH = 4096;

// Value-echoing shapes with unescaped values, handled before the generic rule (which could be
// thrown off by a quote inside the value): greedy to the text that follows the value.
const VALUE_SHAPES: ReadonlyArray<[RegExp, string]> = [
  // pg (detail text some drivers fold in): Key (email)=(a@b.c) already exists.
  [/^(\s*(?:DETAIL:\s*)?Key \([^\n]*?\)=\()[^\n]*?(\)(?=\s+(?:already|is|conflicts)\b|\.?\s*$))/m, '$1?$2'],
  // mysql/mariadb syntax errors quote the rest of the statement.
  [/(\bnear )'[\s\S]*'( at line \d+)/, "$1'?'$2"],
  // mysql: Duplicate entry '…' for key '…', Incorrect integer value: '…' for column '…'.
  [/(\b(?:entry|value:?) )'[^\n]*'( for (?:key|column) )/, "$1'?'$2"],
  // pg: invalid input syntax for type integer: "…" (the value ends the line).
  [/(: )"[^\n]*"(\s*)$/m, '$1"?"$2'],
  // pg: syntax error at or near "…", unless the token is a word (a keyword or name, kept below).
  [/(\bat or near )"(?![A-Za-z_][A-Za-z0-9_$]*"\s*$)[^\n]*"(\s*)$/m, '$1"?"$2'],
];

// Redis quotes command names after these words (`unknown command 'FOO'`, `arguments for 'set'
// command`), and arguments everywhere else.
const REDIS_NAME_BEFORE = new Set(['command', 'subcommand', 'for', 'in']);

/**
 * A database error message without the values it echoes (duplicate keys, rejected input, the SQL
 * near a syntax error), when sanitizing is on. Quoted names the server calls a relation, column,
 * key… are kept; for redis every quoted part goes (its errors quote command arguments).
 */
export function redactDbMessage(message: string, kind: 'sql' | 'redis'): string {
  if (!dbSettings().sanitize || typeof message !== 'string') return message;
  if (message.length > MAX_MESSAGE_LENGTH) {
    const head = message.slice(0, 256);
    const at = head.search(/['"`(]/);
    return `${at < 0 ? head : head.slice(0, at)}…`;
  }
  let out = message;
  if (kind === 'sql') for (const [re, to] of VALUE_SHAPES) out = out.replace(re, to);
  return out.replace(/'[^'\n]*'|"[^"\n]*"/g, (quoted, offset: number, whole: string) => {
    if (quoted.length === 3 && quoted[1] === '?') return quoted; // already redacted
    const before = /([A-Za-z_]+)\s*$/.exec(whole.slice(Math.max(0, offset - 40), offset));
    const word = before === null ? '' : before[1].toLowerCase();
    if (kind === 'redis') return REDIS_NAME_BEFORE.has(word) ? quoted : `${quoted[0]}?${quoted[0]}`;
    if (IDENTIFIER_BEFORE.has(word)) return quoted;
    // pg's syntax errors name the token: a keyword or name is kept, a literal never.
    if (word === 'near' && quoted[0] === '"' && /^"[A-Za-z_][A-Za-z0-9_$]*"$/.test(quoted)) return quoted;
    return `${quoted[0]}?${quoted[0]}`;
  });
}

/**
 * Marks a database span failed like setError (error=true, a log with event, error.kind, message
 * and, with `stack`, the stack), the message and stack redacted by redactDbMessage. The error
 * object itself is not touched: the app gets it as the driver made it.
 */
export function setDbError(span: opentracing.Span, err: unknown, kind: 'sql' | 'redis', stack: boolean): void {
  span.setTag(ERROR, true);
  if (err instanceof Error) {
    const message = typeof err.message === 'string' ? err.message : String(err.message);
    const clean = redactDbMessage(message, kind);
    const fields: Record<string, unknown> = { event: 'error', 'error.kind': err.name || err.constructor?.name || 'Error', message: clean };
    if (stack) {
      const text = err.stack;
      // The stack's first line repeats the message: redacted there too; a stack that does not
      // repeat it verbatim may hold the values some other way, and is left out.
      if (typeof text === 'string' && (clean === message || text.includes(message))) {
        fields.stack = clean === message ? text : text.split(message).join(clean);
      }
    }
    span.log(fields);
  } else if (err !== undefined && err !== null) {
    let text: string;
    try {
      text = String(err);
    } catch {
      text = '[unprintable]';
    }
    span.log({ event: 'error', message: redactDbMessage(text, kind) });
  }
}

/** Finishes a database span, marked failed (redacted, with the stack) when `err` is given. */
export function finishDbSpan(span: opentracing.Span, err?: unknown): void {
  if (err !== undefined && err !== null) setDbError(span, err, 'sql', true);
  span.finish();
}

function keyText(key: unknown): string {
  if (typeof key === 'string') return key;
  if (Buffer.isBuffer(key)) return key.toString('utf8');
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  return '?';
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isBinaryDigit(c: number): boolean {
  return c === 48 || c === 49;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 102);
}

function isWordChar(c: number): boolean {
  return isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 95 || c === 36 || c > 127;
}

function skipWhile(s: string, i: number, pred: (c: number) => boolean): number {
  while (i < s.length && pred(s.charCodeAt(i))) i++;
  return i;
}

function skipNumber(s: string, i: number): number {
  i = skipWhile(s, i, isDigit);
  if (s.charCodeAt(i) === 46) i = skipWhile(s, i + 1, isDigit);
  if ((s.charCodeAt(i) | 32) === 101) { // exponent
    let j = i + 1;
    if (s.charCodeAt(j) === 43 || s.charCodeAt(j) === 45) j++;
    if (isDigit(s.charCodeAt(j))) i = skipWhile(s, j, isDigit);
  }
  return i;
}

// Past the closing quote; a doubled quote is an escaped one, and so is a backslash where allowed.
function skipQuoted(s: string, start: number, quote: number, backslash: boolean): number {
  for (let i = start + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (backslash && c === 92) { i++; continue; }
    if (c === quote) {
      if (s.charCodeAt(i + 1) === quote) { i++; continue; }
      return i + 1;
    }
  }
  return s.length;
}

// Leading white space, comments and opening parentheses before the verb.
function skipNoise(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13 || c === 40) { i++; continue; }
    if (c === 45 && s.charCodeAt(i + 1) === 45) { const nl = s.indexOf('\n', i); if (nl < 0) return s.length; i = nl + 1; continue; }
    if (c === 47 && s.charCodeAt(i + 1) === 42) { const e = s.indexOf('*/', i + 2); if (e < 0) return s.length; i = e + 2; continue; }
    return i;
  }
}

// The first top-level occurrence of a keyword as a whole word, outside quotes and parentheses.
function findKeyword(s: string, keyword: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 39 || c === 34 || c === 96) { i = skipQuoted(s, i, c, false) - 1; continue; }
    if (c === 40) { depth++; continue; }
    if (c === 41) { depth--; continue; }
    if (depth === 0 && (c | 32) === (keyword.charCodeAt(0) | 32) && !isWordChar(s.charCodeAt(i - 1))
      && s.substr(i, keyword.length).toUpperCase() === keyword && !isWordChar(s.charCodeAt(i + keyword.length))) {
      return i;
    }
  }
  return -1;
}

// The (possibly schema-qualified, possibly quoted) table name after position i, unquoted.
function nameAt(s: string, i: number): string | undefined {
  while (i < s.length && /\s/.test(s[i])) i++;
  if (s.charCodeAt(i) === 40) return undefined; // a subquery
  NAME.lastIndex = i;
  const m = NAME.exec(s);
  if (m === null) return undefined;
  const name = m[0].replace(/\s*\.\s*/g, '.').replace(/["`]/g, '');
  return name.length > 0 && name.length <= 128 ? name : undefined;
}
