// graphql through the real entry point, for every version in test/versions/graphql.json:
// test/fixtures/graphql-app.js runs as `node -r ./register.js`, posts GraphQL documents to its own
// http server over raw sockets and exits; spans arrive at a fake agent that decodes real Thrift.
// Each run is compared with a run without the preload: every response identical.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { versionDir, versionSet } from '../helpers/versions';
import { needService } from '../helpers/services';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const ROOT_PARENT = '0000000000000000';
const PG_DIR = versionDir('pg', versionSet('pg').versions.at(-1)!);
const env = (extra: Record<string, string> = {}) => ({
  JAEGER_SERVICE_NAME: 'graphql-fixture', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
  JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port), ...extra,
});
const outLines = (r: FixtureResult) => r.stdout.split('\n').filter((l) => l.startsWith('out '));

// case → [operation name, graphql.operation.type, graphql.operation.name, resolvers with a resolve function]
const CASES: Record<string, [string, string, string | undefined, string[]]> = {
  named: ['query GetUser', 'query', 'GetUser', ['Query.user', 'User.friends']],
  anon: ['query', 'query', undefined, ['Query.hello']],
  lit: ['query Lit', 'query', 'Lit', ['Query.user', 'Query.num']],
  fail: ['query Failing', 'query', 'Failing', ['Query.hello', 'Query.fail']],
  coerce: ['query Coerce', 'query', 'Coerce', []],
  down: ['query Down', 'query', 'Down', ['Query.down']],
  mutation: ['mutation AddUser', 'mutation', 'AddUser', ['Mutation.addUser']],
  multi: ['query B', 'query', 'B', ['Query.num']],
  sync: ['query Sync', 'query', 'Sync', ['Query.hello']],
  positional: ['query Positional', 'query', 'Positional', ['Query.hello']],
  db: ['query Db', 'query', 'Db', ['Query.db']],
};

function casesFor(version: string): string[] {
  return Object.keys(CASES).filter((c) => c !== 'positional' || version.startsWith('15.'));
}

/** Spans per case: server + operation (+ resolvers) (+ down: client + leaf server; db: SELECT). */
function expectedSpans(cases: string[], resolvers: boolean): number {
  let n = 1; // pg.connect, a root: the client connects before any request
  for (const c of cases) {
    n += 2 + (resolvers ? CASES[c][3].length : 0);
    if (c === 'down') n += 2;
    if (c === 'db') n += 1;
  }
  return n;
}

async function runBoth(version: string, extraEnv: Record<string, string>, execArgv: string[] = []) {
  const dir = versionDir('graphql', version);
  const resolvers = extraEnv.JAEGER_GRAPHQL_RESOLVER_SPANS === 'true';
  const cases = casesFor(version);
  const expected = expectedSpans(cases, resolvers);
  const from = agent.batches.length;
  const traced = await runFixture('graphql-app.js', { env: env(extraEnv), args: [dir, PG_DIR], execArgv });
  const plain = await runFixture('graphql-app.js', { env: env(), args: [dir, PG_DIR], preload: false, execArgv });
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(traced.code, 0, traced.stderr);
  assert.equal(outLines(plain).length, 1 + cases.length, plain.stdout);
  assert.deepEqual(outLines(traced), outLines(plain), 'responses and function identities are the same with and without the preload');
  assert.equal(traced.stderr, '', 'nothing on stderr');
  const spansOf = () => agent.batches.slice(from).flatMap((b) => b.batch.spans);
  await agent.waitFor(() => spansOf().length >= expected, 10_000, `${expected} spans of graphql-app.js`);
  assert.equal(agent.errors.length, 0);
  const spans = spansOf();
  assert.equal(spans.length, expected, `spans: ${spans.map((s) => s.operationName).join(', ')}`);
  return { spans, cases, traced };
}

const childrenOf = (spans: DecodedSpan[], parent: DecodedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);

/** The operation span of one case: the only child of its request's root server span. */
function operationOf(spans: DecodedSpan[], name: string): DecodedSpan {
  const servers = spans.filter((s) => tagMap(s.tags)['http.url'] === `/graphql/${name}` && s.parentSpanId === ROOT_PARENT);
  assert.equal(servers.length, 1, `one root server span for case ${name}`);
  assert.equal(tagMap(servers[0].tags)['span.kind'], 'server');
  const kids = childrenOf(spans, servers[0]);
  assert.equal(kids.length, 1, `case ${name}: the operation is the server span's only child`);
  assert.equal(kids[0].traceIdLow, servers[0].traceIdLow);
  return kids[0];
}

function assertCases(spans: DecodedSpan[], cases: string[], resolvers: boolean): void {
  for (const c of cases) {
    const [operation, type, name, resolved] = CASES[c];
    const op = operationOf(spans, c);
    const tags = tagMap(op.tags);
    assert.equal(op.operationName, operation, `case ${c}`);
    assert.equal(tags.component, 'graphql');
    assert.equal(tags['graphql.operation.type'], type);
    assert.equal(tags['graphql.operation.name'], name);
    const failed = c === 'fail' || c === 'coerce';
    assert.equal(tags.error, failed ? true : undefined, `case ${c}: error tag`);
    assert.equal(op.logs?.length ?? 0, failed ? 1 : 0, `case ${c}: logs`);
    const kids = childrenOf(spans, op);
    const fieldKids = kids.filter((k) => k.operationName.startsWith('resolve '));
    if (resolvers) {
      const all = resolved.filter((r) => r !== 'User.friends'); // friends is under user
      assert.deepEqual(fieldKids.map((k) => k.operationName).sort(), all.map((r) => `resolve ${r}`).sort(), `case ${c}: field spans`);
      for (const k of fieldKids) {
        const kt = tagMap(k.tags);
        assert.equal(kt.component, 'graphql');
        assert.equal(kt['graphql.field.path'], String(kt['graphql.field.name']).split('.')[1]);
      }
    } else {
      assert.equal(fieldKids.length, 0, `case ${c}: no field spans`);
    }
  }
}

for (const version of versionSet('graphql').versions) {
  for (const resolvers of [false, true]) {
    test(`graphql@${version} under the preload${resolvers ? ' with resolver spans' : ''}: operation spans, errors, children, identical responses`, async (t: TestContext) => {
      if (!(await needService(t, 'postgres'))) return;
      const { spans, cases } = await runBoth(version, resolvers ? { JAEGER_GRAPHQL_RESOLVER_SPANS: 'true' } : {});
      assertCases(spans, cases, resolvers);

      const named = operationOf(spans, 'named');
      assert.equal(tagMap(named.tags)['graphql.document'], 'query GetUser($id: ID!) { user(id: $id) { id name friends { name } } }');
      const lit = tagMap(operationOf(spans, 'lit').tags)['graphql.document'];
      assert.equal(lit, 'query Lit { user(id: "*") { name } num(n: *) }', 'literals masked, the comment dropped');

      const fail = operationOf(spans, 'fail');
      const failLog = tagMap(fail.logs![0].fields);
      assert.equal(failLog.event, 'error');
      assert.equal(failLog.message, 'boom in resolver');
      assert.equal(failLog['graphql.error.path'], 'fail');
      const coerceLog = tagMap(operationOf(spans, 'coerce').logs![0].fields);
      assert.match(String(coerceLog.message), /^Variable "\$n" (got|has) invalid value$/);
      // Ids, times and durations are left out: a random id or a timestamp may contain 31337 by chance.
      const machineFields = new Set(['traceIdLow', 'traceIdHigh', 'spanId', 'parentSpanId', 'startTime', 'duration', 'timestamp', 'references']);
      const everything = JSON.stringify(spans, (k, v) => (machineFields.has(k) ? undefined : typeof v === 'bigint' ? String(v) : v));
      for (const secret of ['secret-variable-value', 'secret-literal-7', '31337', 'a comment']) {
        assert.ok(!everything.includes(secret), `${secret} recorded nowhere`);
      }

      // A call made by a resolver is a child of the operation (or of the resolver's span).
      const down = operationOf(spans, 'down');
      const db = operationOf(spans, 'db');
      const under = (op: DecodedSpan) => (resolvers ? childrenOf(spans, childrenOf(spans, op)[0]) : childrenOf(spans, op));
      const client = under(down);
      assert.equal(client.length, 1);
      assert.equal(tagMap(client[0].tags)['span.kind'], 'client');
      assert.equal(childrenOf(spans, client[0]).length, 1, 'the leaf server span under the client span');
      const select = under(db);
      assert.equal(select.length, 1);
      assert.equal(select[0].operationName, 'SELECT');
      assert.equal(tagMap(select[0].tags).component, 'pg');

      if (resolvers) {
        const [user] = childrenOf(spans, named);
        assert.equal(user.operationName, 'resolve Query.user');
        const friends = childrenOf(spans, user);
        assert.equal(friends.length, 1, 'User.friends under Query.user');
        assert.equal(friends[0].operationName, 'resolve User.friends');
        assert.equal(tagMap(friends[0].tags)['graphql.field.path'], 'user.friends');
        const failing = childrenOf(spans, fail).find((s) => s.operationName === 'resolve Query.fail')!;
        assert.equal(tagMap(failing.tags).error, true, 'the throwing resolver');
        assert.equal(tagMap(failing.logs![0].fields).message, 'boom in resolver');
      }
    });
  }
}

// On this Node, require('graphql') 17 loads its ES module build (export condition module-sync);
// without require(esm) it loads the CommonJS build, whose main module we then see as exports.
test('graphql 17 loaded as CommonJS (--no-experimental-require-module): the same operation spans', async (t: TestContext) => {
  if (!(await needService(t, 'postgres'))) return;
  const version = versionSet('graphql').versions.at(-1)!;
  const { spans, cases, traced } = await runBoth(version, {}, ['--no-experimental-require-module']);
  assert.equal(traced.stderr, '');
  assertCases(spans, cases, false);
});

test('graphql: an unsampled request runs the same and reports nothing', async (t: TestContext) => {
  if (!(await needService(t, 'postgres'))) return;
  const version = versionSet('graphql').versions.at(-1)!;
  const dir = versionDir('graphql', version);
  const from = agent.batches.length;
  const traced = await runFixture('graphql-app.js', { env: env({ JAEGER_SAMPLER_PARAM: '0', JAEGER_GRAPHQL_RESOLVER_SPANS: 'true' }), args: [dir, PG_DIR] });
  const plain = await runFixture('graphql-app.js', { env: env(), args: [dir, PG_DIR], preload: false });
  assert.equal(traced.code, 0, traced.stderr);
  assert.deepEqual(outLines(traced), outLines(plain));
  assert.equal(agent.batches.slice(from).flatMap((b) => b.batch.spans).length, 0);
});
