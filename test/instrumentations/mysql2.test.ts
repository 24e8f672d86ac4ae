// The mysql2 instrumentation against the real MariaDB, for every version in test/versions/mysql2.json:
// the fixture app under `node -r ./register.js` (the hook finds lib/connection.js and lib/pool.js of
// that copy) with every call form, its spans decoded from real Thrift, and its output compared with
// a run without the preload; then fine-grained forms in this process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import definitions from '../../instrumentations/mysql2';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture } from '../helpers/run-fixture';
import { needService } from '../helpers/services';
import { versionDir, versionSet } from '../helpers/versions';
import { activate, activeSpan, runUntraced } from '../../src/context/scope-manager';
import { setDbSettings } from '../../src/shim/db';
import { setTracer } from '../../src/tracer/global';
import {
  MYSQL, appLines, checkScenarios, closedPort, dropTable, patchInProcess, runPlain, runTraced, spanTags, tagsOf, uniqueTable,
  type Expected,
} from './mysql-harness';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

function expectations(T: string): Record<string, Expected[]> {
  const ok = (op: string, statement: string): Expected => ({ op, statement });
  const failed = (op: string, statement: string, error: RegExp): Expected => ({ op, statement, error });
  const pooled = ['who', 'again'].map((a) => ok('SELECT', `SELECT ? AS ${a}`));
  return {
    setup: [ok('DROP', `DROP TABLE IF EXISTS ${T}`), ok('CREATE', `CREATE TABLE ${T} (id INT PRIMARY KEY, name VARCHAR(?))`)],
    'query-callback': [
      ok(`INSERT ${T}`, `INSERT INTO ${T} (id, name) VALUES (?, ?), (?, ?)`),
      ok(`SELECT ${T}`, `SELECT name FROM ${T} WHERE id = ?`),
    ],
    'query-options': [ok(`SELECT ${T}`, `SELECT id, name FROM ${T} WHERE id = ?`), ok(`SELECT ${T}`, `SELECT name FROM ${T} WHERE id = ?`)],
    'query-emitter': [ok(`SELECT ${T}`, `SELECT id, name FROM ${T} ORDER BY id`)],
    execute: [
      ok(`SELECT ${T}`, `SELECT name FROM ${T} WHERE id = ?`), ok(`SELECT ${T}`, `SELECT id FROM ${T} WHERE id > ?`),
      ok(`SELECT ${T}`, `SELECT name FROM ${T} WHERE id = ?`),
    ],
    errors: [
      failed('SELEC', 'SELEC ?', /error in your SQL syntax/),
      failed(`SELECT ${T}_missing`, `SELECT * FROM ${T}_missing`, new RegExp(`Table 'test.${T}_missing' doesn't exist`)),
      failed(`SELECT ${T}_missing`, `SELECT * FROM ${T}_missing WHERE id = ?`, new RegExp(`Table 'test.${T}_missing' doesn't exist`)),
      failed(`SELECT ${T}_missing`, `SELECT * FROM ${T}_missing`, new RegExp(`Table 'test.${T}_missing' doesn't exist`)),
    ],
    timeout: [failed('SELECT', 'SELECT SLEEP(?)', /^Query inactivity timeout$/)],
    'sync-throw': [failed('SELECT', 'SELECT ?', /^Bind parameters must not contain undefined/)],
    refused: [failed('SELECT', 'SELECT ? AS refused', /ECONNREFUSED/), failed('SELECT', 'SELECT ? AS refused', /ECONNREFUSED/)],
    'access-denied': [failed('SELECT', 'SELECT ? AS denied', /^Access denied for user 'root'@/)],
    promise: [
      ok(`SELECT ${T}`, `SELECT name FROM ${T} WHERE id = ?`), ok(`SELECT ${T}`, `SELECT name FROM ${T} WHERE id = ?`),
      failed('SELEC', 'SELEC ?', /error in your SQL syntax/),
    ],
    pool: [
      ok(`SELECT ${T}`, `SELECT name FROM ${T} WHERE id = ?`), ok(`SELECT ${T}`, `SELECT name FROM ${T} WHERE id = ?`),
      ok(`SELECT ${T}`, `SELECT id FROM ${T} ORDER BY id`), ok(`SELECT ${T}`, `SELECT id FROM ${T} WHERE id = ?`),
    ],
    'contention-a': pooled,
    'contention-b': pooled,
    'promise-a': [...pooled, ok('SELECT', 'SELECT ? AS executed')],
    'promise-b': [...pooled, ok('SELECT', 'SELECT ? AS executed')],
    untraced: [],
    teardown: [ok('DROP', `DROP TABLE ${T}`)],
  };
}

for (const version of versionSet('mysql2').versions) {
  describe(`mysql2@${version}`, () => {
    test('under the preload: one span per statement in every call form, each under its caller; output as without the preload', async (t) => {
      if (!(await needService(t, 'mysql'))) return;
      const T = uniqueTable('mysql2', version);
      const port = await closedPort();
      const args = [versionDir('mysql2', version), T, String(port)];
      const expected = expectations(T);
      const count = Object.keys(expected).length + Object.values(expected).reduce((n, e) => n + e.length, 0);
      t.after(() => dropTable('mysql2', version, T));
      const { result, spans } = await runTraced(agent, 'mysql2-app.js', args, count);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /^out done $/m);
      const ctxLines = result.stdout.split('\n').filter((l) => l.startsWith('ctx '));
      assert.ok(ctxLines.length >= 40, `context was checked (${ctxLines.length} places)`);
      assert.deepEqual(ctxLines.filter((l) => !l.endsWith(' ok')), [], 'app code ran in its caller\'s context');

      checkScenarios(spans, expected, {
        'span.kind': 'client', component: 'mysql2', 'db.type': 'sql', 'db.instance': 'test', 'db.user': 'root',
        'peer.hostname': '127.0.0.1', 'peer.service': 'mysql',
      });
      const ports = spans.filter((s) => tagsOf(s)['db.statement'] !== undefined).map((s) => tagsOf(s)['peer.port']);
      assert.deepEqual([...new Set(ports)].sort(), [3306n, BigInt(port)].sort(), 'peer.port: the server, and the closed port');

      const plain = await runPlain('mysql2-app.js', args);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(appLines(result.stdout), appLines(plain.stdout));
    });

    test('an app that requires only mysql2/promise is traced', async (t) => {
      if (!(await needService(t, 'mysql'))) return;
      const { result, spans } = await runTraced(agent, 'mysql2-promise-only.js', [versionDir('mysql2', version)], 1);
      assert.equal(result.stderr, '');
      // 3.x: the promise entry point never loads index.js, so a hook on the main export would miss it.
      assert.equal(result.stdout, `index.js loaded: ${version.startsWith('2.')}; two=2\n`);
      assert.deepEqual(spans.map((s) => `${s.operationName} ${tagsOf(s).component} ${tagsOf(s)['db.statement']}`), ['SELECT mysql2 SELECT ? + ? AS two']);
    });

    test('an unhandled query error still crashes the app the same way (no error listener added)', async (t) => {
      if (!(await needService(t, 'mysql'))) return;
      const args = ['mysql2', versionDir('mysql2', version)];
      const env = { JAEGER_SERVICE_NAME: 'mysql-unhandled', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port) };
      const traced = await runFixture('mysql-unhandled.js', { args, env });
      const plain = await runFixture('mysql-unhandled.js', { args, env, preload: false });
      assert.equal(plain.stdout, 'querying\n');
      assert.equal(traced.stdout, plain.stdout);
      assert.equal(plain.code, 1);
      assert.equal(traced.code, plain.code);
      const thrown = (s: string) => s.split('\n').find((l) => /^\w*Error/.test(l));
      assert.match(String(thrown(plain.stderr)), /You have an error in your SQL syntax/);
      assert.equal(thrown(traced.stderr), thrown(plain.stderr));
    });

    describe('in process', () => {
      let env: ReturnType<typeof patchInProcess>;
      before(() => { env = patchInProcess(definitions, 'mysql2', version); });
      after(() => {
        env.unpatch();
        setTracer(undefined);
        setDbSettings(undefined);
      });

      test('JAEGER_DB_CAPTURE_PARAMS: db.params for every way values are given, truncated with the statement limit', async (t) => {
        if (!(await needService(t, 'mysql'))) return;
        setDbSettings({ captureParams: true, maxStatementLength: 40 });
        const mysql2 = env.load('mysql2');
        const conn = mysql2.createConnection(MYSQL);
        const pool = mysql2.createPool(MYSQL);
        const from = env.reporter.spans.length;
        const run = (start: (cb: (err: unknown) => void) => unknown) => new Promise<void>((resolve, reject) => {
          start((err) => (err ? reject(err) : resolve()));
        });
        try {
          await run((cb) => conn.query('SELECT ? AS a, ? AS b', [1, 'x'], cb));
          await run((cb) => conn.query({ sql: 'SELECT ? AS a', values: [2n] }, cb));
          await run((cb) => conn.query({ sql: 'SELECT ? AS a', values: ['ignored'] }, [Buffer.from('abc')], cb));
          await run((cb) => conn.execute('SELECT ? AS a', [3], cb));
          await run((cb) => conn.execute({ sql: 'SELECT ? AS a', values: [4] }, cb));
          await run((cb) => pool.query('SELECT ? AS a', ['pooled'], cb));
          await run((cb) => conn.query('SELECT ? AS l', ['y'.repeat(100)], cb));
          await run((cb) => conn.query('SELECT 1 AS none', cb));
        } finally {
          conn.end();
          await new Promise((resolve) => pool.end(resolve));
          setDbSettings(undefined);
        }
        const got = env.reporter.spans.slice(from).map((s) => spanTags(s)['db.params']);
        assert.deepEqual(got, ['[1,"x"]', '["2"]', '["<Buffer 3 bytes>"]', '[3]', '[4]', '["pooled"]', `["${'y'.repeat(37)}…`, undefined]);
      });

      test('socketPath: peer.address instead of host and port; the refused socket fails the span', async () => {
        const mysql2 = env.load('mysql2');
        const conn = mysql2.createConnection({ socketPath: '/nonexistent/jaeger-auto-mysql.sock', user: 'app' });
        const from = env.reporter.spans.length;
        const err = await new Promise<any>((resolve) => conn.query('SELECT 1', resolve));
        assert.equal(err.code, 'ENOENT');
        const [span] = env.reporter.spans.slice(from);
        const tags = spanTags(span);
        assert.equal(tags['peer.address'], '/nonexistent/jaeger-auto-mysql.sock');
        assert.equal(tags['peer.hostname'], undefined);
        assert.equal(tags['peer.port'], undefined);
        assert.equal(tags['db.user'], 'app');
        assert.equal(tags['db.instance'], undefined, 'no database configured');
        assert.equal(tags.error, true);
      });

      test('untraced scopes and a stopped tracer make no span and leave results alone', async (t) => {
        if (!(await needService(t, 'mysql'))) return;
        const mysql2 = env.load('mysql2');
        const conn = mysql2.createConnection(MYSQL);
        const from = env.reporter.spans.length;
        const rows1 = await new Promise<any>((resolve, reject) => runUntraced(() => conn.query('SELECT 1 AS x', (e: unknown, r: unknown) => (e ? reject(e) : resolve(r)))));
        setTracer(undefined);
        try {
          const rows2 = await new Promise<any>((resolve, reject) => conn.execute('SELECT ? AS x', [2], (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));
          assert.deepEqual([rows1[0].x, rows2[0].x], [1, 2]);
        } finally {
          setTracer(env.tracer);
          conn.end();
        }
        assert.equal(env.reporter.spans.length, from);
      });

      test('a span in the caller\'s trace, its callback in the caller\'s scope; the pool\'s connection opened elsewhere', async (t) => {
        if (!(await needService(t, 'mysql'))) return;
        const mysql2 = env.load('mysql2');
        // The pool's only connection is opened under `opener`: its socket's context is opener's.
        const pool = mysql2.createPool({ ...MYSQL, connectionLimit: 1 });
        const opener = env.tracer.startSpan('opener');
        await activate(opener, () => new Promise((resolve) => pool.query('SELECT 1', resolve)));
        const caller = env.tracer.startSpan('caller');
        const from = env.reporter.spans.length;
        const seen = await activate(caller, () => new Promise((resolve) => {
          pool.query('SELECT 2', () => resolve(activeSpan()));
        }));
        await new Promise((resolve) => pool.end(resolve));
        opener.finish();
        caller.finish();
        assert.equal(seen, caller);
        const [span] = env.reporter.spans.slice(from);
        assert.equal(span.spanContext.parentId, caller.spanContext.spanId);
      });

      test('under an unsampled span: no span started, callbacks and events in the caller\'s scope', async (t) => {
        if (!(await needService(t, 'mysql'))) return;
        const mysql2 = env.load('mysql2');
        const pool = mysql2.createPool({ ...MYSQL, connectionLimit: 1 });
        const opener = env.tracer.startSpan('opener');
        await activate(opener, () => new Promise((resolve) => pool.query('SELECT 1', resolve)));
        // A request upstream chose not to sample: its children inherit that, so queries need no span.
        const upstream = env.tracer.extract('text_map', { 'uber-trace-id': '6a5b4c3d2e1f0987:6a5b4c3d2e1f0987:0:0' });
        const caller = env.tracer.startSpan('caller', { childOf: upstream ?? undefined });
        const started: string[] = [];
        const startSpan = env.tracer.startSpan;
        env.tracer.startSpan = function (this: unknown, ...args: any[]) {
          started.push(String(args[0]));
          return (startSpan as any).apply(this, args);
        } as any;
        try {
          const seen = await activate(caller, () => new Promise<unknown[]>((resolve) => {
            pool.query('SELECT 2 AS n', (err: unknown, rows: any) => {
              const inCallback = [activeSpan() === caller, rows?.[0]?.n];
              const query = pool.query('SELECT 3 AS n');
              query.on('end', () => resolve([...inCallback, activeSpan() === caller]));
            });
          }));
          assert.deepEqual(seen, [true, 2, true]);
        } finally {
          env.tracer.startSpan = startSpan;
          await new Promise((resolve) => pool.end(resolve));
          opener.finish();
          caller.finish();
        }
        assert.deepEqual(started, []);
      });

      test('an unsampled trace: no span reported, results unchanged', async (t) => {
        if (!(await needService(t, 'mysql'))) return;
        const unsampled = patchInProcess([], 'mysql2', version, false);
        setTracer(unsampled.tracer);
        const mysql2 = env.load('mysql2');
        const conn = mysql2.createConnection(MYSQL);
        try {
          const rows = await new Promise<any>((resolve, reject) => conn.query('SELECT 3 AS x', (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));
          assert.equal(rows[0].x, 3);
        } finally {
          conn.end();
          setTracer(env.tracer);
        }
        assert.equal(unsampled.reporter.spans.length, 0);
      });

      test('unpatching restores the original methods', () => {
        const mysql2 = env.load('mysql2');
        const wrapped = [mysql2.Connection.prototype.query, mysql2.Connection.prototype.execute, mysql2.Pool.prototype.getConnection];
        assert.ok(env.records.length >= 3);
        env.unpatch();
        const restored = [mysql2.Connection.prototype.query, mysql2.Connection.prototype.execute, mysql2.Pool.prototype.getConnection];
        restored.forEach((fn, i) => assert.notEqual(fn, wrapped[i]));
        assert.equal(Object.prototype.hasOwnProperty.call(mysql2.Connection.prototype, 'query'), version.startsWith('2.'),
          '3.x inherits query from BaseConnection again');
      });
    });
  });
}
