// amqplib in-process against RabbitMQ on 127.0.0.1:5672, for every tested version, patched through
// the loader's hook. What the two-process fixture cannot see: the scope the app's callbacks run in,
// wrapper shapes, the server's cancel (null message), a publish that throws, tracing off.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import definitions from '../../instrumentations/amqplib';
import { installHooks } from '../../src/loader/hook';
import { activate, activeSpan } from '../../src/context/scope-manager';
import { setTracer } from '../../src/tracer/global';
import { originalOf } from '../../src/shim/wrap';
import { setUpTracing, tagsOf } from './http-harness';
import { recordingLogger } from '../helpers/tracer';
import { needService } from '../helpers/services';
import { requireVersion, versionSet } from '../helpers/versions';

const { tracer, reporter, unpatch } = setUpTracing();
const hook = installHooks({ amqplib: definitions }, { logger: recordingLogger() });
after(() => {
  hook.uninstall();
  unpatch();
});

const URL = 'amqp://guest:guest@127.0.0.1:5672';
const QUEUE = { durable: false, autoDelete: true };
let n = 0;
const cb = <T>(fn: (done: (err: unknown, v: T) => void) => void) =>
  new Promise<T>((resolve, reject) => fn((err, v) => (err ? reject(err) : resolve(v))));

for (const version of versionSet('amqplib').versions) {
  describe(`amqplib@${version}`, () => {
    const amqp = requireVersion('amqplib', version);
    const amqpCb = requireVersion('amqplib', version, 'amqplib/callback_api');

    test('callback API: the app\'s callbacks of channel operations run in the caller\'s scope', async (t) => {
      if (!await needService(t, 'rabbitmq')) return;
      const conn = await cb<any>((done) => amqpCb.connect(URL, done));
      t.after(() => conn.close());
      const ch = await cb<any>((done) => conn.createChannel(done));
      const cch = await cb<any>((done) => conn.createConfirmChannel(done));
      const q = `jaeger-auto-inproc-${process.pid}-${++n}`;
      const parent = tracer.startSpan('caller');
      const seen: Array<[string, boolean]> = [];
      await activate(parent, () => new Promise<void>((resolve, reject) => {
        ch.assertQueue(q, QUEUE, (err: unknown) => {
          if (err) return reject(err);
          seen.push(['assertQueue', activeSpan() === parent]);
          cch.sendToQueue(q, Buffer.from('x'), {}, (e: unknown) => {
            seen.push(['confirm', activeSpan() === parent]);
            if (e) return reject(e);
            ch.get(q, { noAck: true }, (e2: unknown, msg: unknown) => {
              seen.push(['get', activeSpan() === parent && msg !== false]);
              if (e2) return reject(e2);
              ch.deleteQueue(q, {}, (e3: unknown) => {
                seen.push(['deleteQueue', activeSpan() === parent]);
                return e3 ? reject(e3) : resolve();
              });
            });
          });
        });
      }));
      parent.finish();
      assert.deepEqual(seen, [['assertQueue', true], ['confirm', true], ['get', true], ['deleteQueue', true]]);
      const spans = await reporter.waitFor((all) => all.some((s) => s.operationName === `get ${q}`), 'get span');
      const get = spans.find((s) => s.operationName === `get ${q}`)!;
      const pub = spans.find((s) => s.operationName === `publish ${q}`)!;
      assert.equal(pub.spanContext.parentId, parent.context().toSpanId(), 'publish is a child of the caller');
      assert.equal(get.spanContext.parentId, parent.context().toSpanId(), 'get is a child of its caller…');
      assert.deepEqual(get.references.map((r) => [r.type, r.context.toSpanId()]),
        [['child_of', parent.context().toSpanId()], ['follows_from', pub.spanContext.toSpanId()]], '…and follows from the message');
    });

    test('wrappers keep names and lengths; a server cancel (null) reaches the consumer untouched', async (t) => {
      if (!await needService(t, 'rabbitmq')) return;
      const conn = await amqp.connect(URL);
      t.after(() => conn.close());
      const ch = await conn.createChannel();
      for (const m of ['publish', 'sendToQueue', 'consume', 'get']) {
        const fn = ch[m];
        assert.equal(fn.name, originalOf(fn).name, m);
        assert.equal(fn.length, originalOf(fn).length, m);
      }
      assert.notEqual(originalOf(ch.publish), ch.publish, 'publish is wrapped');
      const q = `jaeger-auto-inproc-${process.pid}-${++n}`;
      await ch.assertQueue(q, QUEUE);
      const from = reporter.spans.length;
      const calls: unknown[][] = [];
      let cancelled: () => void = () => {};
      const gotCancel = new Promise<void>((resolve) => { cancelled = resolve; });
      await ch.consume(q, (...args: unknown[]) => {
        calls.push(args);
        if (args[0] === null) cancelled();
      });
      await ch.deleteQueue(q); // the server cancels the consumer: callback(null)
      await gotCancel;
      assert.deepEqual(calls, [[null]]);
      assert.equal(reporter.spans.slice(from).filter((s) => s.operationName.startsWith('consume')).length, 0);
    });

    test('a publish that throws (closed channel): the same error, the span failed', async (t) => {
      if (!await needService(t, 'rabbitmq')) return;
      const conn = await amqp.connect(URL);
      t.after(() => conn.close());
      const ch = await conn.createChannel();
      await ch.close();
      const from = reporter.spans.length;
      let thrown: unknown;
      try {
        ch.sendToQueue('nowhere', Buffer.from('x'));
      } catch (err) {
        thrown = err;
      }
      assert.ok(thrown instanceof Error, 'amqplib throws on a closed channel');
      const span = reporter.spans.slice(from).find((s) => s.operationName === 'publish nowhere');
      assert.ok(span);
      assert.equal(tagsOf(span)['error'], true);
      assert.equal(span.logs[0]?.fields.find((f) => f.key === 'message')?.value, (thrown as Error).message);
    });

    test('tracing off: no span, nothing injected, the caller\'s options passed as they are', async (t) => {
      if (!await needService(t, 'rabbitmq')) return;
      const conn = await amqp.connect(URL);
      t.after(() => conn.close());
      const ch = await conn.createChannel();
      const q = `jaeger-auto-inproc-${process.pid}-${++n}`;
      await ch.assertQueue(q, QUEUE);
      setTracer(undefined);
      try {
        ch.sendToQueue(q, Buffer.from('plain'), { headers: { a: 'b' } });
        const msg = await (async () => { for (;;) { const m = await ch.get(q, { noAck: true }); if (m) return m; } })();
        assert.deepEqual(msg.properties.headers, { a: 'b' });
      } finally {
        setTracer(tracer);
        await ch.deleteQueue(q);
      }
    });
  });
}
