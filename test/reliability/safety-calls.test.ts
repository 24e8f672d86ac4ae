// How every wrapper behaves when called, checked generically: each wrap record's factory (the very
// composition the loader installed, fault guard included) is applied to a spy standing in for the
// original, and the result is called with tracing on, inside an active span, with several argument
// shapes. Whatever the spy does, the caller must see exactly that: the same `this` and argument
// count reach the original once; its return value comes back identical (sync stays sync, a promise
// stays a promise of the same value); its throw is the same error object, its rejection the same
// error object (and no unhandled rejection of our own); a callback it calls (synchronously or later)
// reaches the app's callback exactly once with the same `this` and identical arguments.
// The per-module tests check these against the real libraries; this covers every wrapper at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { types } from 'node:util';
import { originalOf } from '../../src/shim/wrap';
import { setTracer } from '../../src/tracer/global';
import { activate } from '../../src/context/scope-manager';
import { memoryTracer } from '../helpers/tracer';
import { describeWrap, loadEverything } from '../helpers/safety';

const ERR = new Error('the original failed');
const RET = { returned: 'by the original' };
const CB_THIS = { callbackThis: true };
const RESULT = { result: 'for the callback' };

type Behaviour = 'return' | 'throw' | 'resolve' | 'reject' | 'callback-sync' | 'callback-async';
const BEHAVIOURS: Behaviour[] = ['return', 'throw', 'resolve', 'reject', 'callback-sync', 'callback-async'];

// Shapes that reach the traced paths of most wrappers (queries, commands, requests, events).
const ARGS: Array<() => unknown[]> = [
  () => [],
  () => ['SELECT 1'],
  () => ['GET', 'k'],
  () => [['GET', 'k']],
  () => [{ text: 'SELECT 1', sql: 'SELECT 1', method: 'GET', path: '/', headers: {} }],
  () => ['request', {}, {}],
];

interface Spy {
  fn: Function;
  calls: Array<{ self: unknown; args: unknown[] }>;
  pending: Array<Promise<void>>;
}

function spy(behaviour: Behaviour): Spy {
  const calls: Spy['calls'] = [];
  const pending: Array<Promise<void>> = [];
  const fn = function original(this: unknown) {
    const args = [...arguments];
    calls.push({ self: this, args });
    switch (behaviour) {
      case 'return': return RET;
      case 'throw': throw ERR;
      case 'resolve': return Promise.resolve(RET);
      case 'reject': return Promise.reject(ERR);
      default: {
        const callbacks = args.filter((a): a is Function => typeof a === 'function');
        const run = () => { for (const cb of callbacks) Reflect.apply(cb, CB_THIS, [null, RESULT]); };
        if (behaviour === 'callback-sync') run();
        else pending.push(new Promise<void>((resolve) => setImmediate(() => { try { run(); } finally { resolve(); } })));
        return RET;
      }
    }
  };
  return { fn, calls, pending };
}

test('every wrapper passes `this`, arguments, returns, throws, rejections and callbacks through unchanged', async (t) => {
  const { hook } = loadEverything();
  const { tracer } = memoryTracer();
  setTracer(tracer);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => { unhandled.push(reason); };
  process.on('unhandledRejection', onUnhandled);
  const problems = new Set<string>();
  let checks = 0;
  try {
    const parent = tracer.startSpan('parent');
    for (const record of hook.wraps()) {
      const where = describeWrap(originalOf(record.wrapped), record.method, record.target);
      const self = Object.create(record.target as object) as object;
      for (const makeArgs of ARGS) {
        for (const behaviour of BEHAVIOURS) {
          const withCallback = behaviour.startsWith('callback');
          const s = spy(behaviour);
          const wrapped = record.factory(s.fn) as Function;
          const args = makeArgs();
          const cbCalls: Array<{ self: unknown; args: unknown[] }> = [];
          if (withCallback) args.push(function callback(this: unknown) { cbCalls.push({ self: this, args: [...arguments] }); });
          const label = `${where} ${behaviour} (${JSON.stringify(args.filter((a) => typeof a !== 'function'))})`;
          const fail = (what: string) => problems.add(`${label}: ${what}`);
          checks++;
          let returned: unknown;
          let thrown: unknown;
          let threw = false;
          try {
            returned = activate(parent, () => Reflect.apply(wrapped, self, args));
          } catch (err) {
            threw = true;
            thrown = err;
          }
          if (s.calls.length !== 1) {
            fail(`original called ${s.calls.length} times`);
            continue;
          }
          const call = s.calls[0];
          if (call.self !== self) fail('`this` changed');
          // Shims may add what carries the context (an options object with headers), never drop,
          // reorder or change the app's own values.
          if (call.args.length < args.length) fail(`${call.args.length} arguments reached the original, ${args.length} given`);
          args.forEach((a, i) => {
            if (typeof a !== 'object' && typeof a !== 'function' && call.args[i] !== a) fail(`argument ${i} changed`);
          });
          if (behaviour === 'throw') {
            if (!threw || thrown !== ERR) fail('the original\'s throw did not reach the caller as the same error');
            continue;
          }
          if (threw) {
            fail(`threw ${(thrown as Error)?.message}`);
            continue;
          }
          if (behaviour === 'resolve' || behaviour === 'reject') {
            if (!types.isPromise(returned) && typeof (returned as PromiseLike<unknown>)?.then !== 'function') {
              fail('a promise became something else');
              continue;
            }
            try {
              const value = await returned;
              if (behaviour === 'reject') fail('a rejection resolved');
              else if (value !== RET) fail('resolved to another value');
            } catch (err) {
              if (behaviour === 'resolve') fail('a resolution rejected');
              else if (err !== ERR) fail('rejected with another error');
            }
            continue;
          }
          if (returned !== RET) fail('returned another value');
          if (withCallback) {
            await Promise.all(s.pending);
            if (cbCalls.length !== 1) fail(`callback called ${cbCalls.length} times`);
            else {
              if (cbCalls[0].self !== CB_THIS) fail('callback `this` changed');
              const got = cbCalls[0].args;
              if (got.length !== 2 || got[0] !== null || got[1] !== RESULT) fail('callback arguments changed');
            }
          }
        }
      }
    }
    parent.finish();
    // Rejections of our own (a promise chain hung on the app's) would be reported by now.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', onUnhandled);
    setTracer(undefined);
    hook.uninstall();
  }
  t.diagnostic(`${checks} calls checked`);
  assert.deepEqual([...problems], []);
  assert.deepEqual(unhandled, []);
});
