// The redis (node-redis) instrumentation through the real entry point, for every version in
// test/versions/redis.json: test/fixtures/redis-app.js runs as `node -r ./register.js` against the
// real Redis on 127.0.0.1:6379, reporting to a fake agent that decodes real Thrift. What the app
// sees is compared with a run without the preload.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { needService } from '../helpers/services';
import { versionDir, versionSet } from '../helpers/versions';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';

const ROOT_PARENT = '0000000000000000';
const set = versionSet('redis');

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

interface Run {
  result: FixtureResult;
  /** `result` lines, parsed, by step. */
  steps: Record<string, any>;
  resultLines: string[];
  /** Parent span ids the fixture printed, by name. */
  ids: Record<string, string>;
  spans: DecodedSpan[];
}

let runs = 0;

function parse(stdout: string) {
  const lines = stdout.split('\n');
  const resultLines = lines.filter((l) => l.startsWith('result '));
  const steps: Record<string, any> = {};
  for (const l of resultLines) {
    const { step, ...rest } = JSON.parse(l.slice(7));
    steps[step] = rest;
  }
  const ids: Record<string, string> = {};
  for (const l of lines.filter((x) => x.startsWith('ids '))) Object.assign(ids, JSON.parse(l.slice(4)));
  return { resultLines, steps, ids };
}

/** Runs a scenario of redis-app.js under the preload; waits until `ready(spans)` holds. */
async function traced(version: string, scenario: string, ready: (spans: DecodedSpan[], ids: Record<string, string>) => boolean,
  env: Record<string, string> = {}): Promise<Run> {
  const service = `redis-${scenario}-${++runs}`;
  const result = await runFixture('redis-app.js', {
    args: [scenario],
    env: {
      JAEGER_SERVICE_NAME: service, JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
      JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port),
      REDIS_DIR: versionDir(set.package, version), KEY_PREFIX: `jaeger-auto:test:${service}:${process.pid}:`, ...env,
    },
  });
  const parsed = parse(result.stdout);
  const mine = () => agent.batches.filter((b) => b.batch.process.serviceName === service).flatMap((b) => b.batch.spans);
  // A run that ends normally sends 'fixture-end' last; waiting for it makes "no such span" checks hold.
  const ended = (spans: DecodedSpan[]) => !parsed.steps.done || spans.some((s) => s.operationName === 'fixture-end');
  await agent.waitFor(() => ready(mine(), parsed.ids) && ended(mine()), 10_000,
    `spans of ${scenario} (stdout: ${result.stdout}, stderr: ${result.stderr})`);
  assert.deepEqual(agent.errors, []);
  return { result, ...parsed, spans: mine() };
}

async function plain(version: string, scenario: string, env: Record<string, string> = {}) {
  const result = await runFixture('redis-app.js', {
    args: [scenario], preload: false,
    env: { REDIS_DIR: versionDir(set.package, version), KEY_PREFIX: `jaeger-auto:test:plain-${++runs}:${process.pid}:`, ...env },
  });
  return { result, ...parse(result.stdout) };
}

/** What the app printed, with the per-run key prefix made neutral. */
const neutral = (lines: string[]) => lines.map((l) => l.replace(/jaeger-auto:test:[^:"']+:\d+:/g, 'P:'));

const tags = (s: DecodedSpan) => tagMap(s.tags);
const statement = (s: DecodedSpan) => String(tags(s)['db.statement']);
const described = (s: DecodedSpan) => `${s.operationName} | ${statement(s).replace(/jaeger-auto:test:[^:]+:\d+:/g, 'P:')}`;
const childrenOf = (spans: DecodedSpan[], id: string) => spans.filter((s) => s.parentSpanId === id);
const errorMessage = (s: DecodedSpan) => String(tagMap(s.logs?.[0]?.fields).message);

/** The connection handshake: CLIENT SETINFO (4.7+), HELLO (RESP3, the default from redis 6). */
const handshake = (s: DecodedSpan) => s.operationName === 'redis CLIENT' || s.operationName === 'redis HELLO';

function assertRedisTags(s: DecodedSpan, db: string | null = '0', user?: string) {
  const t = tags(s);
  assert.equal(t['db.user'], user, `${described(s)} db.user`);
  assert.equal(t['span.kind'], 'client', s.operationName);
  assert.equal(t.component, 'redis');
  assert.equal(t['db.type'], 'redis');
  if (db !== null) assert.equal(t['db.instance'], db, `${described(s)} db.instance`);
  else assert.match(String(t['db.instance']), /^\d+$/);
  assert.equal(t['peer.hostname'], '127.0.0.1');
  assert.equal(t['peer.port'], 6379n);
  assert.equal(t['peer.service'], 'redis');
  assert.match(s.operationName, /^redis [A-Z]+$/);
}

function assertError(s: DecodedSpan, message: RegExp) {
  assert.equal(tags(s).error, true, `${described(s)} is an error span`);
  const log = tagMap(s.logs?.[0]?.fields);
  assert.equal(log.event, 'error');
  assert.match(String(log.message), message, described(s));
}

function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    }).on('error', reject);
  });
}

const skip = async (t: TestContext) => !(await needService(t, 'redis'));

for (const version of set.versions) {
  describe(`redis@${version}`, () => {
    test('commands, MULTI, pipelines and databases: one span each, tags, statements, errors; app output unchanged', async (t) => {
      if (await skip(t)) return;
      const wanted = [
        'redis SET | SET P:offline ?', 'redis GET | GET P:offline', 'redis SET | SET P:raw ?', 'redis HSET | HSET P:hash ? ?',
        'redis LPUSH | LPUSH P:offline ?', 'redis NOPE | NOPE P:x',
        'redis GET | GET P:tick:1', 'redis GET | GET P:tick:2', 'redis GET | GET P:tick:3',
        'redis MULTI | SET P:m ?\nINCR P:n\nGET P:m',
        'redis MULTI | SET P:m2 ?\nLPUSH P:offline ?',
        'redis WATCH | WATCH P:w', 'redis SET | SET P:w ?', 'redis MULTI | SET P:w ?',
        'redis SET | SET P:p ?', 'redis GET | GET P:p',
        'redis SELECT | SELECT ?', 'redis GET | GET P:db', 'redis SELECT | SELECT ?', 'redis GET | GET P:db',
      ].sort();
      const kids = (spans: DecodedSpan[], ids: Record<string, string>) =>
        childrenOf(spans, ids.commands).filter((s) => !handshake(s));
      const run = await traced(version, 'commands', (spans, ids) => kids(spans, ids).length >= wanted.length
        && spans.filter((s) => s.operationName === 'redis QUIT').length === 3);
      assert.equal(run.result.code, 0, run.result.stderr);
      assert.equal(run.result.stderr, '');
      const base = await plain(version, 'commands');
      assert.equal(base.result.code, 0, base.result.stderr);
      assert.deepEqual(neutral(run.resultLines), neutral(base.resultLines));
      // The app sees MultiErrorReply (redis 4.1 returned the errors inside EXEC's reply) and WatchError.
      if (version !== '4.1.0') assert.equal(run.steps.multiError.error, 'MultiErrorReply');
      assert.equal(run.steps.watch.error, 'WatchError');

      const children = kids(run.spans, run.ids);
      assert.deepEqual(children.map(described).sort(), wanted);
      const [parent] = run.spans.filter((s) => s.spanId === run.ids.commands);
      assert.ok(parent, 'the parent span arrived');
      for (const s of children) assert.equal(s.traceIdLow, parent.traceIdLow);
      // The handshake of the clients connected inside the span belongs to it too.
      const shakes = childrenOf(run.spans, run.ids.commands).filter(handshake);
      if (version !== '4.1.0') assert.ok(shakes.length >= 2, 'CLIENT SETINFO of the two clients connected inside');
      for (const s of shakes) assertRedisTags(s, null);

      const find = (d: string) => children.filter((s) => described(s) === d);
      const byDb = find('redis GET | GET P:db').sort((a, b) => (a.startTime < b.startTime ? -1 : 1));
      for (const s of children) {
        if (s === byDb[1]) assertRedisTags(s, '4');
        else if (s === byDb[0] || (described(s) === 'redis SELECT | SELECT ?' && s.startTime > byDb[0].startTime)) assertRedisTags(s, '3');
        else assertRedisTags(s);
      }
      assertError(find('redis LPUSH | LPUSH P:offline ?')[0], /^WRONGTYPE /);
      assertError(find('redis NOPE | NOPE P:x')[0], /unknown command/);
      assertError(find('redis MULTI | SET P:m2 ?\nLPUSH P:offline ?')[0], /^WRONGTYPE /);
      assertError(find('redis MULTI | SET P:w ?')[0], /watched key changed/);
      assert.deepEqual(children.filter((s) => s.operationName === 'redis MULTI').map((s) => tags(s)['db.operation.batch.size']), [3n, 2n, 1n]);
      const ok = children.filter((s) => !/LPUSH|NOPE|MULTI \| SET P:w/.test(described(s)));
      for (const s of ok) assert.equal(tags(s).error, undefined, `${described(s)} is not an error`);
      // Queued commands made no span of their own, and a pipeline no MULTI span: counted above.
      assert.equal(run.spans.filter((s) => s.operationName === 'redis EXEC').length, 0);
      // Values never appear.
      const all = JSON.stringify(run.spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
      for (const value of ['offline-value', 'raw-value', 'hash-value', 'multi-value', 'pipe-value']) assert.ok(!all.includes(value), value);
    });

    test('AUTH / HELLO with credentials the server refuses: an error span without the password; the app sees WRONGPASS', async (t) => {
      if (await skip(t)) return;
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const env = { REDIS_TEST_PASSWORD: password };
      const isAuth = (s: DecodedSpan) => s.operationName === 'redis AUTH' || s.operationName === 'redis HELLO';
      const run = await traced(version, 'auth', (spans, ids) =>
        childrenOf(spans, ids.auth2).some(isAuth) && childrenOf(spans, ids.auth3).some(isAuth), env);
      assert.equal(run.result.code, 0, run.result.stderr);
      const base = await plain(version, 'auth', env);
      assert.deepEqual(run.resultLines, base.resultLines);
      for (const resp of [2, 3]) {
        assert.equal(run.steps[`errorEvent${resp}`].message, 'WRONGPASS invalid username-password pair or user is disabled.');
        assert.equal(run.steps[`connect${resp}`].error, 'ReconnectStrategyError');
        const [span] = childrenOf(run.spans, run.ids[`auth${resp}`]).filter(isAuth);
        assertRedisTags(span, '0', 'jaeger-user');
        assertError(span, /^WRONGPASS/);
        // RESP3 connects with HELLO 3 AUTH user password (redis 5+; redis 4 has no RESP3 and uses AUTH).
        assert.equal(statement(span), span.operationName === 'redis AUTH' ? 'AUTH ?' : 'HELLO ?');
      }
      if (Number(version.split('.')[0]) >= 5) {
        assert.equal(childrenOf(run.spans, run.ids.auth3).filter(isAuth)[0].operationName, 'redis HELLO');
      }
      const everything = JSON.stringify(run.spans, (_k, v) => (typeof v === 'bigint' ? String(v) : v)) + run.result.stderr;
      assert.ok(!everything.includes(password), 'the password appears nowhere');
    });

    test('connection refused: the command queued while connecting fails with an error span; the app sees the same', async (t) => {
      if (await skip(t)) return;
      const env = { CLOSED_PORT: String(await closedPort()) };
      const base = await plain(version, 'refused', env);
      assert.equal(base.result.code, 0, base.result.stderr);
      // redis 4.1 never settles a command queued offline when it gives up reconnecting (fixed later).
      const settles = base.steps.get !== undefined;
      const run = await traced(version, 'refused', (spans, ids) => !settles || childrenOf(spans, ids.refused).length >= 1, env);
      assert.equal(run.result.code, 0, run.result.stderr);
      assert.deepEqual(run.resultLines, base.resultLines);
      assert.equal(run.steps.connect.error, 'ReconnectStrategyError');
      // The app's own 'error' listener is the only one, before and after the failure.
      const listeners = run.resultLines.filter((l) => l.includes('"listeners"'));
      assert.ok(listeners.length >= 1);
      for (const l of listeners) assert.equal(l, 'result {"step":"listeners","error":1}');
      const kids = childrenOf(run.spans, run.ids.refused);
      if (!settles) {
        assert.deepEqual(kids, []);
        return;
      }
      assert.match(run.steps.get.message, /ECONNREFUSED/);
      assert.equal(kids.length, 1);
      assert.equal(described(kids[0]), 'redis GET | GET P:never');
      assertError(kids[0], /ECONNREFUSED/);
      assert.equal(errorMessage(kids[0]), run.steps.get.message);
      assert.equal(tags(kids[0])['peer.port'], BigInt(env.CLOSED_PORT));
    });

    test('connection refused without an error listener: the app behaves exactly as it does untraced', async (t) => {
      if (await skip(t)) return;
      const env = { CLOSED_PORT: String(await closedPort()) };
      const run = await traced(version, 'unhandled', () => true, env);
      const base = await plain(version, 'unhandled', env);
      assert.equal(run.result.code, base.result.code);
      assert.equal(run.result.signal, base.result.signal);
      // The client's unhandled 'error' event rejects connect(); with a listener of ours it would not.
      assert.deepEqual(run.resultLines, base.resultLines);
      assert.match(run.steps.connect.message, /ECONNREFUSED/);
      assert.equal(run.result.stderr, base.result.stderr);
    });

    for (const form of ['raw', 'typed'] as const) {
      test(`a failed command whose rejection the app leaves unhandled (${form}) still kills the process, with the same report`, async (t) => {
        if (await skip(t)) return;
        const run = await traced(version, `rejection-${form}`, () => true);
        const base = await plain(version, `rejection-${form}`);
        assert.equal(base.result.code, 1, base.result.stderr);
        assert.match(base.result.stderr, /WRONGTYPE/);
        assert.equal(run.result.code, base.result.code);
        assert.equal(run.result.stderr, base.result.stderr);
        assert.deepEqual(run.resultLines, base.resultLines);
      });
    }

    test('a client pool (redis 5+): a command that waited for a free client is still its caller\'s child', async (t) => {
      if (await skip(t)) return;
      if (Number(version.split('.')[0]) < 5) {
        t.skip('createClientPool came with redis 5');
        return;
      }
      const run = await traced(version, 'pool', (spans, ids) => Array.from({ length: 10 }).every((_, n) => spans.some((s) => s.spanId === ids[`pooled-${n}`])));
      assert.equal(run.result.code, 0, run.result.stderr);
      for (let n = 0; n < 10; n++) {
        assert.deepEqual(childrenOf(run.spans, run.ids[`pooled-${n}`]).map(described), [`redis GET | GET P:pool:${n}`], `request ${n}`);
      }
    });

    test('context: each command is the child of the span active when it was issued, never of the connecting one', async (t) => {
      if (await skip(t)) return;
      const pings = version !== '4.1.0'; // pingInterval came with redis 4.6
      const run = await traced(version, 'context', (spans, ids) =>
        Array.from({ length: 20 }).every((_, n) => childrenOf(spans, ids[`request-${n}`]).length === 1)
        && spans.some((s) => s.spanId === ids.connect) && spans.some((s) => statement(s).endsWith(':root')));
      assert.equal(run.result.code, 0, run.result.stderr);
      assert.equal(run.steps.pinged !== undefined, pings);
      assert.ok(run.steps.reconnected);
      assert.deepEqual(run.steps.continuations.own, Array(20).fill(true));
      for (let n = 0; n < 20; n++) {
        const kids = childrenOf(run.spans, run.ids[`request-${n}`]);
        assert.deepEqual(kids.map(described), [`redis GET | GET P:ctx:${n}`], `request ${n}`);
      }
      // The first handshake belongs to the span that connected; what the client does on its own
      // afterwards (pings, the reconnect and its handshake) gets no span.
      const connectKids = childrenOf(run.spans, run.ids.connect);
      assert.ok(connectKids.length >= 1 && connectKids.every(handshake), connectKids.map(described).join());
      const redisSpans = run.spans.filter((s) => s.operationName.startsWith('redis '));
      const roots = redisSpans.filter((s) => s.parentSpanId === ROOT_PARENT);
      assert.deepEqual(roots.map(described), ['redis GET | GET P:root'], 'only the command issued without an active span is a root');
      assert.equal(redisSpans.length, 20 + 1 + connectKids.length, redisSpans.map(described).join('\n'));
      assert.equal(run.spans.length - redisSpans.length, 22, 'the fixture\'s own spans');
      assert.ok(!run.spans.some((s) => statement(s).includes('untraced')), 'nothing inside runUntraced');
    });
  });
}
