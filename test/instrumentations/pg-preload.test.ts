// The pg instrumentation through the real entry point, for every version in test/versions/pg.json:
// test/fixtures/pg-app.js runs as `node -r ./register.js` against the real PostgreSQL on
// 127.0.0.1:5432 (the hook finds pg in the version folder and checks its version), reporting to a
// fake agent that decodes real Thrift. Each suite also runs without the preload: the app's `out`
// lines must be byte-identical, and under the preload every `ctx` line must say ok.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { needService } from '../helpers/services';
import { versionDir, versionSet } from '../helpers/versions';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const ROOT_PARENT = '0000000000000000';
const UNKNOWN_ROLE = 'jaeger_auto_no_such_role';
const env = (extra: Record<string, string> = {}) => ({
  JAEGER_SERVICE_NAME: 'pg-fixture', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
  JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port), ...extra,
});

const lines = (r: FixtureResult, kind: 'out' | 'ctx') => r.stdout.split('\n').filter((l) => l.startsWith(`${kind} `));

interface Run { traced: FixtureResult; spans: DecodedSpan[] }

/**
 * Runs suite `suite` of pg-app.js for one pg version with and without the preload; checks exit
 * codes, empty stderr, identical `out` lines and all-ok `ctx` lines; waits for `expected` spans.
 */
async function runSuite(version: string, suite: string, expected: number): Promise<Run> {
  const args = [versionDir('pg', version), suite];
  const from = agent.batches.length;
  const traced = await runFixture('pg-app.js', { env: env(), args });
  const plain = await runFixture('pg-app.js', { env: env(), args, preload: false });
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(traced.code, 0, traced.stderr);
  assert.equal(traced.stderr, '');
  assert.ok(lines(plain, 'out').length > 0, 'the suite printed what the app saw');
  assert.deepEqual(lines(traced, 'out'), lines(plain, 'out'), 'the app sees the same with and without the preload');
  const ctx = lines(traced, 'ctx');
  assert.ok(ctx.length > 0);
  assert.deepEqual(ctx.filter((l) => !l.endsWith(' ok')), [], 'app code ran in its caller\'s context');
  const spansOf = () => agent.batches.slice(from).flatMap((b) => b.batch.spans);
  await agent.waitFor(() => spansOf().length >= expected, 5000, `${expected} spans of pg-app.js ${suite}`);
  assert.equal(agent.errors.length, 0);
  const spans = spansOf();
  assert.equal(spans.length, expected, `spans: ${spans.map((s) => s.operationName).join(', ')}`);
  return { traced, spans };
}

/** The spans made inside scenario `name`, in start order (and the scenario span itself). */
function childrenOf(spans: DecodedSpan[], name: string): { scenario: DecodedSpan; children: DecodedSpan[] } {
  const found = spans.filter((s) => s.operationName === `scenario ${name}`);
  assert.equal(found.length, 1, `one scenario ${name} span`);
  const scenario = found[0];
  assert.equal(scenario.parentSpanId, ROOT_PARENT);
  const children = spans.filter((s) => s.parentSpanId === scenario.spanId)
    .sort((a, b) => (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0));
  for (const c of children) assert.equal(c.traceIdLow, scenario.traceIdLow, `${c.operationName} in the scenario's trace`);
  return { scenario, children };
}

const CONNECTION_TAGS = {
  'span.kind': 'client', component: 'pg', 'db.type': 'sql', 'db.instance': 'test', 'db.user': 'postgres',
  'peer.hostname': '127.0.0.1', 'peer.port': 5432n, 'peer.service': 'postgresql',
};

function assertQuerySpan(span: DecodedSpan, operation: string, statement: string, extra: Record<string, unknown> = {}): void {
  assert.equal(span.operationName, operation);
  assert.deepEqual(tagMap(span.tags), { ...CONNECTION_TAGS, 'db.statement': statement, ...extra }, `tags of ${operation}`);
  assert.equal(span.logs?.length ?? 0, 0, `${operation}: no logs`);
}

function assertConnectSpan(span: DecodedSpan, tags: Record<string, unknown> = CONNECTION_TAGS): void {
  assert.equal(span.operationName, 'pg.connect');
  assert.deepEqual(tagMap(span.tags), tags);
}

/** error=true and one error log: event, error.kind and message as the app saw them, and a stack. */
function assertErrorSpan(span: DecodedSpan, kind: string, message: string | RegExp): void {
  const tags = tagMap(span.tags);
  assert.equal(tags.error, true, `${span.operationName}: error tag`);
  assert.equal(span.logs?.length, 1, `${span.operationName}: one log`);
  const fields = tagMap(span.logs![0].fields);
  assert.equal(fields.event, 'error');
  assert.equal(fields['error.kind'], kind);
  if (typeof message === 'string') assert.equal(fields.message, message);
  else assert.match(String(fields.message), message);
  assert.match(String(fields.stack), /\n\s+at /, 'a stack');
}

// What each scenario of the `forms` suite must produce under it, in order: [operation, db.statement].
const FORMS: Record<string, Array<[string, string?]>> = {
  'connect-promise': [['pg.connect']],
  'connect-callback': [['pg.connect']],
  'text-promise': [['SELECT', 'SELECT ? AS n']],
  'text-values-promise': [['SELECT', 'SELECT $1::int + ? AS n']],
  'text-callback': [['SELECT', 'SELECT ? AS n']],
  'text-values-callback': [['SELECT', 'SELECT $1::text AS s']],
  'config-promise': [['SELECT', 'SELECT $1::int AS n, $2::text AS s']],
  'config-callback-arg': [['SELECT', 'SELECT $1::int AS a, $2::int AS b']],
  'config-callback-prop': [['SELECT', 'SELECT ? AS n']],
  named: [['SELECT', 'SELECT $1::int * ? AS d'], ['SELECT', 'SELECT $1::int * ? AS d']],
  table: [
    ['CREATE', 'CREATE TEMP TABLE pg_fixture_items (id int PRIMARY KEY, name text)'],
    ['INSERT pg_fixture_items', 'INSERT INTO pg_fixture_items (id, name) VALUES ($1, $2), (?, ?)'],
    ['UPDATE pg_fixture_items', 'UPDATE pg_fixture_items SET name = $1 WHERE id = $2'],
    ['SELECT pg_fixture_items', 'SELECT id, name FROM pg_fixture_items WHERE id < ? ORDER BY id'],
    ['DELETE pg_fixture_items', 'DELETE FROM pg_fixture_items WHERE id = ?'],
    ['DROP', 'DROP TABLE pg_fixture_items'],
  ],
  'submittable-query': [['SELECT', 'SELECT generate_series(?, ?) AS n']],
  'submittable-query-callback': [['SELECT', 'SELECT ? AS n']],
  cursor: [['SELECT', 'SELECT generate_series(?, ?) AS n']],
  stream: [['SELECT', 'SELECT generate_series(?, ?) AS n']],
  'pool-query-promise': [['pg.connect'], ['SELECT', 'SELECT $1::int AS n']],
  'pool-query-callback': [['SELECT', 'SELECT ? AS n']],
  'pool-connect-callback': [['SELECT', 'SELECT ? AS n']],
  'pool-connect-promise': [['SELECT', 'SELECT ? AS n']],
};

const count = (table: Record<string, unknown[]>) => Object.values(table).reduce((n, c) => n + 1 + c.length, 0);

async function skipWithoutPostgres(t: TestContext): Promise<boolean> {
  return needService(t, 'postgres');
}

for (const version of versionSet('pg').versions) {
  test(`pg@${version} under the preload: every call form makes one span per query with exact tags, callbacks in the caller's context`, async (t) => {
    if (!await skipWithoutPostgres(t)) return;
    const { spans } = await runSuite(version, 'forms', count(FORMS));
    for (const [name, want] of Object.entries(FORMS)) {
      const { children } = childrenOf(spans, name);
      assert.deepEqual(children.map((c) => c.operationName), want.map(([op]) => op), `spans under ${name}`);
      children.forEach((span, i) => {
        const [op, statement] = want[i];
        if (op === 'pg.connect') assertConnectSpan(span);
        else assertQuerySpan(span, op, statement!, name === 'named' ? { 'db.statement.name': 'pg-fixture-double' } : {});
      });
    }
  });

  test(`pg@${version} under the preload: failures make error spans and reach the app unchanged`, async (t) => {
    if (!await skipWithoutPostgres(t)) return;
    const ERRORS: Record<string, string[]> = {
      'syntax-promise': ['SELEC'],
      'syntax-callback': ['SELEC'],
      'missing-table-promise': ['SELECT pg_fixture_no_such_table'],
      'missing-table-callback': ['SELECT pg_fixture_no_such_table'],
      'null-query': [],
      'refused-connect-promise': ['pg.connect'],
      'refused-connect-callback': ['pg.connect'],
      'refused-pool-query': ['pg.connect'],
      'unknown-role-connect': ['pg.connect'],
      'unknown-role-pool-query': ['pg.connect'],
      'read-timeout': ['pg.connect', 'SELECT'],
      'closed-client': ['pg.connect', 'SELECT'],
    };
    const { traced, spans } = await runSuite(version, 'errors', count(ERRORS) + 1);
    // The suite's own client connects outside any scenario: a root pg.connect span.
    const roots = spans.filter((s) => s.parentSpanId === ROOT_PARENT && !s.operationName.startsWith('scenario '));
    assert.deepEqual(roots.map((s) => s.operationName), ['pg.connect']);
    for (const [name, ops] of Object.entries(ERRORS)) {
      assert.deepEqual(childrenOf(spans, name).children.map((c) => c.operationName), ops, `spans under ${name}`);
    }
    // Kind and message as the app printed them ("out <scenario> <Class> name=<name> code=<code> <message>").
    const seen = (name: string) => {
      const line = lines(traced, 'out').find((l) => l.startsWith(`out ${name} `) && / name=/.test(l));
      const m = / name=(\S+) code=\S+ (.*)$/.exec(line ?? '');
      assert.ok(m, `the app saw an error in ${name}: ${line}`);
      return { kind: m[1], message: m[2] };
    };
    const STATEMENTS: Record<string, string> = {
      'syntax-promise': 'SELEC ?',
      'syntax-callback': 'SELEC ?',
      'missing-table-promise': 'SELECT * FROM pg_fixture_no_such_table WHERE id = $1',
      'missing-table-callback': 'SELECT * FROM pg_fixture_no_such_table',
    };
    for (const [name, statement] of Object.entries(STATEMENTS)) {
      const [span] = childrenOf(spans, name).children;
      const { kind, message } = seen(name);
      assertErrorSpan(span, kind, message);
      const { error, ...tags } = tagMap(span.tags);
      assert.deepEqual(tags, { ...CONNECTION_TAGS, 'db.statement': statement });
    }
    for (const name of ['refused-connect-promise', 'refused-connect-callback', 'refused-pool-query']) {
      const [span] = childrenOf(spans, name).children;
      assertErrorSpan(span, seen(name).kind, /^connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
      const tags = tagMap(span.tags);
      assert.equal(tags['peer.hostname'], '127.0.0.1');
      assert.notEqual(tags['peer.port'], 5432n, 'the closed port');
    }
    for (const name of ['unknown-role-connect', 'unknown-role-pool-query']) {
      const [span] = childrenOf(spans, name).children;
      assertErrorSpan(span, seen(name).kind, `role "${UNKNOWN_ROLE}" does not exist`);
      assert.equal(tagMap(span.tags)['db.user'], UNKNOWN_ROLE);
    }
    for (const [name, message] of [['read-timeout', 'Query read timeout'], ['closed-client', 'Client was closed and is not queryable']]) {
      const [connect, query] = childrenOf(spans, name).children;
      assertConnectSpan(connect); // a connect that worked carries no error
      assertErrorSpan(query, 'Error', message);
    }
    assert.equal(tagMap(childrenOf(spans, 'read-timeout').children[1].tags)['db.statement'], 'SELECT pg_sleep(?)');
  });

  test(`pg@${version} under the preload: two requests sharing a one-connection pool each keep their own context`, async (t) => {
    if (!await skipWithoutPostgres(t)) return;
    const POOL: Record<string, string[]> = {
      'connect-cb-a': ['pg.connect', 'SELECT'],
      'connect-cb-b': ['SELECT'],
      'connect-promise-a': ['SELECT'],
      'connect-promise-b': ['SELECT'],
      'query-cb-a': ['SELECT'],
      'query-cb-b': ['SELECT'],
      'query-promise-a': ['SELECT'],
      'query-promise-b': ['SELECT'],
      holder: ['SELECT'],
    };
    const { traced, spans } = await runSuite(version, 'pool', count(POOL));
    for (const [name, ops] of Object.entries(POOL)) {
      const { children } = childrenOf(spans, name);
      assert.deepEqual(children.map((c) => c.operationName), ops, `spans under ${name}`);
      const query = children[children.length - 1];
      if (name === 'holder') assertQuerySpan(query, 'SELECT', 'SELECT ? AS holder');
      else assertQuerySpan(query, 'SELECT', 'SELECT $1::text AS who');
    }
    // The untraced waiter, served from the holder's release, made no span, and ran untraced.
    assert.equal(spans.filter((s) => String(tagMap(s.tags)['db.statement']).includes('untraced_marker')).length, 0);
    assert.ok(lines(traced, 'ctx').includes('ctx untraced query callback ok'));

    // The checks above can fail: with the pg instrumentation off, the waiter's callbacks run in the
    // context of the request whose release served them.
    const control = await runFixture('pg-app.js', {
      env: env({ JAEGER_DISABLED_INSTRUMENTATIONS: 'pg' }), args: [versionDir('pg', version), 'pool'],
    });
    assert.equal(control.code, 0, control.stderr);
    assert.ok(lines(control, 'ctx').includes('ctx connect-cb-b connect callback WRONG'), control.stdout);
    assert.ok(lines(control, 'ctx').includes('ctx untraced query callback WRONG'), control.stdout);
  });

  test(`pg@${version} under the preload: a rejected query nobody catches ends the process as it does untraced`, async (t) => {
    if (!await skipWithoutPostgres(t)) return;
    const from = agent.batches.length;
    const args = [versionDir('pg', version), 'unhandled'];
    const traced = await runFixture('pg-app.js', { env: env(), args });
    const plain = await runFixture('pg-app.js', { env: env(), args, preload: false });
    assert.equal(plain.stdout, 'out unhandled querying\n');
    assert.equal(traced.stdout, plain.stdout);
    assert.equal(plain.code, 1);
    assert.equal(traced.code, plain.code);
    // The error as Node prints it (message, stack, fields) is the same. Only the source line Node
    // shows above it can differ: Node takes it from the first formatting of err.stack, and the error
    // log of the span reads err.stack before Node does.
    const printed = (stderr: string) => stderr.slice(stderr.indexOf('\n\n') + 2);
    assert.match(printed(plain.stderr), /^error: syntax error at or near "SELEC"\n/);
    assert.equal(printed(traced.stderr), printed(plain.stderr));
    await agent.waitFor((a) => a.batches.slice(from).flatMap((b) => b.batch.spans).some((s) => s.operationName === 'SELEC'), 5000, 'the failed query span');
    const failed = agent.batches.slice(from).flatMap((b) => b.batch.spans).find((s) => s.operationName === 'SELEC')!;
    assertErrorSpan(failed, 'error', 'syntax error at or near "SELEC"');
  });
}
