// pino and winston in-process, newest tested versions: what the log injection must not change —
// the app's mixin object, the logger's own mixin after the record, pino's own errors — and the
// cases where it adds nothing (switch off, a span whose ids cannot be read).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import pinoDefs from '../../instrumentations/pino';
import winstonDefs from '../../instrumentations/winston';
import { setLogsInjection } from '../../src/shim/logs';
import { installHooks } from '../../src/loader/hook';
import { activate } from '../../src/context/scope-manager';
import { setTracer } from '../../src/tracer/global';
import { memoryTracer, recordingLogger } from '../helpers/tracer';
import { requireVersion, versionSet } from '../helpers/versions';

const hook = installHooks({ pino: pinoDefs, winston: winstonDefs }, { logger: recordingLogger() });
const { tracer } = memoryTracer({ sampled: true });
setTracer(tracer);
after(() => {
  hook.uninstall();
  setTracer(undefined);
  setLogsInjection(undefined);
});

type Rec = Record<string, unknown>;

for (const version of versionSet('pino').versions) {
  const pino = requireVersion('pino', version);
  const sink = () => {
    const lines: Rec[] = [];
    return { lines, stream: { write: (s: string) => { lines.push(JSON.parse(s) as Rec); } } };
  };

  test(`pino@${version}: the app's mixin object is not changed, the logger is as before after the record`, () => {
    const shared = Object.freeze({ from: 'mixin' });
    const { lines, stream } = sink();
    const logger = pino({ base: null, timestamp: false, mixin: () => shared }, stream);
    const child = logger.child({ c: 1 });
    const mixinSym = pino.symbols.mixinSym as symbol;
    const before = logger[mixinSym];
    const span = tracer.startSpan('op');
    activate(span, () => { logger.info('in'); child.info('child in'); });
    logger.info('out');
    assert.equal(logger[mixinSym], before, 'the root logger keeps its mixin');
    assert.equal(Object.prototype.hasOwnProperty.call(child, mixinSym), false, 'the child has no mixin of its own');
    assert.deepEqual(lines.map((l) => [l.msg, l.from, l.trace_id, l.span_id]), [
      ['in', 'mixin', span.context().toTraceId(), span.context().toSpanId()],
      ['child in', 'mixin', span.context().toTraceId(), span.context().toSpanId()],
      ['out', 'mixin', undefined, undefined],
    ]);
  });

  test(`pino@${version}: a mixin returning nothing fails inside a span exactly as outside`, () => {
    const logger = pino({ base: null, timestamp: false, mixin: () => undefined }, { write() {} });
    let outside: unknown;
    let inside: unknown;
    try { logger.info('x'); } catch (err) { outside = err; }
    try { activate(tracer.startSpan('op'), () => logger.info('x')); } catch (err) { inside = err; }
    assert.ok(outside instanceof TypeError);
    assert.ok(inside instanceof TypeError);
    assert.equal((inside as Error).message, (outside as Error).message);
  });

  test(`pino@${version}: nothing added with the switch off, or under a span without readable ids`, () => {
    const { lines, stream } = sink();
    const logger = pino({ base: null, timestamp: false }, stream);
    setLogsInjection(false);
    try {
      activate(tracer.startSpan('op'), () => logger.info('off'));
    } finally {
      setLogsInjection(undefined);
    }
    const foreign = { context: () => ({}), finish() {} } as never;
    activate(foreign, () => logger.info('foreign'));
    assert.deepEqual(lines, [{ level: 30, msg: 'off' }, { level: 30, msg: 'foreign' }]);
  });
}

const winstonVersion = versionSet('winston').versions.at(-1)!;
test(`winston@${winstonVersion}: ids inside a span only; the app's fields and formats kept`, () => {
  const winston = requireVersion('winston', winstonVersion);
  const lines: Rec[] = [];
  const stream = new Writable({ objectMode: true, write(info: Rec, _e, cb) { lines.push({ ...info }); cb(); } });
  const logger = winston.createLogger({ transports: [new winston.transports.Stream({ stream })] });
  const span = tracer.startSpan('op');
  activate(span, () => {
    logger.info('in', { k: 1 });
    logger.info('own', { trace_id: 'mine' });
  });
  logger.info('out');
  assert.deepEqual(lines.map((l) => [l.message, l.trace_id, l.span_id]), [
    ['in', span.context().toTraceId(), span.context().toSpanId()],
    ['own', 'mine', span.context().toSpanId()],
    ['out', undefined, undefined],
  ]);
  assert.equal(lines[0].k, 1);
});
