// The ioredis instrumentation through the real entry point, for every version in
// test/versions/ioredis.json: test/fixtures/ioredis-app.js runs against the real Redis on
// 127.0.0.1:6379 once under `node -r ./register.js` (spans decoded from real Thrift by a fake agent)
// and once without it; the app must see exactly the same replies, errors and events both times.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { needService } from '../helpers/services';
import { versionDir, versionSet } from '../helpers/versions';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const ROOT_PARENT = '0000000000000000';
const SCENARIOS = ['commands', 'db-user', 'offline', 'errors', 'pipeline', 'autopipeline', 'auth', 'untraced', 'cluster'];
const PASSWORDS = ['pw-user-db-8841', 'pw-connect-5521', 'pw-explicit-7730', 'pw-hello-9902'];
const VALUES = ['secret-value-'];
const set = versionSet('ioredis');

interface AppRun { traced: FixtureResult; plain: FixtureResult; spans: DecodedSpan[]; prefix: string }

async function runApp(version: string): Promise<AppRun> {
  const prefix = `jaeger-auto:test:ioredis:${process.pid}:${version}:`;
  const service = `ioredis-app-${version}`;
  const env = {
    IOREDIS_DIR: versionDir('ioredis', version), KEY_PREFIX: prefix,
    JAEGER_SERVICE_NAME: service, JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
    JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
  };
  const traced = await runFixture('ioredis-app.js', { env, timeoutMs: 30_000 });
  const plain = await runFixture('ioredis-app.js', { env, preload: false, timeoutMs: 30_000 });
  const mine = () => agent.batches.filter((b) => b.batch.process.serviceName === service).flatMap((b) => b.batch.spans);
  // The process flushes at exit; 'scenario cluster' is the last span it finishes.
  await agent.waitFor(() => mine().some((s) => s.operationName === 'scenario cluster'), 10_000, `spans of ${service}`);
  assert.deepEqual(agent.errors, []);
  return { traced, plain, spans: mine(), prefix };
}

const tagsOf = (s: DecodedSpan) => tagMap(s.tags);
const children = (spans: DecodedSpan[], parent: DecodedSpan) => spans
  .filter((s) => s.parentSpanId === parent.spanId && s.traceIdLow === parent.traceIdLow)
  .sort((a, b) => (a.startTime < b.startTime ? -1 : a.startTime > b.startTime ? 1 : 0));
const scenarioSpan = (spans: DecodedSpan[], name: string) => {
  const found = spans.filter((s) => s.operationName === `scenario ${name}`);
  assert.equal(found.length, 1, `one span "scenario ${name}"`);
  return found[0];
};
const errorLog = (s: DecodedSpan) => tagMap(s.logs?.find((l) => tagMap(l.fields).event === 'error')?.fields);

/** Every string a span carries: operation name, tag values, log field values. */
function stringsOf(s: DecodedSpan): string[] {
  const values = [s.operationName, ...(s.tags ?? []).map((t) => t.vStr ?? ''), ...(s.logs ?? []).flatMap((l) => l.fields.map((f) => f.vStr ?? ''))];
  return values.concat((s.tags ?? []).map((t) => t.key));
}

function assertCommandSpan(s: DecodedSpan, op: string, statement: string, extra: Record<string, unknown> = {}): void {
  const tags = tagsOf(s);
  assert.equal(s.operationName, op);
  assert.equal(tags['span.kind'], 'client', `${op}: span.kind`);
  assert.equal(tags.component, 'ioredis', `${op}: component`);
  assert.equal(tags['db.type'], 'redis', `${op}: db.type`);
  assert.equal(tags['peer.service'], 'redis', `${op}: peer.service`);
  assert.equal(tags['db.statement'], statement, `${op}: db.statement`);
  for (const [k, v] of Object.entries(extra)) assert.equal(tags[k], v, `${op}: ${k}`);
}

const connectionTags = (db = '0') => ({ 'db.instance': db, 'peer.hostname': '127.0.0.1', 'peer.port': 6379n });

for (const version of set.versions) {
  test(`ioredis@${version} under the preload (real Redis)`, async (t: TestContext) => {
    if (!(await needService(t, 'redis'))) return;
    const { traced, plain, spans, prefix: p } = await runApp(version);
    const outLines = (r: FixtureResult) => r.stdout.split('\n').filter((l) => l.startsWith('out '));

    await t.test('the app sees the same replies, errors, events and stderr with and without the preload', () => {
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(traced.code, 0, traced.stderr);
      assert.ok(outLines(plain).length >= 35, plain.stdout);
      assert.match(plain.stdout, /^out cluster silent /m, 'the plain run got to the end');
      assert.deepEqual(outLines(traced), outLines(plain));
      assert.equal(traced.stderr, plain.stderr);
      assert.doesNotMatch(traced.stdout, /scenario failed/);
    });

    await t.test('app code runs in its caller\'s context: promise continuations, callbacks, offline queue', () => {
      const ctx = traced.stdout.split('\n').filter((l) => l.startsWith('ctx '));
      assert.ok(ctx.length >= 11, traced.stdout);
      assert.deepEqual(ctx.filter((l) => !l.endsWith(' ok')), []);
    });

    await t.test('commands: one span per command, child of the caller, keys kept and values redacted', () => {
      const parent = scenarioSpan(spans, 'commands');
      const got = children(spans, parent);
      assert.deepEqual(got.map((s) => s.operationName), ['redis SET', 'redis GET', 'redis HSET', 'redis MGET', 'redis GET', 'redis DEL']);
      assertCommandSpan(got[0], 'redis SET', `SET ${p}user:1 ?`, connectionTags());
      assertCommandSpan(got[1], 'redis GET', `GET ${p}user:1`, connectionTags());
      assertCommandSpan(got[2], 'redis HSET', `HSET ${p}h ? ? ? ?`, connectionTags());
      assertCommandSpan(got[3], 'redis MGET', `MGET ${p}user:1 ${p}none`, connectionTags());
      assertCommandSpan(got[4], 'redis GET', `GET ${p}user:1`, connectionTags());
      assertCommandSpan(got[5], 'redis DEL', `DEL ${p}none`, connectionTags());
      for (const s of got) {
        assert.equal(tagsOf(s).error, undefined, `${s.operationName}: no error`);
        assert.equal(tagsOf(s)['db.user'], undefined, 'no db.user without a username');
        assert.ok(s.duration > 0n);
      }
    });

    await t.test('db.instance and db.user; commands queued while connecting; no spans for the connection set-up', () => {
      const parent = scenarioSpan(spans, 'db-user');
      const got = children(spans, parent);
      assert.deepEqual(got.map((s) => s.operationName), ['redis SET', 'redis GET', 'redis DEL']);
      for (const s of got) assert.equal(tagsOf(s)['db.user'], 'default');
      assertCommandSpan(got[0], 'redis SET', `SET ${p}db2 ?`, connectionTags('2'));
      // ioredis's own AUTH/HELLO, SELECT, CLIENT SETNAME/SETINFO, INFO (ready check) and the Cluster's
      // CLUSTER SLOTS/INFO are nowhere, not even as roots.
      const setup = spans.filter((s) => /^redis (AUTH|HELLO|SELECT|CLIENT|INFO|CLUSTER|READONLY)$/.test(s.operationName));
      const auth = scenarioSpan(spans, 'auth');
      assert.deepEqual(setup.filter((s) => s.parentSpanId !== auth.spanId).map((s) => s.operationName), []);
    });

    await t.test('offline queue: each command\'s parent is the span active when it was issued', () => {
      const parent = scenarioSpan(spans, 'offline');
      const [a, b] = ['offline a', 'offline b'].map((name) => spans.find((s) => s.operationName === name)!);
      assert.equal(a.parentSpanId, parent.spanId);
      assert.equal(b.parentSpanId, parent.spanId);
      const [ga] = children(spans, a);
      const [gb] = children(spans, b);
      assertCommandSpan(ga, 'redis GET', `GET ${p}user:1`, connectionTags());
      assertCommandSpan(gb, 'redis GET', `GET ${p}none`, connectionTags());
      assert.equal(children(spans, a).length, 1);
      assert.equal(children(spans, b).length, 1);
    });

    await t.test('errors: WRONGTYPE, unknown command, refused connection make error spans with the app\'s error', () => {
      const parent = scenarioSpan(spans, 'errors');
      const got = children(spans, parent);
      assert.deepEqual(got.map((s) => s.operationName), ['redis GET', 'redis GET', 'redis NOSUCHCMD', 'redis GET', 'redis GET']);
      for (const s of got) assert.equal(tagsOf(s).error, true, `${s.operationName} error=true`);
      assert.match(String(errorLog(got[0]).message), /^WRONGTYPE Operation against a key/);
      assert.equal(errorLog(got[0])['error.kind'], 'ReplyError');
      assert.match(String(errorLog(got[1]).message), /^WRONGTYPE/);
      assertCommandSpan(got[2], 'redis NOSUCHCMD', `NOSUCHCMD ${p}x`);
      assert.match(String(errorLog(got[2]).message), /^ERR unknown command 'NOSUCHCMD'/);
      for (const s of got.slice(3)) {
        assertCommandSpan(s, 'redis GET', `GET ${p}user:1`);
        assert.equal(errorLog(s).message, 'Connection is closed.');
        assert.notEqual(tagsOf(s)['peer.port'], 6379n);
      }
    });

    await t.test('pipeline and multi: one span per batch listing its commands, none per queued command', () => {
      const parent = scenarioSpan(spans, 'pipeline');
      const got = children(spans, parent);
      assert.deepEqual(got.map((s) => s.operationName),
        ['redis PIPELINE', 'redis PIPELINE', 'redis MULTI', 'redis MULTI', 'redis MULTI', 'redis DEL']);
      assertCommandSpan(got[0], 'redis PIPELINE', [`SET ${p}p ?`, `GET ${p}p`, `HSET ${p}ph ? ?`, `INCR ${p}p`].join('\n'),
        { ...connectionTags(), 'db.operation.batch.size': 4n, error: true });
      assert.match(String(errorLog(got[0]).message), /^ERR value is not an integer/);
      assertCommandSpan(got[1], 'redis PIPELINE', [`GET ${p}p`, `DEL ${p}ph`].join('\n'), { 'db.operation.batch.size': 2n, error: undefined });
      assertCommandSpan(got[2], 'redis MULTI', [`SET ${p}m ?`, `GET ${p}m`].join('\n'), { 'db.operation.batch.size': 2n, error: undefined });
      assertCommandSpan(got[3], 'redis MULTI', [`SET ${p}m`, `GET ${p}m`].join('\n'), { error: true });
      assert.match(String(errorLog(got[3]).message), /wrong number of arguments for 'set'/);
      assertCommandSpan(got[4], 'redis MULTI', `GET ${p}h`, { 'db.operation.batch.size': 1n, error: true });
      assert.match(String(errorLog(got[4]).message), /^WRONGTYPE/);
      for (const s of got) assert.deepEqual(children(spans, s), []);
    });

    await t.test('auto-pipelining: each command keeps its own span under its own caller, no PIPELINE span', () => {
      const parent = scenarioSpan(spans, 'autopipeline');
      const [a, b] = ['autopipeline a', 'autopipeline b'].map((name) => spans.find((s) => s.operationName === name)!);
      assert.deepEqual(children(spans, parent).map((s) => s.operationName), ['autopipeline a', 'autopipeline b']);
      const ga = children(spans, a);
      const gb = children(spans, b);
      assert.deepEqual(ga.map((s) => s.operationName), ['redis GET']);
      assertCommandSpan(ga[0], 'redis GET', `GET ${p}user:1`, { ...connectionTags(), error: undefined });
      assert.deepEqual(gb.map((s) => tagsOf(s)['db.statement']).sort(), [`GET ${p}h`, `HGET ${p}h ?`]);
      assert.equal(gb.find((s) => s.operationName === 'redis GET')?.tags?.some((t) => t.key === 'error'), true, 'WRONGTYPE');
      assert.deepEqual(spans.filter((s) => s.operationName === 'redis PIPELINE' && s.parentSpanId !== scenarioSpan(spans, 'pipeline').spanId), []);
    });

    await t.test('AUTH and HELLO: no credential anywhere; the app saw the server\'s answers unchanged', () => {
      const parent = scenarioSpan(spans, 'auth');
      const got = children(spans, parent);
      assert.deepEqual(got.map((s) => s.operationName), ['redis PING', 'redis AUTH', 'redis HELLO']);
      assertCommandSpan(got[1], 'redis AUTH', 'AUTH ?', { error: true });
      assertCommandSpan(got[2], 'redis HELLO', 'HELLO ?', { error: undefined });
      const everything = spans.flatMap(stringsOf).join('\n');
      for (const secret of [...PASSWORDS, ...VALUES]) assert.ok(!everything.includes(secret), `"${secret}" in a span`);
      assert.ok(PASSWORDS.every((pw) => !traced.stdout.includes(pw) && !traced.stderr.includes(pw)));
    });

    await t.test('runUntraced: no span', () => {
      assert.deepEqual(children(spans, scenarioSpan(spans, 'untraced')), []);
    });

    await t.test('Cluster: same errors and events as without the preload, one error span per command', () => {
      const parent = scenarioSpan(spans, 'cluster');
      const got = children(spans, parent);
      assert.deepEqual(got.map((s) => s.operationName), ['redis GET', 'redis SET', 'redis GET']);
      assertCommandSpan(got[0], 'redis GET', `GET ${p}user:1`, { error: true, 'peer.hostname': undefined });
      assertCommandSpan(got[1], 'redis SET', `SET ${p}c ?`, { error: true });
      for (const s of got) assert.equal(errorLog(s).message, 'None of startup nodes is available');
      assert.match(traced.stdout, /out cluster events \+node \| node error .*cluster support disabled \| error ClusterAllFailedError/);
    });

    await t.test('nothing else: every span is a scenario or a descendant of one (no roots from ioredis itself)', () => {
      const ids = new Set(spans.map((s) => s.spanId));
      for (const s of spans) {
        if (s.parentSpanId === ROOT_PARENT) assert.match(s.operationName, /^scenario /);
        else assert.ok(ids.has(s.parentSpanId), `orphan ${s.operationName}`);
      }
      assert.deepEqual(spans.filter((s) => s.parentSpanId === ROOT_PARENT).map((s) => s.operationName).sort(),
        SCENARIOS.map((n) => `scenario ${n}`).sort());
    });
  });
}

test('an unhandled failed command still ends the app exactly as without the preload', async (t) => {
  if (!(await needService(t, 'redis'))) return;
  for (const version of set.versions) {
    const service = `ioredis-unhandled-${version}`;
    const env = {
      IOREDIS_DIR: versionDir('ioredis', version), JAEGER_SERVICE_NAME: service,
      JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
    };
    const traced = await runFixture('ioredis-unhandled.js', { env });
    const plain = await runFixture('ioredis-unhandled.js', { env, preload: false });
    assert.equal(plain.stdout, 'sending\n');
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /ERR unknown command 'NOSUCHCMD'/);
    assert.equal(traced.stdout, plain.stdout, version);
    assert.equal(traced.code, plain.code, version);
    assert.equal(traced.stderr, plain.stderr, version);
    // Not vacuous: the traced run did trace (its spans are flushed as the process exits).
    await agent.waitFor((a) => a.batches.some((b) => b.batch.process.serviceName === service
      && b.batch.spans.some((s) => s.operationName === 'redis PING')), 5000, `${service} spans`);
  }
});
