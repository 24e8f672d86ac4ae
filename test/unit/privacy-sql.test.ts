import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  redactDbMessage, redisStatement, setDbError, setDbSettings, sqlOperationName, sqlStatement, type SqlDialect,
} from '../../src/shim/db';
import { memoryTracer } from '../helpers/tracer';
import { FIXTURES } from '../helpers/run-fixture';

// The sanitizer alone over the shared corpus (privacy-db.test.ts runs the same statements against
// real servers), database error messages that echo values, and redis commands carrying secrets.

type Entry = [SqlDialect | 'both', string, string[], string[]];
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { corpus } = require(path.join(FIXTURES, 'privacy-sql-corpus.js')) as { corpus: Entry[] };

function dialects(d: Entry[0]): SqlDialect[] {
  return d === 'both' ? ['postgres', 'mysql'] : [d];
}

test('the corpus has at least 50 statements, for both dialects', () => {
  assert.ok(corpus.length >= 50, `${corpus.length} statements`);
  assert.ok(corpus.some((e) => e[0] === 'postgres') && corpus.some((e) => e[0] === 'mysql'));
});

test('sanitized statements keep no literal and keep placeholders, identifiers and structure', () => {
  setDbSettings({ sanitize: true, maxStatementLength: 2048 });
  try {
    for (const [d, sql, secrets, keep] of corpus) {
      for (const dialect of dialects(d)) {
        const got = sqlStatement(sql, dialect)!;
        const name = sqlOperationName(sql, 'query');
        for (const secret of secrets) {
          assert.ok(!got.includes(secret), `${dialect}: ${JSON.stringify(secret)} in ${JSON.stringify(got)}`);
          assert.ok(!name.includes(secret), `${dialect}: ${JSON.stringify(secret)} in operation ${name}`);
        }
        for (const k of keep) assert.ok(got.includes(k), `${dialect}: ${JSON.stringify(k)} missing from ${JSON.stringify(got)}`);
      }
    }
  } finally {
    setDbSettings(undefined);
  }
});

test('a comment of 100,000 dashes is sanitized in linear time without recursion', () => {
  const sql = `SELECT 1 ${'-- '.repeat(100_000)}`;
  const started = process.hrtime.bigint();
  const got = sqlStatement(sql, 'postgres');
  assert.ok(got !== undefined && got.startsWith('SELECT ?'));
  // Generous: a quadratic scan of 300 KB takes minutes.
  assert.ok(process.hrtime.bigint() - started < 5_000_000_000n);
});

const ERRORS: Array<[string, 'sql' | 'redis', string[], string[]]> = [
  // pg
  ['duplicate key value violates unique constraint "users_email_key"', 'sql', [], ['"users_email_key"']],
  ['Key (email)=(a@b.c) already exists.', 'sql', ['a@b.c'], ['Key (email)=(?) already exists.']],
  ['Key (a, b)=(x) y, 42) is not present in table "t".', 'sql', ['x) y', '42'], ['Key (a, b)=(?)', '"t"']],
  ['invalid input syntax for type integer: "abc-secret"', 'sql', ['abc-secret'], ['for type integer: "?"']],
  ['invalid input syntax for type integer: "ab"c-secret"', 'sql', ['c-secret'], ['"?"']],
  ['invalid input value for enum mood: "sekret"', 'sql', ['sekret'], ['enum mood']],
  ['syntax error at or near "\'hunter2\'"', 'sql', ['hunter2'], ['at or near "?"']],
  ['syntax error at or near "\'a"b hunter2\'"', 'sql', ['hunter2'], ['at or near "?"']],
  ['syntax error at or near "42424"', 'sql', ['42424'], ['at or near "?"']],
  ['syntax error at or near "SELEC"', 'sql', [], ['at or near "SELEC"']],
  ['value "99999999999" is out of range for type integer', 'sql', ['99999999999'], ['out of range']],
  ['relation "users" does not exist', 'sql', [], ['relation "users"']],
  ['column "emial" of relation "users" does not exist', 'sql', [], ['"emial"', '"users"']],
  ['password authentication failed for user "postgres"', 'sql', [], ['user "postgres"']],
  // mysql / mariadb
  ["Duplicate entry 'a@b.c' for key 'users.email'", 'sql', ['a@b.c'], ["Duplicate entry '?' for key 'users.email'"]],
  ["Duplicate entry 'it's a@b.c' for key 'email'", 'sql', ['a@b.c', "s a@"], ["for key 'email'"]],
  ["Incorrect integer value: 'abc-secret' for column `test`.`t`.`id` at row 1", 'sql', ['abc-secret'], ['for column']],
  ["Incorrect integer value: 'abc-secret' for column 'id' at row 1", 'sql', ['abc-secret'], ["column 'id'"]],
  ["You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version for the right syntax to use near 'sekret' AND pin = 4242' at line 1", 'sql', ['sekret', '4242'], ["near '?' at line 1"]],
  ["Table 'test.nope' doesn't exist", 'sql', [], ["Table 'test.nope'"]],
  ["Unknown column 'nope' in 'field list'", 'sql', [], ["column 'nope'"]],
  ["Truncated incorrect DOUBLE value: 'sekret-x'", 'sql', ['sekret-x'], ['DOUBLE value']],
  // redis
  ["ERR unknown command 'NOSUCHCMD', with args beginning with: 'hunter2' 'sekret' ", 'redis', ['sekret', 'hunter2'], ["ERR unknown command 'NOSUCHCMD'"]],
  ["ERR wrong number of arguments for 'set' command", 'redis', [], ["for 'set' command"]],
  ["ERR Unknown option or number of arguments for CONFIG SET - 'sekret'", 'redis', ['sekret'], ['CONFIG SET']],
  ['WRONGPASS invalid username-password pair or user is disabled.', 'redis', [], ['WRONGPASS']],
];

test('database error messages lose the values they echo and keep the names', () => {
  setDbSettings({ sanitize: true });
  try {
    for (const [message, kind, secrets, keep] of ERRORS) {
      const got = redactDbMessage(message, kind);
      for (const s of secrets) assert.ok(!got.includes(s), `${JSON.stringify(s)} in ${JSON.stringify(got)}`);
      for (const k of keep) assert.ok(got.includes(k), `${JSON.stringify(k)} missing from ${JSON.stringify(got)}`);
    }
    setDbSettings({ sanitize: false });
    assert.equal(redactDbMessage("Duplicate entry 'a@b.c' for key 'email'", 'sql'), "Duplicate entry 'a@b.c' for key 'email'");
  } finally {
    setDbSettings(undefined);
  }
});

test('a hostile message (a huge value full of quotes and )=( ) is redacted quickly', () => {
  setDbSettings({ sanitize: true });
  try {
    const value = ")=(' a'\" ".repeat(100_000);
    const started = process.hrtime.bigint();
    for (const m of [`Key (a)=(${value}) already exists.`, `Duplicate entry '${value}' for key 'k'`, `invalid input syntax for type integer: "${value}"`]) {
      const got = redactDbMessage(m, 'sql');
      assert.ok(got.length < 300);
      assert.ok(!got.includes(' a'), got.slice(0, 80));
    }
    // Just under the length limit: the shapes run, and stay fast.
    const near = `Duplicate entry '${"value 'entry 'near '".repeat(200)}' for key 'k'`;
    assert.ok(near.length < 4096);
    assert.equal(redactDbMessage(near, 'sql'), "Duplicate entry '?' for key 'k'");
    const noMatch = `invalid input: "${"value 'entry 'near ')=(".repeat(150)}`;
    assert.ok(noMatch.length < 4096);
    redactDbMessage(noMatch, 'sql'); // no shape matches: every candidate start fails, quickly
    assert.ok(process.hrtime.bigint() - started < 5_000_000_000n); // quadratic backtracking takes minutes
  } finally {
    setDbSettings(undefined);
  }
});

test('setDbError redacts message and stack in the log and leaves the error object alone', () => {
  setDbSettings({ sanitize: true });
  try {
    const { tracer, reporter } = memoryTracer();
    const err = new Error("Duplicate entry 'a@b.c' for key 'email'");
    const stack = err.stack;
    const span = tracer.startSpan('INSERT users');
    setDbError(span, err, 'sql', true);
    span.finish();
    const log = reporter.spans[0].logs[0];
    const text = JSON.stringify(log.fields);
    assert.ok(!text.includes('a@b.c'), text);
    const fields = Object.fromEntries(log.fields.map((f) => [f.key, f.value]));
    assert.equal(fields.message, "Duplicate entry '?' for key 'email'");
    assert.ok(String(fields.stack).startsWith("Error: Duplicate entry '?' for key 'email'\n"));
    assert.equal(err.message, "Duplicate entry 'a@b.c' for key 'email'");
    assert.equal(err.stack, stack);
  } finally {
    setDbSettings(undefined);
  }
});

test('redis statements show no value argument', () => {
  const cases: Array<[string, unknown[], string]> = [
    ['set', ['k', 'sekret'], 'SET k ?'],
    ['AUTH', ['u', 'p4ss'], 'AUTH ?'],
    ['auth', ['p4ss'], 'AUTH ?'],
    ['HSET', ['h', 'f', 'v'], 'HSET h ? ?'],
    ['CONFIG', ['SET', 'requirepass', 'x-sekret'], 'CONFIG ? ? ?'],
    ['EVAL', ["return redis.call('set', KEYS[1], 'sekret')", '1', 'k', 'arg-sekret'], 'EVAL ? 1 k ?'],
    ['EVALSHA', ['abc123', 2, 'k1', 'k2', 'a1', 'a2'], 'EVALSHA ? 2 k1 k2 ? ?'],
    ['FCALL', ['fn', '0', 'arg-sekret'], 'FCALL ? 0 ?'],
    ['HELLO', ['3', 'AUTH', 'u', 'p4ss'], 'HELLO ?'],
    ['MSET', ['a', 'v1', 'b', 'v2'], 'MSET a ? b ?'],
    ['ACL', ['SETUSER', 'bob', 'on', '>p4ss'], 'ACL SETUSER ? ? ?'],
  ];
  for (const [cmd, args, want] of cases) assert.equal(redisStatement(cmd, args), want);
});
