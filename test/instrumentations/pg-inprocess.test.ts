// The pg definitions patched in-process onto every pg version in test/versions/pg.json (the way the
// loader does), with a test tracer, against the real PostgreSQL on 127.0.0.1:5432: the finer points
// of the wrappers that the fixture app cannot see from outside.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import definitions from '../../instrumentations/pg';
import { JaegerTracer } from '../../src/tracer/tracer';
import { setTracer } from '../../src/tracer/global';
import { activate, activeSpan, isUntraced, runUntraced } from '../../src/context/scope-manager';
import { isWrapped, originalOf, unwrapAll, wrapMethod, type WrapRecord } from '../../src/shim/wrap';
import { setDbSettings } from '../../src/shim/db';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import type { PatchContext } from '../../src/loader/definition';
import { fixedSampler, recordingLogger } from '../helpers/tracer';
import { needService } from '../helpers/services';
import { ROOT } from '../helpers/run-fixture';
import { versionDir, versionSet } from '../helpers/versions';
import { WaitingReporter, tagsOf } from './http-harness';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { PG_CONFIG, loadPg } = require(path.join(ROOT, 'test/fixtures/pg-lib.js'));

const reporter = new WaitingReporter();
const tracer = new JaegerTracer({ serviceName: 'pg-test', sampler: fixedSampler(true), logger: recordingLogger(), reporter });
const records: WrapRecord[] = [];
const logger = recordingLogger();
// Every client and pool a test makes, ended at the end even when an assertion failed half-way (an
// open socket would keep this test process alive).
type Endable = { end(): Promise<unknown>; _ending?: boolean; ending?: boolean };
const opened: Endable[] = [];
function track<T extends Endable>(clientOrPool: T): T {
  opened.push(clientOrPool);
  return clientOrPool;
}
before(() => setTracer(tracer));
after(async () => {
  // Not twice: pg 7's end() waits for an 'end' event that an ended connection never emits again.
  for (const o of opened) if (o._ending !== true && o.ending !== true) await o.end().catch(() => {});
  unwrapAll(records, logger);
  setTracer(undefined);
  setDbSettings(undefined);
});

type Cb = (err: Error | null, res?: any) => void;

/** pg of one version, patched by our definitions as the loader would (once per version). */
function patched(version: string) {
  const loaded = loadPg(versionDir('pg', version));
  for (const def of definitions) {
    const exports = def.file === undefined ? loaded.pg : loaded.req(`pg/${def.file}`);
    const ctx: PatchContext = {
      name: def.name, version, log: logger,
      wrap: (target, method, wrapper) => wrapMethod(target, method, wrapper, records, logger),
    };
    def.patch(exports, ctx);
  }
  return loaded as { pg: any; Cursor: any; QueryStream: any };
}

const spansWith = (statement: string) => reporter.spans.filter((s) => tagsOf(s)['db.statement'] === statement);
const callback = (fn: (cb: Cb) => unknown) => new Promise<[Error | null, any, unknown]>((resolve) => {
  fn(function (this: unknown, err, res) { resolve([err, res, this]); });
});

for (const version of versionSet('pg').versions) {
  const { pg, Cursor, QueryStream } = patched(version);
  const poolProto = Object.getPrototypeOf(pg.Pool.prototype);
  const connected = async (config: object = {}) => {
    const c = track(new pg.Client({ ...PG_CONFIG, ...config }));
    await c.connect();
    return c;
  };

  test(`pg@${version}: the wrappers keep the originals' names and lengths`, async (t) => {
    if (!await needService(t, 'postgres')) return;
    reporter.clear();
    for (const [target, method] of [[pg.Client.prototype, 'query'], [pg.Client.prototype, 'connect'], [poolProto, 'connect']]) {
      const fn = target[method];
      assert.ok(isWrapped(fn), `${method} is wrapped`);
      assert.equal(fn.name, originalOf(fn).name);
      assert.equal(fn.length, originalOf(fn).length);
    }
  });

  test(`pg@${version}: return values, callback this and the client's own Promise class are pg's`, async (t) => {
    if (!await needService(t, 'postgres')) return;
    reporter.clear();
    class AppPromise<T> extends Promise<T> {}
    const c = track(new pg.Client({ ...PG_CONFIG, Promise: AppPromise }));
    const connecting = c.connect();
    assert.ok(connecting instanceof AppPromise, 'connect() returns the client\'s kind of promise');
    await connecting;
    const p = c.query('SELECT 101 AS n');
    assert.ok(p instanceof AppPromise, 'query() returns the client\'s kind of promise');
    assert.deepEqual((await p).rows, [{ n: 101 }]);
    const [, , tracedThis] = await callback((cb) => assert.equal(c.query('SELECT 102 AS n', cb), undefined));
    const [, , plainThis] = await callback((cb) => originalOf(pg.Client.prototype.query).call(c, 'SELECT 102 AS n', cb));
    assert.equal(Object.getPrototypeOf(tracedThis), Object.getPrototypeOf(plainThis), 'the callback\'s this');
    const q = new pg.Query('SELECT 103 AS n');
    assert.equal(c.query(q), q, 'a Submittable is returned as given');
    await new Promise((resolve) => q.on('end', resolve));
    assert.equal(spansWith('SELECT ? AS n').length, 3);
    await c.end();
  });

  test(`pg@${version}: the span is finished when the app hears of the outcome, in every form`, async (t) => {
    if (!await needService(t, 'postgres')) return;
    reporter.clear();
    const c = await connected();
    const parent = tracer.startSpan('parent');
    const done = (statement: string) => spansWith(statement).length === 1;
    await activate(parent, async () => {
      assert.ok(await c.query('SELECT 201 AS a').then(() => done('SELECT ? AS a')), 'promise');
      // Checked inside the callbacks: they are called synchronously after the span ends.
      const [, finished] = await callback((cb) => c.query('SELECT 202 AS b', (e: Error | null) => cb(e, done('SELECT ? AS b'))));
      assert.equal(finished, true, 'callback');
      const [err, failedSpans] = await callback((cb) => c.query('SELEC 203 AS c', (e: Error | null) => cb(e, spansWith('SELEC ? AS c'))));
      assert.match(String(err), /syntax error/);
      assert.equal(failedSpans.length, 1, 'error callback');
      assert.equal(tagsOf(failedSpans[0]).error, true);
      const q = c.query(new pg.Query('SELECT 204 AS d'));
      assert.ok(await new Promise((resolve) => q.on('end', () => resolve(done('SELECT ? AS d')))), 'pg.Query end');
      const stream = c.query(new QueryStream('SELECT generate_series(1, 3) AS e'));
      stream.resume();
      assert.ok(await new Promise((resolve) => stream.on('end', () => resolve(done('SELECT generate_series(?, ?) AS e')))), 'stream end');
      const cursor = c.query(new Cursor('SELECT generate_series(1, 3) AS f'));
      const statement = 'SELECT generate_series(?, ?) AS f';
      const read = () => new Promise<any[]>((resolve, reject) => cursor.read(10, (e: Error | null, rows: any[]) => (e ? reject(e) : resolve(rows))));
      assert.equal((await read()).length, 3);
      assert.deepEqual(await read(), []);
      assert.ok(done(statement), 'cursor exhausted');
      await new Promise((resolve) => cursor.close(resolve));
      const bad = c.query(new Cursor('SELECT * FROM pg_inprocess_no_such_table'));
      await assert.rejects(new Promise((resolve, reject) => bad.read(1, (e: Error | null, rows: any[]) => (e ? reject(e) : resolve(rows)))), /does not exist/);
      const failed = spansWith('SELECT * FROM pg_inprocess_no_such_table');
      assert.equal(failed.length, 1);
      assert.equal(tagsOf(failed[0]).error, true, 'a failing cursor ends its span with the error');
    });
    parent.finish();
    for (const s of reporter.spans.filter((x) => x.spanContext.parentId === parent.spanContext.spanId)) {
      assert.equal(s.spanContext.traceId, parent.spanContext.traceId);
    }
    assert.equal(reporter.spans.filter((x) => x.spanContext.parentId === parent.spanContext.spanId).length, 7);
    await c.end();
  });

  test(`pg@${version}: inside runUntraced nothing makes a span, and callbacks stay untraced`, async (t) => {
    if (!await needService(t, 'postgres')) return;
    reporter.clear();
    const before = reporter.spans.length;
    const pool = track(new pg.Pool({ ...PG_CONFIG, max: 1 }));
    const seen: string[] = [];
    await runUntraced(async () => {
      const c = track(new pg.Client(PG_CONFIG));
      await callback((cb) => c.connect(cb)).then(() => seen.push(`connect ${isUntraced()}`));
      await callback((cb) => c.query('SELECT 301 AS n', cb)).then(() => seen.push(`callback ${isUntraced()}`));
      await c.query('SELECT 302 AS n').then(() => seen.push(`promise ${isUntraced()}`));
      const q = c.query(new pg.Query('SELECT 303 AS n'));
      await new Promise<void>((resolve) => q.on('end', () => { seen.push(`submittable ${isUntraced()}`); resolve(); }));
      await callback((cb) => pool.query('SELECT 304 AS n', cb)).then(() => seen.push(`pool ${isUntraced()}`));
      await c.end();
    });
    await pool.end();
    assert.deepEqual(seen, ['connect true', 'callback true', 'promise true', 'submittable true', 'pool true']);
    assert.deepEqual(reporter.spans.slice(before).map((s) => s.operationName), []);
  });

  test(`pg@${version}: under an unsampled span no query span is started, and callbacks keep the caller's scope`, async (t) => {
    if (!await needService(t, 'postgres')) return;
    // An incoming request that upstream decided not to sample: its children inherit that decision.
    const upstream = tracer.extract('text_map', { 'uber-trace-id': '5f1e2d3c4b5a6978:5f1e2d3c4b5a6978:0:0' });
    const request = tracer.startSpan('request', { childOf: upstream ?? undefined });
    assert.equal(request.spanContext.isSampled, false);
    const started: string[] = [];
    const startSpan = tracer.startSpan;
    tracer.startSpan = function (this: JaegerTracer, ...args: Parameters<JaegerTracer['startSpan']>) {
      started.push(String(args[0]));
      return startSpan.apply(this, args);
    } as JaegerTracer['startSpan'];
    const pool = track(new pg.Pool({ ...PG_CONFIG, max: 1 }));
    const seen: boolean[] = [];
    try {
      await activate(request, async () => {
        await callback((cb) => pool.query('SELECT 311 AS n', cb)).then(() => seen.push(activeSpan() === request));
        const [res] = await Promise.all([pool.query('SELECT 312 AS n'), callback((cb) => pool.query('SELECT 313 AS n', cb))]);
        seen.push(activeSpan() === request, res.rows[0].n === 312);
      });
      // The same query under a sampled parent still gets its span (the control).
      const sampled = tracer.startSpan('sampled-request');
      await activate(sampled, () => pool.query('SELECT 314 AS n'));
      sampled.finish();
    } finally {
      tracer.startSpan = startSpan;
      await pool.end();
    }
    assert.deepEqual(seen, [true, true, true]);
    assert.deepEqual(started.filter((n) => n !== 'sampled-request'), ['SELECT'], 'only the sampled request\'s query');
  });

  test(`pg@${version}: parameters only with captureParams, as a JSON array; statements sanitized and cut per settings`, async (t) => {
    if (!await needService(t, 'postgres')) return;
    reporter.clear();
    const c = await connected();
    const sql = 'SELECT $1::int AS a, $2::text AS b, $3::text AS c, $4::bytea AS d, $5::timestamptz AS e, 401 AS f';
    const values = [1, 'x', null, Buffer.from('ab'), new Date(0)];
    const last = (): FinishedSpan => reporter.spans[reporter.spans.length - 1];
    try {
      await c.query(sql, values);
      assert.equal(tagsOf(last())['db.params'], undefined, 'off by default');
      assert.equal(tagsOf(last())['db.statement'], sql.replace('401', '?'));
      setDbSettings({ captureParams: true });
      await c.query(sql, values);
      assert.equal(tagsOf(last())['db.params'], '[1,"x",null,"<Buffer 2 bytes>","1970-01-01T00:00:00.000Z"]');
      await c.query({ text: 'SELECT $1::text AS g', values: ['from the config object'] });
      assert.equal(tagsOf(last())['db.params'], '["from the config object"]');
      setDbSettings({ captureParams: true, maxStatementLength: 24 });
      await c.query('SELECT $1::text AS long_enough_to_be_cut', ['y'.repeat(100)]);
      assert.equal(tagsOf(last())['db.params'], `["${'y'.repeat(21)}…`);
      assert.equal(tagsOf(last())['db.statement'], 'SELECT $1::text AS long…');
      assert.equal(last().operationName, 'SELECT');
      setDbSettings({ sanitize: false });
      await c.query("SELECT 'literal' AS h");
      assert.equal(tagsOf(last())['db.statement'], "SELECT 'literal' AS h");
    } finally {
      setDbSettings(undefined);
      await c.end();
    }
  });

  test(`pg@${version}: a unix socket is peer.address`, async (t) => {
    if (!await needService(t, 'postgres')) return;
    reporter.clear();
    const dir = '/var/run/postgresql';
    if (!fs.existsSync(`${dir}/.s.PGSQL.5432`)) {
      t.skip(`no PostgreSQL socket in ${dir}`);
      return;
    }
    const c = await connected({ host: dir });
    await c.query('SELECT 501 AS n');
    await c.end();
    const [connect, query] = reporter.spans.slice(-2);
    for (const span of [connect, query]) {
      const tags = tagsOf(span);
      assert.equal(tags['peer.address'], `${dir}/.s.PGSQL.5432`);
      assert.equal(tags['peer.hostname'], undefined);
      assert.equal(tags['peer.port'], 5432);
    }
    assert.deepEqual([connect.operationName, query.operationName], ['pg.connect', 'SELECT']);
  });

  test(`pg@${version}: config objects end up as pg leaves them, and can be used again`, async (t) => {
    if (!await needService(t, 'postgres')) return;
    reporter.clear();
    const c = await connected();
    const plainConfig: any = { text: 'SELECT 601 AS n' };
    await new Promise<void>((resolve) => originalOf(pg.Client.prototype.query).call(c, plainConfig, () => resolve()));
    const seen: unknown[] = [];
    let signal = () => {};
    const appCallback = () => { seen.push(activeSpan()); signal(); };
    const under = (span: unknown, call: () => Promise<unknown> | undefined) => activate(span as any, () => new Promise<void>((resolve) => {
      signal = resolve;
      call()?.then(() => { seen.push(activeSpan()); resolve(); });
    }));
    const tracedConfig: any = { text: 'SELECT 601 AS n' };
    const first = tracer.startSpan('first');
    await under(first, () => c.query(tracedConfig, appCallback));
    // pg 7 writes the callback it is given onto the config object; pg 8 copies the config first.
    assert.equal('callback' in tracedConfig, 'callback' in plainConfig);
    if ('callback' in plainConfig) assert.equal(tracedConfig.callback, appCallback, 'the app\'s callback, not ours');
    // Used again (pg 7 now finds a callback on it, pg 8 makes a promise): traced under its new caller.
    const second = tracer.startSpan('second');
    await under(second, () => c.query(tracedConfig));
    assert.deepEqual(seen, [first, second]);
    const made = spansWith('SELECT ? AS n');
    assert.deepEqual(made.map((s) => s.spanContext.parentId), [first.spanContext.spanId, second.spanContext.spanId]);
    await c.end();
  });

  test(`pg@${version}: a Submittable keeps its enumerable keys, and pg's sync throws stay sync and untraced`, async (t) => {
    if (!await needService(t, 'postgres')) return;
    reporter.clear();
    const c = await connected();
    const plain = new QueryStream('SELECT 701 AS n');
    const traced = new QueryStream('SELECT 701 AS n');
    originalOf(pg.Client.prototype.query).call(c, plain);
    c.query(traced);
    assert.deepEqual(Object.keys(traced), Object.keys(plain));
    await Promise.all([plain, traced].map((s) => new Promise((resolve) => s.on('end', resolve).resume())));
    const q = new pg.Query('SELECT 702 AS n');
    const keys = Object.keys(q);
    c.query(q);
    assert.deepEqual(Object.keys(q), keys);
    await new Promise((resolve) => q.on('end', resolve));
    const before = reporter.spans.length;
    let plainError: unknown;
    try { originalOf(pg.Client.prototype.query).call(c, null); } catch (err) { plainError = err; }
    assert.throws(() => c.query(null), (err: Error) => err instanceof TypeError && err.message === (plainError as Error).message);
    assert.throws(() => c.query(undefined, [], () => {}), TypeError);
    assert.equal(reporter.spans.length, before, 'no span for a call pg refuses');
    await c.end();
  });
}
