// The redis instrumentation in-process: the addCommand wrapper on fake queues for the fine-grained
// forms (same promise, `this`, arguments, thrown errors, MULTI chains, fast paths), then the real
// @redis/client of every tested version patched through the loader's hook (wrapper shapes, spans
// with tracing on, none with tracing off or untraced, uninstall).
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import definitions from '../../instrumentations/redis';
import { wrapAddCommand } from '../../instrumentations/redis/queue';
import { installHooks } from '../../src/loader/hook';
import { activate, activeSpan, runUntraced } from '../../src/context/scope-manager';
import { setTracer } from '../../src/tracer/global';
import { originalOf } from '../../src/shim/wrap';
import { setDbSettings } from '../../src/shim/db';
import type { FinishedSpan } from '../../src/tracer/finished-span';
import { memoryTracer, recordingLogger } from '../helpers/tracer';
import { needService } from '../helpers/services';
import { requireVersion, versionSet } from '../helpers/versions';

const tagsOf = (s: FinishedSpan) => Object.fromEntries(s.tags.map((t) => [t.key, t.value]));
const fieldsOf = (s: FinishedSpan) => Object.fromEntries((s.logs[0]?.fields ?? []).map((t) => [t.key, t.value]));

function tracing() {
  const { tracer, reporter } = memoryTracer();
  setTracer(tracer);
  return { tracer, spans: reporter.spans };
}

afterEach(() => setTracer(undefined));

type Call = { self: unknown; args: unknown[] };

/** A fake RedisCommandsQueue.addCommand returning the promises given, recording its calls. */
function fakeQueue(result: (args: unknown[]) => Promise<unknown>) {
  const calls: Call[] = [];
  const original = function addCommand(this: unknown, args: unknown, options?: unknown) {
    calls.push({ self: this, args: [...arguments] });
    return result(args as unknown[]);
  };
  const queue = { addCommand: wrapAddCommand(original as any) };
  return { queue, calls };
}

describe('addCommand wrapper (fake queue)', () => {
  test('the app\'s promise settles as the queue\'s does, `this` and the arguments passed unchanged', async () => {
    const { spans } = tracing();
    const reply = { some: 'reply' };
    const promise = Promise.resolve(reply);
    const { queue, calls } = fakeQueue(() => promise);
    const args = ['SET', 'k', 'secret'];
    const options = { asap: false };
    const got = queue.addCommand(args, options);
    assert.ok(got instanceof Promise);
    assert.equal(calls[0].self, queue);
    assert.equal(calls[0].args[0], args);
    assert.equal(calls[0].args[1], options);
    assert.equal(calls[0].args.length, 2);
    assert.equal(await got, reply);
    assert.equal(spans.length, 1, 'the span ended before the app\'s own reaction ran');
    assert.equal(spans[0].operationName, 'redis SET');
    assert.equal(tagsOf(spans[0])['db.statement'], 'SET k ?');
  });

  test('a rejection reaches the app as the same error on the same promise; a synchronous throw is rethrown', async () => {
    const { spans } = tracing();
    const failure = new Error('WRONGTYPE Operation against a key holding the wrong kind of value');
    const rejected = Promise.reject(failure);
    const { queue } = fakeQueue(() => rejected);
    rejected.catch(() => {}); // only the app's promise counts below
    const got = queue.addCommand(['LPUSH', 'k', 'v']);
    await assert.rejects(got, (err) => err === failure);
    assert.equal(tagsOf(spans[0]).error, true);
    assert.deepEqual(fieldsOf(spans[0]), { event: 'error', 'error.kind': 'Error', message: failure.message });

    const thrown = new TypeError('boom');
    const throwing = fakeQueue(() => { throw thrown; });
    assert.throws(() => throwing.queue.addCommand(['GET', 'k']), (err) => err === thrown);
    assert.equal(spans.length, 2);
    assert.equal(tagsOf(spans[1]).error, true);
  });

  test('MULTI … EXEC on one chainId: one span; the queued commands get none; errors in EXEC\'s reply mark it', async () => {
    const { spans } = tracing();
    const chainId = Symbol('chain');
    const { queue } = fakeQueue((args) => Promise.resolve(args[0] === 'EXEC' ? ['OK', new Error('WRONGTYPE x')] : 'QUEUED'));
    const parts = [queue.addCommand(['MULTI'], { chainId }), queue.addCommand(['SET', 'a', 'v'], { chainId }),
      queue.addCommand(['LPUSH', 'a', 'x'], { chainId }), queue.addCommand(['EXEC'], { chainId })];
    await Promise.all(parts);
    assert.equal(spans.length, 1);
    assert.equal(spans[0].operationName, 'redis MULTI');
    assert.equal(tagsOf(spans[0])['db.statement'], 'SET a ?\nLPUSH a ?');
    assert.equal(tagsOf(spans[0])['db.operation.batch.size'], 2);
    assert.equal(fieldsOf(spans[0]).message, 'WRONGTYPE x');

    // A pipeline's commands share a chainId too (redis 5+), but without MULTI: a span each.
    const pipeline = Symbol('pipeline');
    await Promise.all([queue.addCommand(['SET', 'b', 'v'], { chainId: pipeline }), queue.addCommand(['GET', 'b'], { chainId: pipeline })]);
    assert.deepEqual(spans.slice(1).map((s) => s.operationName), ['redis SET', 'redis GET']);
    // EXEC answering nil: WATCH aborted the transaction.
    const watched = fakeQueue((args) => Promise.resolve(args[0] === 'EXEC' ? null : 'OK'));
    await Promise.all([watched.queue.addCommand(['MULTI'], { chainId }), watched.queue.addCommand(['EXEC'], { chainId })]);
    assert.equal(tagsOf(spans[3]).error, true);
  });

  test('no span with tracing off or inside runUntraced; the parent is the span active at the call', async () => {
    const { queue, calls } = fakeQueue(() => Promise.resolve('PONG'));
    await queue.addCommand(['PING']); // no tracer at all
    const { tracer, spans } = tracing();
    await runUntraced(() => queue.addCommand(['PING']));
    assert.equal(spans.length, 0);
    assert.equal(calls.length, 2);
    const parent = tracer.startSpan('parent');
    await activate(parent, () => queue.addCommand(['PING']));
    assert.equal(spans[0].references[0]?.context.spanId, parent.context().toSpanId());
    assert.equal(tagsOf(spans[0])['db.instance'], '0');
  });

  test('under an unsampled span: no span is started and the caller\'s scope is kept', async () => {
    const { queue, calls } = fakeQueue((args) => Promise.resolve(args[0] === 'SELECT' ? 'OK' : 'PONG'));
    const { tracer, spans } = tracing();
    const upstream = tracer.extract('text_map', { 'uber-trace-id': '5f1e2d3c4b5a6978:5f1e2d3c4b5a6978:0:0' });
    const request = tracer.startSpan('request', { childOf: upstream ?? undefined });
    const started: string[] = [];
    const startSpan = tracer.startSpan;
    tracer.startSpan = function (this: typeof tracer, ...args: Parameters<typeof tracer.startSpan>) {
      started.push(String(args[0]));
      return startSpan.apply(this, args);
    } as typeof tracer.startSpan;
    const replies = await activate(request, async () => {
      const reply = await queue.addCommand(['PING']);
      return [reply, activeSpan() === request];
    });
    assert.deepEqual(replies, ['PONG', true]);
    assert.deepEqual(started, []);
    assert.equal(calls.length, 1);
    request.finish();
    assert.equal(spans.length, 0, 'nothing sampled, nothing reported');
  });

  test('a long transaction\'s statement is cut at JAEGER_DB_STATEMENT_MAX_LENGTH', async () => {
    const { spans } = tracing();
    setDbSettings({ maxStatementLength: 40 });
    try {
      const chainId = Symbol('chain');
      const { queue } = fakeQueue(() => Promise.resolve('OK'));
      const parts = [queue.addCommand(['MULTI'], { chainId })];
      for (let i = 0; i < 1000; i++) parts.push(queue.addCommand(['INCR', `counter:${i}`], { chainId }));
      parts.push(queue.addCommand(['EXEC'], { chainId }));
      await Promise.all(parts);
      const statement = String(tagsOf(spans[0])['db.statement']);
      assert.equal(statement.length, 40);
      assert.match(statement, /^INCR counter:0\nINCR counter:1\n.*…$/s);
      assert.equal(tagsOf(spans[0])['db.operation.batch.size'], 1000);
    } finally {
      setDbSettings(undefined);
    }
  });

  test('operation names stay low-cardinality', async () => {
    const { spans } = tracing();
    const { queue } = fakeQueue(() => Promise.resolve(null));
    await queue.addCommand(['json.get', 'k']);
    await queue.addCommand([Buffer.from('get'), 'k']);
    await queue.addCommand(['user:1234 some garbage']);
    assert.deepEqual(spans.map((s) => s.operationName), ['redis JSON.GET', 'redis GET', 'redis UNKNOWN']);
  });
});

const set = versionSet('redis');
const QUEUE = '@redis/client/dist/lib/client/commands-queue.js';
const SOCKET = '@redis/client/dist/lib/client/socket.js';
const POOL = '@redis/client/dist/lib/client/pool.js';

for (const version of set.versions) {
  test(`redis@${version} patched by the hook: wrapper shapes, spans when tracing, none when not, uninstall`, async (t) => {
    if (!(await needService(t, 'redis'))) return;
    const hook = installHooks({ redis: definitions }, { logger: recordingLogger() });
    try {
      const redis = requireVersion('redis', version);
      const queueModule = requireVersion('redis', version, QUEUE);
      const socketModule = requireVersion('redis', version, SOCKET);
      assert.equal(hook.applied().length, 1, hook.applied().join());
      assert.match(hook.applied()[0], /^@redis\/client@/);
      for (const [mod, name, method] of [[queueModule, 'RedisCommandsQueue', 'addCommand'], [socketModule, 'RedisSocket', 'connect']] as const) {
        const Wrapped = mod.default;
        const Original = originalOf(Wrapped);
        assert.notEqual(Wrapped, Original);
        assert.equal(Wrapped.name, name);
        assert.equal(Wrapped.length, Original.length);
        assert.equal(Wrapped.prototype, Original.prototype);
        assert.throws(() => Wrapped(), (err: Error) => err instanceof TypeError && /without 'new'/.test(err.message));
        const fn = Original.prototype[method];
        assert.equal(fn.name, method);
        assert.equal(fn.length, originalOf(fn).length);
        assert.notEqual(fn, originalOf(fn));
      }

      if (Number(version.split('.')[0]) >= 5) {
        const execute = requireVersion('redis', version, POOL).RedisClientPool.prototype.execute;
        assert.notEqual(execute, originalOf(execute));
        assert.equal(execute.name, 'execute');
        assert.equal(execute.length, originalOf(execute).length);
      }

      const { tracer, spans } = tracing();
      const client = redis.createClient({ url: 'redis://127.0.0.1:6379' });
      t.after(() => client.isOpen && client.disconnect());
      await client.connect();
      const queue = new queueModule.default(2);
      assert.equal(Object.getPrototypeOf(queue), originalOf(queueModule.default).prototype);
      assert.ok(queue instanceof queueModule.default);
      const parent = tracer.startSpan('parent');
      const key = `jaeger-auto:test:inprocess:${process.pid}:${version}`;
      assert.equal(await activate(parent, () => client.sendCommand(['SET', key, 'v'])), 'OK');
      assert.equal(await client.get(key), 'v');
      const mine = spans.filter((s) => s.operationName === 'redis SET' || s.operationName === 'redis GET');
      assert.deepEqual(mine.map((s) => `${s.operationName} | ${tagsOf(s)['db.statement']}`), [`redis SET | SET ${key} ?`, `redis GET | GET ${key}`]);
      assert.equal(mine[0].references[0]?.context.spanId, parent.context().toSpanId());
      assert.equal(mine[1].references.length, 0, 'no active span: a root');
      assert.equal(tagsOf(mine[0])['peer.hostname'], '127.0.0.1');

      const before = spans.length;
      await runUntraced(() => client.get(key));
      setTracer(undefined);
      assert.equal(await client.del(key), 1);
      assert.equal(spans.length, before, 'nothing traced untraced or with tracing off');
      await client.quit();
    } finally {
      hook.uninstall();
    }
    const queueModule = requireVersion('redis', version, QUEUE);
    assert.equal(originalOf(queueModule.default), queueModule.default, 'uninstall put the class back');
    assert.equal(originalOf(queueModule.default.prototype.addCommand), queueModule.default.prototype.addCommand);
  });
}
