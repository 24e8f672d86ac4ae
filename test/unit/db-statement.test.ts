import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redisStatement, sanitizeSql, setDbSettings, sqlOperationName, sqlStatement, truncate } from '../../src/shim/db';

test('operation names: verb and main table, never values', () => {
  const cases: Array<[string, string]> = [
    ['SELECT * FROM users WHERE id = $1', 'SELECT users'],
    ['select id from public.users u join orders o on o.uid = u.id', 'SELECT public.users'],
    ['  /* hint */ (SELECT 1)', 'SELECT'],
    ['SELECT 1', 'SELECT'],
    ['SELECT (SELECT max(x) FROM a) FROM "Order Items"', 'SELECT Order Items'],
    ['SELECT * FROM (SELECT 1) t', 'SELECT'],
    ['INSERT INTO orders (id) VALUES (?)', 'INSERT orders'],
    ['UPDATE `accounts` SET balance = 0', 'UPDATE accounts'],
    ['DELETE FROM sessions WHERE token = \'abc\'', 'DELETE sessions'],
    ['begin', 'BEGIN'],
    ['-- comment\nCREATE TABLE t (id int)', 'CREATE'],
    ["SELECT 'FROM x' AS y FROM real_table", 'SELECT real_table'],
  ];
  for (const [sql, name] of cases) assert.equal(sqlOperationName(sql, 'pg.query'), name, sql);
  assert.equal(sqlOperationName('', 'pg.query'), 'pg.query');
  assert.equal(sqlOperationName(undefined, 'mysql.query'), 'mysql.query');
  assert.equal(sqlOperationName('42', 'x.query'), 'x.query');
});

test('sanitizing replaces inline literals and keeps placeholders, identifiers and comments (without their literals)', () => {
  const pg: Array<[string, string]> = [
    ["SELECT * FROM users WHERE email = 'bob@example.com' AND age > 42", 'SELECT * FROM users WHERE email = ? AND age > ?'],
    ['SELECT * FROM t1 WHERE a = $1 AND b = $2', 'SELECT * FROM t1 WHERE a = $1 AND b = $2'],
    ["SELECT 'it''s', E'a\\'b', $$dollar ' quoted$$, $x$tagged$x$", 'SELECT ?, ?, ?, ?'],
    ['SELECT "Weird Col", 1.5e3, .5, 0xFF FROM "t2"', 'SELECT "Weird Col", ?, ?, ? FROM "t2"'],
    // Comments stay, their literals do not (a lone quote runs to the end of its comment).
    ["SELECT 1 -- don't touch\n, 2 /* 3 'x' */ /* hint */", 'SELECT ? -- don?\n, ? /* ? ? */ /* hint */'],
    ['SELECT col2, x3y FROM t', 'SELECT col2, x3y FROM t'],
  ];
  for (const [sql, want] of pg) assert.equal(sanitizeSql(sql, 'postgres'), want, sql);
  const my: Array<[string, string]> = [
    ['SELECT * FROM `users` WHERE name = "bob" AND token = \'a\\\'b\' AND n = 7', 'SELECT * FROM `users` WHERE name = ? AND token = ? AND n = ?'],
    ["INSERT INTO t VALUES (?, ?, X'0A', b'01')", 'INSERT INTO t VALUES (?, ?, ?, ?)'],
  ];
  for (const [sql, want] of my) assert.equal(sanitizeSql(sql, 'mysql'), want, sql);
  assert.equal(sanitizeSql("SELECT 'unterminated", 'postgres'), 'SELECT ?');
});

test('sqlStatement follows the settings: sanitize on by default, off on request, truncated', () => {
  try {
    setDbSettings({ sanitize: true, maxStatementLength: 2048 });
    assert.equal(sqlStatement("SELECT 'x'", 'postgres'), 'SELECT ?');
    setDbSettings({ sanitize: false });
    assert.equal(sqlStatement("SELECT 'x'", 'postgres'), "SELECT 'x'");
    setDbSettings({ maxStatementLength: 20 });
    const s = sqlStatement('SELECT a, b, c, d, e, f FROM t', 'postgres')!;
    assert.equal(s.length, 20);
    assert.ok(s.endsWith('…'));
    assert.equal(sqlStatement(undefined, 'mysql'), undefined);
  } finally {
    setDbSettings(undefined);
  }
  assert.equal(truncate('abc', 5), 'abc');
});

test('redis statements keep command and keys, redact values, and never keep credentials', () => {
  assert.equal(redisStatement('set', ['user:1', 'secret-value']), 'SET user:1 ?');
  assert.equal(redisStatement('GET', ['k']), 'GET k');
  assert.equal(redisStatement('mget', ['a', 'b', 'c']), 'MGET a b c');
  assert.equal(redisStatement('MSET', ['a', '1', 'b', '2']), 'MSET a ? b ?');
  assert.equal(redisStatement('HSET', ['h', 'field', 'value']), 'HSET h ? ?');
  assert.equal(redisStatement('AUTH', ['user', 'hunter2']), 'AUTH ?');
  assert.equal(redisStatement('hello', ['3', 'AUTH', 'default', 'hunter2']), 'HELLO ?');
  assert.equal(redisStatement('PING', []), 'PING');
  assert.equal(redisStatement('PUBLISH', ['channel', 'message']), 'PUBLISH ? ?');
  assert.equal(redisStatement('GET', [Buffer.from('bufkey')]), 'GET bufkey');
  assert.equal(redisStatement('SET', [{ odd: true }, 'v']), 'SET ? ?');
});

test('names and statements come out the same from the query-text cache, whatever the fallback or settings', () => {
  // Computed once per text: a second call must not return the first caller's fallback...
  assert.equal(sqlOperationName('42', 'pg.query'), 'pg.query');
  assert.equal(sqlOperationName('42', 'mysql.query'), 'mysql.query');
  assert.equal(sqlOperationName('SELECT * FROM cached_t', 'a'), 'SELECT cached_t');
  assert.equal(sqlOperationName('SELECT * FROM cached_t', 'b'), 'SELECT cached_t');
  // ...nor a statement sanitized under other settings or for the other dialect.
  try {
    const sql = 'SELECT "x" FROM t WHERE a = \'y\'';
    setDbSettings({ sanitize: true });
    assert.equal(sqlStatement(sql, 'postgres'), 'SELECT "x" FROM t WHERE a = ?');
    assert.equal(sqlStatement(sql, 'mysql'), 'SELECT ? FROM t WHERE a = ?');
    assert.equal(sqlStatement(sql, 'postgres'), 'SELECT "x" FROM t WHERE a = ?');
    setDbSettings({ sanitize: false });
    assert.equal(sqlStatement(sql, 'postgres'), sql);
  } finally {
    setDbSettings(undefined);
  }
  // Many distinct texts (an app that inlines values) keep coming out right past the cache's bound.
  for (let i = 0; i < 2000; i++) {
    assert.equal(sqlStatement(`SELECT * FROM t WHERE id = ${i}`, 'postgres'), 'SELECT * FROM t WHERE id = ?');
    assert.equal(sqlOperationName(`UPDATE t${i} SET a = 1`, 'q'), `UPDATE t${i}`);
  }
});

test('redis statements read the arguments from an offset (args[0] holding the command name)', () => {
  assert.equal(redisStatement('SET', ['SET', 'user:1', 'v'], 1), 'SET user:1 ?');
  assert.equal(redisStatement('GET', ['GET'], 1), 'GET');
  assert.equal(redisStatement('AUTH', ['AUTH', 'pw'], 1), 'AUTH ?');
  assert.equal(redisStatement('AUTH', ['AUTH'], 1), 'AUTH');
  assert.equal(redisStatement('EVAL', ['EVAL', 'return 1', '2', 'k1', 'k2', 'secret'], 1), 'EVAL ? 2 k1 k2 ?');
  // The same name in another case is the same command.
  assert.equal(redisStatement('mset', ['a', '1']), 'MSET a ?');
  assert.equal(redisStatement('MSET', ['a', '1']), 'MSET a ?');
});
