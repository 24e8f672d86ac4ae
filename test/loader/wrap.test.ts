import assert from 'node:assert/strict';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { isWrapped, originalOf, unwrapAll, wrapMethod, type WrapRecord } from '../../src/shim/wrap';
import { recordingLogger } from './support';

type Fn = (...args: any[]) => any;

// A pass-through wrapper written the way shims are: rest args, apply, no name of its own.
const passThrough = (calls: unknown[][] = []) => (original: Fn): Fn => function (this: unknown, ...args: unknown[]) {
  calls.push(args);
  return original.apply(this, args);
};

test('the wrapper takes the original name, length and own properties, symbols included', () => {
  const custom = () => Promise.resolve('custom');
  function read(_path: string, _options: object, _cb: Fn) {
    return 'read';
  }
  Object.assign(read, { helper: 42 });
  Object.defineProperty(read, promisify.custom, { value: custom, enumerable: false });
  const target = { read };
  const records: WrapRecord[] = [];
  assert.equal(wrapMethod(target, 'read', passThrough(), records, recordingLogger()), true);
  assert.notEqual(target.read, read);
  assert.equal(target.read.name, 'read');
  assert.equal(target.read.length, 3);
  assert.equal((target.read as unknown as { helper: number }).helper, 42);
  assert.equal((target.read as unknown as Record<symbol, unknown>)[promisify.custom], custom);
  assert.equal(promisify(target.read), custom, 'util.promisify still finds the custom variant');
  assert.equal(Object.prototype.propertyIsEnumerable.call(target, 'read'), true, 'enumerability kept');
});

test('this, arguments, return value and thrown errors pass through unchanged', () => {
  const boom = new Error('boom');
  const target = {
    factor: 3,
    times(this: { factor: number }, a: number, b: number) {
      return { product: a * b * this.factor, self: this };
    },
    fail(): unknown {
      throw boom;
    },
  };
  const calls: unknown[][] = [];
  const records: WrapRecord[] = [];
  wrapMethod(target, 'times', passThrough(calls), records, recordingLogger());
  wrapMethod(target, 'fail', passThrough(calls), records, recordingLogger());
  const result = target.times(2, 5);
  assert.equal(result.product, 30);
  assert.equal(result.self, target);
  assert.deepEqual(calls[0], [2, 5]);
  assert.throws(() => target.fail(), (err) => err === boom);
});

test('constructors keep their prototype, so instanceof still holds', () => {
  class Conn {
    constructor(readonly port: number) {}
  }
  function Legacy(this: { x: number }) {
    this.x = 1;
  }
  const mod = { Legacy: Legacy as unknown as Fn };
  wrapMethod(mod, 'Legacy', (original) => function (this: object, ...args: unknown[]) {
    return original.apply(this, args);
  }, [], recordingLogger());
  const made = new (mod.Legacy as unknown as new () => object)();
  assert.ok(made instanceof (Legacy as unknown as new () => object));
  assert.equal(mod.Legacy.prototype, Legacy.prototype);
  const classes = { Conn };
  wrapMethod(classes, 'Conn', (original) => class extends original {} as typeof Conn, [], recordingLogger());
  assert.ok(new classes.Conn(1) instanceof Conn);
});

test('a second wrap of the same method is refused and changes nothing', () => {
  const target = { run: () => 'run' };
  const records: WrapRecord[] = [];
  const log = recordingLogger();
  assert.equal(wrapMethod(target, 'run', passThrough(), records, log), true);
  const first = target.run;
  let asked = false;
  assert.equal(wrapMethod(target, 'run', (o) => { asked = true; return o; }, records, log), false);
  assert.equal(target.run, first);
  assert.equal(asked, false, 'the wrapper factory is not even called');
  assert.equal(records.length, 1);
  assert.match(log.at('debug').join('\n'), /run: already wrapped/);
});

test('targets that cannot take a wrapper are skipped, untouched, without throwing', () => {
  const log = recordingLogger();
  const records: WrapRecord[] = [];
  const fn = () => 'x';
  const readOnly = Object.defineProperty({}, 'm', { value: fn, writable: false, configurable: false }) as { m: Fn };
  const pinned = Object.defineProperty({}, 'm', { value: fn, writable: true, configurable: false }) as { m: Fn };
  const getter = Object.defineProperty({}, 'm', { get: () => fn, configurable: false }) as { m: Fn };
  const frozen = Object.freeze(Object.create({ m: fn })) as { m: Fn };
  for (const target of [readOnly, pinned, getter, frozen]) {
    assert.equal(wrapMethod(target, 'm', passThrough(), records, log), false);
    assert.equal(target.m, fn);
  }
  const plain = { m: fn, notFn: 1 as unknown as Fn };
  assert.equal(wrapMethod(plain, 'notFn', passThrough(), records, log), false);
  assert.equal(wrapMethod(plain, 'missing' as 'm', passThrough(), records, log), false);
  assert.equal(wrapMethod(plain, 'm', () => 'nope' as unknown as Fn, records, log), false);
  assert.equal(wrapMethod(plain, 'm', (o) => o, records, log), false, 'returning the original is no wrap');
  assert.equal(isWrapped(fn), false, 'and does not mark the original');
  assert.equal(plain.m, fn);
  assert.equal(records.length, 0);
});

test('isWrapped and originalOf see through our wrappers only', () => {
  const fn = () => 1;
  const target = { fn };
  wrapMethod(target, 'fn', passThrough(), [], recordingLogger());
  assert.equal(isWrapped(target.fn), true);
  assert.equal(isWrapped(fn), false);
  assert.equal(originalOf(target.fn), fn);
  assert.equal(originalOf(fn), fn);
});

test('unwrapAll restores each property exactly: own descriptor back, inherited methods un-shadowed', () => {
  class Client {
    query() {
      return 'q';
    }
  }
  const instance = new Client();
  const mod = {};
  const send = () => 's';
  Object.defineProperty(mod, 'send', { value: send, writable: false, enumerable: false, configurable: true });
  const before = Object.getOwnPropertyDescriptor(mod, 'send');
  const records: WrapRecord[] = [];
  const log = recordingLogger();
  assert.equal(wrapMethod(instance, 'query', passThrough(), records, log), true);
  assert.equal(wrapMethod(mod as { send: Fn }, 'send', passThrough(), records, log), true);
  assert.equal(Object.prototype.hasOwnProperty.call(instance, 'query'), true);
  unwrapAll(records, log);
  assert.equal(records.length, 0);
  assert.equal(Object.prototype.hasOwnProperty.call(instance, 'query'), false);
  assert.equal(instance.query, Client.prototype.query);
  assert.deepEqual(Object.getOwnPropertyDescriptor(mod, 'send'), before);
});

test('unwrapAll leaves a method someone else replaced after us', () => {
  const target = { run: () => 'run' };
  const records: WrapRecord[] = [];
  wrapMethod(target, 'run', passThrough(), records, recordingLogger());
  const theirs = () => 'theirs';
  target.run = theirs;
  unwrapAll(records, recordingLogger());
  assert.equal(target.run, theirs);
});
