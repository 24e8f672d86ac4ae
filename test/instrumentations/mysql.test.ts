// The mysql instrumentation against the real MariaDB, for every version in test/versions/mysql.json:
// the fixture app under `node -r ./register.js` (the hook finds lib/Connection.js and lib/Pool.js
// of that copy) with every call form, its spans decoded from real Thrift, and its output compared
// with a run without the preload; then fine-grained forms in this process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import definitions from '../../instrumentations/mysql';
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
  const missing = new RegExp(`^ER_NO_SUCH_TABLE: Table 'test.${T}_missing' doesn't exist$`);
  const pooled = ['who', 'again'].map((a) => ok('SELECT', `SELECT ? AS ${a}`));
  return {
    setup: [ok('DROP', `DROP TABLE IF EXISTS ${T}`), ok('CREATE', `CREATE TABLE ${T} (id INT PRIMARY KEY, name VARCHAR(?))`)],
    'query-callback': [
      ok(`INSERT ${T}`, `INSERT INTO ${T} (id, name) VALUES (?, ?), (?, ?)`),
      ok(`SELECT ${T}`, `SELECT name FROM ${T} WHERE id = ?`),
    ],
    'query-options': [ok(`SELECT ${T}`, `SELECT id, name FROM ${T} WHERE id = ?`), ok(`SELECT ${T}`, `SELECT name FROM ${T} WHERE id = ?`)],
    'query-emitter': [ok(`SELECT ${T}`, `SELECT id, name FROM ${T} ORDER BY id`), ok(`SELECT ${T}`, `SELECT id FROM ${T} WHERE id > ?`)],
    errors: [
      failed('SELEC', 'SELEC ?', /^ER_PARSE_ERROR: You have an error in your SQL syntax/),
      failed(`SELECT ${T}_missing`, `SELECT * FROM ${T}_missing`, missing),
      failed(`SELECT ${T}_missing`, `SELECT * FROM ${T}_missing`, missing),
    ],
    timeout: [failed('SELECT', 'SELECT SLEEP(?)', /^Query inactivity timeout$/)],
    'sync-throw': [failed('SELECT', 'SELECT ?', /^argument callback must be a function when provided$/)],
    refused: [failed('SELECT', 'SELECT ? AS refused', /ECONNREFUSED/), failed('SELECT', 'SELECT ? AS refused', /ECONNREFUSED/)],
    'access-denied': [failed('SELECT', 'SELECT ? AS denied', /^ER_ACCESS_DENIED_ERROR: Access denied for user 'root'@/)],
    pool: [
      ok(`SELECT ${T}`, `SELECT name FROM ${T} WHERE id = ?`), ok(`SELECT ${T}`, `SELECT id FROM ${T} ORDER BY id`),
      ok(`SELECT ${T}`, `SELECT id FROM ${T} WHERE id = ?`),
    ],
    'contention-a': pooled,
    'contention-b': pooled,
    untraced: [],
    teardown: [ok('DROP', `DROP TABLE ${T}`)],
  };
}

for (const version of versionSet('mysql').versions) {
  describe(`mysql@${version}`, () => {
    test('under the preload: one span per statement in every call form, each under its caller; output as without the preload', async (t) => {
      if (!(await needService(t, 'mysql'))) return;
      const T = uniqueTable('mysql', version);
      const port = await closedPort();
      const args = [versionDir('mysql', version), T, String(port)];
      const expected = expectations(T);
      const count = Object.keys(expected).length + Object.values(expected).reduce((n, e) => n + e.length, 0);
      t.after(() => dropTable('mysql', version, T));
      const { result, spans } = await runTraced(agent, 'mysql-app.js', args, count);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /^out done $/m);
      const ctxLines = result.stdout.split('\n').filter((l) => l.startsWith('ctx '));
      assert.ok(ctxLines.length >= 25, `context was checked (${ctxLines.length} places)`);
      assert.deepEqual(ctxLines.filter((l) => !l.endsWith(' ok')), [], 'app code ran in its caller\'s context');

      checkScenarios(spans, expected, {
        'span.kind': 'client', component: 'mysql', 'db.type': 'sql', 'db.instance': 'test', 'db.user': 'root',
        'peer.hostname': '127.0.0.1', 'peer.service': 'mysql',
      });
      const ports = spans.filter((s) => tagsOf(s)['db.statement'] !== undefined).map((s) => tagsOf(s)['peer.port']);
      assert.deepEqual([...new Set(ports)].sort(), [3306n, BigInt(port)].sort(), 'peer.port: the server, and the closed port');

      const plain = await runPlain('mysql-app.js', args);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(appLines(result.stdout), appLines(plain.stdout));
    });

    test('an unhandled query error still crashes the app the same way (no error listener added)', async (t) => {
      if (!(await needService(t, 'mysql'))) return;
      const args = ['mysql', versionDir('mysql', version)];
      const env = { JAEGER_SERVICE_NAME: 'mysql-unhandled', JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port) };
      const traced = await runFixture('mysql-unhandled.js', { args, env });
      const plain = await runFixture('mysql-unhandled.js', { args, env, preload: false });
      assert.equal(plain.stdout, 'querying\n');
      assert.equal(traced.stdout, plain.stdout);
      assert.equal(plain.code, 1);
      assert.equal(traced.code, plain.code);
      const thrown = (s: string) => s.split('\n').find((l) => /^\w*Error/.test(l));
      assert.match(String(thrown(plain.stderr)), /ER_PARSE_ERROR: You have an error in your SQL syntax/);
      assert.equal(thrown(traced.stderr), thrown(plain.stderr));
    });

    describe('in process', () => {
      let env: ReturnType<typeof patchInProcess>;
      before(() => { env = patchInProcess(definitions, 'mysql', version); });
      after(() => {
        env.unpatch();
        setTracer(undefined);
        setDbSettings(undefined);
      });

      test('JAEGER_DB_CAPTURE_PARAMS: db.params for every way values are given', async (t) => {
        if (!(await needService(t, 'mysql'))) return;
        setDbSettings({ captureParams: true });
        const mysql = env.load('mysql');
        const conn = mysql.createConnection(MYSQL);
        const pool = mysql.createPool(MYSQL);
        const from = env.reporter.spans.length;
        const run = (start: (cb: (err: unknown) => void) => unknown) => new Promise<void>((resolve, reject) => {
          start((err) => (err ? reject(err) : resolve()));
        });
        try {
          await run((cb) => conn.query('SELECT ? AS a, ? AS b', [1, 'x'], cb));
          await run((cb) => conn.query({ sql: 'SELECT ? AS a', values: [2] }, cb));
          await run((cb) => conn.query({ sql: 'SELECT ? AS a', values: ['ignored'] }, [3], cb));
          await run((cb) => conn.query('SELECT ? AS a', 4, cb));
          await run((cb) => pool.query('SELECT ? AS a', ['pooled'], cb));
          await run((cb) => conn.query('SELECT 1 AS none', cb));
        } finally {
          conn.end();
          await new Promise((resolve) => pool.end(resolve));
          setDbSettings(undefined);
        }
        const got = env.reporter.spans.slice(from).map((s) => spanTags(s)['db.params']);
        assert.deepEqual(got, ['[1,"x"]', '[2]', '[3]', '4', '["pooled"]', undefined]);
      });

      test('socketPath: peer.address instead of host and port; the refused socket fails the span', async () => {
        const mysql = env.load('mysql');
        const conn = mysql.createConnection({ socketPath: '/nonexistent/jaeger-auto-mysql.sock', user: 'app' });
        const from = env.reporter.spans.length;
        const err = await new Promise<any>((resolve) => conn.query('SELECT 1', resolve));
        assert.equal(err.code, 'ENOENT');
        const [span] = env.reporter.spans.slice(from);
        const tags = spanTags(span);
        assert.equal(tags['peer.address'], '/nonexistent/jaeger-auto-mysql.sock');
        assert.equal(tags['peer.hostname'], undefined);
        assert.equal(tags['peer.port'], undefined);
        assert.equal(tags['db.user'], 'app');
        assert.equal(tags.error, true);
      });

      test('untraced scopes and a stopped tracer make no span and leave results alone', async (t) => {
        if (!(await needService(t, 'mysql'))) return;
        const mysql = env.load('mysql');
        const conn = mysql.createConnection(MYSQL);
        const from = env.reporter.spans.length;
        const rows1 = await new Promise<any>((resolve, reject) => runUntraced(() => conn.query('SELECT 1 AS x', (e: unknown, r: unknown) => (e ? reject(e) : resolve(r)))));
        setTracer(undefined);
        try {
          const rows2 = await new Promise<any>((resolve, reject) => conn.query('SELECT ? AS x', [2], (e: unknown, r: unknown) => (e ? reject(e) : resolve(r))));
          assert.deepEqual([rows1[0].x, rows2[0].x], [1, 2]);
        } finally {
          setTracer(env.tracer);
          conn.end();
        }
        assert.equal(env.reporter.spans.length, from);
      });

      test('a span in the caller\'s trace, its callback in the caller\'s scope; the pool\'s connection opened elsewhere', async (t) => {
        if (!(await needService(t, 'mysql'))) return;
        const mysql = env.load('mysql');
        const pool = mysql.createPool({ ...MYSQL, connectionLimit: 1 });
        const opener = env.tracer.startSpan('opener');
        await activate(opener, () => new Promise((resolve) => pool.query('SELECT 1', resolve)));
        const caller = env.tracer.startSpan('caller');
        const from = env.reporter.spans.length;
        const seen = await activate(caller, () => new Promise((resolve) => pool.query('SELECT 2', () => resolve(activeSpan()))));
        await new Promise((resolve) => pool.end(resolve));
        opener.finish();
        caller.finish();
        assert.equal(seen, caller);
        const [span] = env.reporter.spans.slice(from);
        assert.equal(span.spanContext.parentId, caller.spanContext.spanId);
      });

      test('unpatching restores the original methods', () => {
        const mysql = env.load('mysql');
        const conn = mysql.createConnection(MYSQL);
        const pool = mysql.createPool(MYSQL);
        const protos = [Object.getPrototypeOf(conn), Object.getPrototypeOf(pool)];
        const wrapped = [protos[0].query, protos[1].getConnection];
        env.unpatch();
        assert.notEqual(protos[0].query, wrapped[0]);
        assert.notEqual(protos[1].getConnection, wrapped[1]);
        assert.equal(protos[0].query.name, 'query');
        conn.destroy();
        pool.end(() => {});
      });
    });
  });
}
