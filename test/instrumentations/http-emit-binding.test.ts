// The per-object emit bindings of the http shims: a prototype emit that reads them, and the
// per-object fallback for emitters whose emit is not ours. Listeners must run in the bound scope,
// the observer must see each event exactly once, and unbound emitters must be untouched.
import test from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { inspect } from 'node:util';
import { activeSpan } from '../../src/context/scope-manager';
import { bindEmitTo, bindingEmit, bindingOf, listenersOf, type EmitBinding } from '../../instrumentations/http/common';

class Patched extends EventEmitter {}
Patched.prototype.emit = bindingEmit(EventEmitter.prototype.emit);

function setup(): { span: any; seen: unknown[]; binding: EmitBinding } {
  const span = { name: 'bound' };
  const seen: unknown[] = [];
  const binding: EmitBinding = { scope: { span } as any, observe(type) { seen.push(type); } };
  return { span, seen, binding };
}

test('a patched prototype: a hidden field binds the object, listeners run in its scope', () => {
  const { span, seen, binding } = setup();
  const bound = new Patched();
  const other = new Patched();
  bindEmitTo(bound, binding);
  assert.equal(Object.prototype.hasOwnProperty.call(bound, 'emit'), false);
  assert.deepEqual(Object.keys(bound).filter((k) => k === 'emit'), []);
  assert.equal(bindingOf(bound), binding);
  let inBound: unknown;
  let inOther: unknown = 'unset';
  bound.on('x', () => { inBound = activeSpan(); });
  other.on('x', () => { inOther = activeSpan(); });
  assert.equal(bound.emit('x'), true);
  other.emit('x');
  assert.equal(inBound, span);
  assert.equal(inOther, null);
  assert.deepEqual(seen, ['x']);
  assert.equal(bindingOf(other), undefined);
});

test('an object whose own emit shadows the patched one gets its own bound emit; the observer sees each event once', () => {
  const { span, seen, binding } = setup();
  const shadowed = new Patched();
  const inherited = shadowed.emit;
  Object.defineProperty(shadowed, 'emit', { value(this: unknown, ...args: unknown[]) { return inherited.apply(this, args as any); }, writable: true, configurable: true });
  bindEmitTo(shadowed, binding);
  let inside: unknown;
  shadowed.on('y', () => { inside = activeSpan(); });
  shadowed.emit('y');
  shadowed.emit('z');
  assert.equal(inside, span);
  assert.deepEqual(seen, ['y', 'z']);
  assert.equal(bindingOf(shadowed), binding);
});

test('a plain EventEmitter (prototype not patched) gets a non-enumerable own emit', () => {
  const { span, seen, binding } = setup();
  const plain = new EventEmitter();
  bindEmitTo(plain, binding);
  assert.equal(Object.getOwnPropertyDescriptor(plain, 'emit')?.enumerable, false);
  let inside: unknown;
  plain.on('w', () => { inside = activeSpan(); });
  plain.emit('w');
  assert.equal(inside, span);
  assert.deepEqual(seen, ['w']);
  assert.equal(new EventEmitter().emit, EventEmitter.prototype.emit);
});

test('the binding leaves no trace on the object: no new own key or symbol, not inspected, not copied', () => {
  const { binding } = setup();
  const bound = new Patched();
  const keysBefore = Reflect.ownKeys(bound);
  const shown = inspect(bound, { showHidden: true });
  bindEmitTo(bound, binding);
  assert.deepEqual(Reflect.ownKeys(bound), keysBefore);
  assert.equal(inspect(bound, { showHidden: true }), shown);
  assert.equal(bindingOf({ ...bound }), undefined);
  assert.equal(bindingOf(Object.assign(Object.create(Patched.prototype), bound)), undefined);
});

test('binding an object again replaces its binding', () => {
  const first = setup();
  const second = setup();
  const bound = new Patched();
  bindEmitTo(bound, first.binding);
  bindEmitTo(bound, second.binding);
  assert.equal(bindingOf(bound), second.binding);
  let inside: unknown;
  bound.on('x', () => { inside = activeSpan(); });
  bound.emit('x');
  assert.equal(inside, second.span);
  assert.deepEqual(first.seen, []);
  assert.deepEqual(second.seen, ['x']);
});

test('an unheard event of a type observers act on is still observed; its result and an unheard error are the original ones', () => {
  const { span, seen, binding } = setup();
  const bound = new Patched();
  bindEmitTo(bound, binding);
  // Unheard events of other types pass without the binding being looked up: not observed.
  assert.equal(bound.emit('quiet', 1), false);
  for (const type of ['finish', 'close', 'end', 'response', 'timeout', 'aborted']) assert.equal(bound.emit(type, 1), false);
  const boom = new Error('boom');
  assert.throws(() => bound.emit('error', boom), (err) => err === boom);
  assert.deepEqual(seen, ['finish', 'close', 'end', 'response', 'timeout', 'aborted', 'error']);
  // errorMonitor listeners are not counted by listenerCount('error'): they must still run in scope.
  let monitored: unknown;
  bound.on(EventEmitter.errorMonitor, () => { monitored = activeSpan(); });
  assert.throws(() => bound.emit('error', boom), (err) => err === boom);
  assert.equal(monitored, span);
  // A listener added later runs in the scope again.
  let late: unknown;
  bound.on('quiet', () => { late = activeSpan(); });
  assert.equal(bound.emit('quiet'), true);
  assert.equal(late, span);
  assert.equal(seen.at(-1), 'quiet', 'a heard event of any type is observed');
});

test("an observed event whose listeners are still those there at binding (Node's own) runs outside the scope, observed; one the app joins runs inside", () => {
  const { span, seen } = setup();
  const bound = new Patched();
  const nodeOwn: unknown[] = [];
  const own = (): void => { nodeOwn.push(activeSpan()); };
  bound.on('finish', own);
  bindEmitTo(bound, { scope: { span } as any, observe(type) { seen.push(type); }, quietType: 'finish', quietListeners: listenersOf(bound, 'finish') });
  assert.equal(bound.emit('finish'), true);
  assert.deepEqual(nodeOwn, [null], "the listener there before the binding ran outside the scope");
  const app: unknown[] = [];
  const appListener = (): void => { app.push(activeSpan()); };
  bound.on('finish', appListener);
  bound.emit('finish');
  assert.deepEqual(nodeOwn, [null, span], 'with an app listener added, every listener runs in the scope');
  assert.deepEqual(app, [span]);
  bound.off('finish', appListener);
  bound.emit('finish');
  assert.deepEqual(nodeOwn, [null, span, null], 'the app listener removed again: quiet again');
  // Only the quiet type is quiet: the same listener on another observed type still runs inside.
  bound.on('close', own);
  bound.emit('close');
  assert.deepEqual(nodeOwn, [null, span, null, span]);
  assert.deepEqual(seen, ['finish', 'finish', 'finish', 'close'], 'the observer saw every event');
});

test('listenersOf reads what listenerCount counts: undefined exactly when nothing listens', () => {
  const e = new EventEmitter();
  const f = (): void => {};
  const g = (): void => {};
  assert.equal(listenersOf(e, 'x'), undefined);
  e.on('x', f);
  assert.equal(listenersOf(e, 'x'), f);
  e.on('x', g);
  assert.deepEqual(listenersOf(e, 'x'), [f, g]);
  e.off('x', g);
  assert.equal(listenersOf(e, 'x'), f, 'back to the lone listener itself');
  e.off('x', f);
  assert.equal(listenersOf(e, 'x'), undefined);
  assert.equal(listenersOf(Object.create(null), 'x'), undefined, 'an object without _events');
});
