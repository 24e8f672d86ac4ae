// pino and winston through the real entry point, for every version in test/versions/pino.json and
// winston.json: test/fixtures/{pino,winston}-app.js log JSON lines to stdout outside and inside
// requests to their own http server. Every record written inside a request must carry the ids of
// the very span that was active (compared with the spans the fake agent decoded), the app's own
// values must win, and the output must otherwise be what it is without the preload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeAgent } from '../helpers/fake-agent';
import { runFixture, type FixtureResult } from '../helpers/run-fixture';
import { tagMap, type DecodedSpan } from '../helpers/thrift-decode';
import { versionDir, versionSet } from '../helpers/versions';

let agent: FakeAgent;
before(async () => { agent = await FakeAgent.start(); });
after(() => agent.close());

const ZERO = '0000000000000000';
const env = (extra: Record<string, string> = {}) => ({
  JAEGER_SERVICE_NAME: 'logs-fixture', JAEGER_SAMPLER_TYPE: 'const', JAEGER_SAMPLER_PARAM: '1',
  JAEGER_AGENT_HOST: '127.0.0.1', JAEGER_AGENT_PORT: String(agent.port), ...extra,
});

type Rec = Record<string, unknown>;
const jsonLines = (r: FixtureResult) => r.stdout.split('\n').filter((l) => l.startsWith('{'));
const messageOf = (rec: Rec) => String(rec.msg ?? rec.message);
/** The request a record was written in: its `case` field, or the first word of its message. */
const caseOf = (rec: Rec) => String(rec.case ?? messageOf(rec).split(' ')[0]);
const traceHex = (s: DecodedSpan) => (s.traceIdHigh === ZERO ? s.traceIdLow : s.traceIdHigh + s.traceIdLow);

/** The record without the fields the preload added (an app-set value stays). */
function withoutInjected(line: string): string {
  const rec = JSON.parse(line) as Rec;
  if (rec.trace_id !== 'app-trace') delete rec.trace_id;
  if (rec.span_id !== 'child-own') delete rec.span_id;
  return JSON.stringify(rec);
}

const count = (line: string, field: string) => line.split(`"${field}":`).length - 1;

async function runAll(fixture: string, dir: string) {
  const from = agent.batches.length;
  const traced = await runFixture(fixture, { env: env(), args: [dir] });
  const plain = await runFixture(fixture, { env: env(), args: [dir], preload: false });
  const off = await runFixture(fixture, { env: env({ JAEGER_LOGS_INJECTION: 'false' }), args: [dir] });
  for (const r of [traced, plain, off]) assert.equal(r.code, 0, r.stderr);
  // /log/a, /log/b, b's client call and the downstream /leaf, in each preloaded run.
  const spansOf = () => agent.batches.slice(from).flatMap((b) => b.batch.spans);
  await agent.waitFor(() => spansOf().length >= 8, 10_000, `8 spans of ${fixture}`);
  assert.equal(spansOf().length, 8);
  return { traced, plain, off, spans: spansOf() };
}

function serverSpansByUrl(spans: DecodedSpan[], traceIds: Set<string>): Map<string, DecodedSpan> {
  const byUrl = new Map<string, DecodedSpan>();
  for (const s of spans) {
    const t = tagMap(s.tags);
    if (t['span.kind'] !== 'server' || !traceIds.has(traceHex(s))) continue;
    const url = String(t['http.url']);
    assert.ok(!byUrl.has(url), `one server span for ${url}`);
    byUrl.set(url, s);
  }
  return byUrl;
}

function assertRecords(lines: string[], spans: DecodedSpan[]): number {
  const records = lines.map((l) => JSON.parse(l) as Rec);
  const traceIds = new Set(records.map((r) => r.trace_id).filter((v): v is string => typeof v === 'string'));
  const servers = serverSpansByUrl(spans, traceIds);
  const spanFor: Record<string, DecodedSpan | undefined> = {
    a: servers.get('/log/a'), b: servers.get('/log/b'), leaf: servers.get('/leaf'), outside: undefined,
  };
  assert.ok(spanFor.a && spanFor.b && spanFor.leaf, `server spans of this run: ${[...servers.keys()].join(', ')}`);
  assert.notEqual(traceHex(spanFor.a!), traceHex(spanFor.b!), 'two requests, two traces');
  assert.equal(traceHex(spanFor.leaf!), traceHex(spanFor.b!), 'the downstream call is in b\'s trace');
  let inside = 0;
  lines.forEach((line, i) => {
    const rec = records[i];
    const kase = caseOf(rec);
    assert.ok(kase in spanFor, `record of a known case: ${line}`);
    const span = spanFor[kase];
    if (span === undefined) {
      assert.equal(count(line, 'trace_id') + count(line, 'span_id'), 0, `no ids outside a span: ${line}`);
      return;
    }
    inside++;
    assert.equal(count(line, 'trace_id'), 1, `one trace_id: ${line}`);
    assert.equal(count(line, 'span_id'), 1, `one span_id: ${line}`);
    const appTrace = messageOf(rec) === 'app set';
    const appSpan = messageOf(rec) === 'child binding';
    assert.equal(rec.trace_id, appTrace ? 'app-trace' : traceHex(span), `trace_id: ${line}`);
    assert.equal(rec.span_id, appSpan ? 'child-own' : span.spanId, `span_id: ${line}`);
  });
  return inside;
}

const SETS: Array<[string, string]> = [['pino', 'pino-app.js'], ['winston', 'winston-app.js']];

for (const [pkg, fixture] of SETS) {
  for (const version of versionSet(pkg).versions) {
    test(`${pkg}@${version} under the preload: records inside a request carry its span's ids, the app's values win, output otherwise unchanged`, async () => {
      const { traced, plain, off, spans } = await runAll(fixture, versionDir(pkg, version));
      const lines = jsonLines(traced);
      assert.equal(lines.length, jsonLines(plain).length, traced.stdout);
      assert.ok(lines.length >= 14, `records written: ${lines.length}`);
      const inside = assertRecords(lines, spans);
      assert.equal(inside, lines.length - 2, 'every record but the first and last was written inside a request');
      assert.deepEqual(lines.map(withoutInjected), jsonLines(plain).map((l) => JSON.stringify(JSON.parse(l))),
        'the same records as without the preload, but for trace_id and span_id');
      if (pkg === 'pino') {
        const mixed = lines.map((l) => JSON.parse(l) as Rec).filter((r) => r.msg === 'mixin in request');
        assert.equal(mixed.length, 2);
        for (const r of mixed) assert.equal(r.mixed, 'by app', 'the app\'s mixin still applies');
      } else {
        for (const l of lines) assert.equal((JSON.parse(l) as Rec).formatted, 'by app', 'the app\'s format still applies');
      }
      assert.equal(off.stdout, plain.stdout, 'JAEGER_LOGS_INJECTION=false: stdout as without the preload');
      assert.equal(traced.stderr, '');
    });
  }
}

test('logs: an unsampled request\'s records still carry its ids', async () => {
  for (const [pkg, fixture] of SETS) {
    const version = versionSet(pkg).versions.at(-1)!;
    const r = await runFixture(fixture, { env: env({ JAEGER_SAMPLER_PARAM: '0' }), args: [versionDir(pkg, version)] });
    assert.equal(r.code, 0, r.stderr);
    const records = jsonLines(r).map((l) => JSON.parse(l) as Rec);
    const idsOf = (kase: string) => new Set(records.filter((x) => caseOf(x) === kase && x.trace_id !== 'app-trace').map((x) => `${x.trace_id}`));
    for (const kase of ['a', 'b', 'leaf']) {
      const ids = idsOf(kase);
      assert.equal(ids.size, 1, `${pkg} ${kase}: one trace id`);
      assert.match([...ids][0], /^[0-9a-f]{16}([0-9a-f]{16})?$/);
    }
    assert.notDeepEqual(idsOf('a'), idsOf('b'));
    assert.deepEqual(idsOf('leaf'), idsOf('b'));
    assert.equal(idsOf('outside').has('undefined'), true);
    assert.equal(idsOf('outside').size, 1, 'nothing outside requests');
  }
});
