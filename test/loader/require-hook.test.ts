// src/loader/require-hook.ts, the start-up-cheap require hook with require-in-the-middle's contract,
// on the committed fake packages under test/loader/node_modules: which names onrequire gets, once
// per module, replacements, modules loaded before the hook, core modules, unhook.
import assert from 'node:assert/strict';
import Module from 'node:module';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { Hook } from '../../src/loader/require-hook';
import { FAKES, forgetFakes, requireFake } from './support';

interface Call { name: string; basedir: string | undefined; exports: unknown }

function hook(t: TestContext, names: string[], internals: boolean, replace?: (exports: any, name: string) => unknown): Call[] {
  const calls: Call[] = [];
  const h = new Hook(names, { internals }, (exports, name, basedir) => {
    calls.push({ name, basedir, exports });
    return replace ? replace(exports, name) : exports;
  });
  t.after(() => {
    h.unhook();
    forgetFakes();
  });
  return calls;
}

test('a package main file and, with internals, its internal files: require-in-the-middle names and basedir', (t) => {
  forgetFakes();
  const calls = hook(t, ['fake-lib'], true);
  const lib = requireFake('fake-lib');
  const base = path.join(FAKES, 'fake-lib');
  assert.deepEqual(calls.map((c) => [c.name, c.basedir]), [
    [`fake-lib${path.sep}${path.join('lib', 'impl.js')}`, base],
    ['fake-lib', base],
  ]);
  assert.equal(calls[1].exports, lib);
  requireFake('fake-lib');
  assert.equal(calls.length, 2, 'a cached module is not seen again');
});

test('without internals only the main file; packages not listed and nested copies by their own basedir', (t) => {
  forgetFakes();
  const calls = hook(t, ['fake-lib'], false);
  requireFake('fake-lib');
  requireFake('fake-noversion');
  requireFake('fake-host');
  assert.deepEqual(calls.map((c) => [c.name, c.basedir]), [
    ['fake-lib', path.join(FAKES, 'fake-lib')],
    ['fake-lib', path.join(FAKES, 'fake-host', 'node_modules', 'fake-lib')],
  ]);
});

test('scoped packages are matched by their full name', (t) => {
  forgetFakes();
  const calls = hook(t, ['@fake/scoped'], false);
  requireFake('@fake/scoped');
  assert.deepEqual(calls.map((c) => c.name), ['@fake/scoped']);
});

test('a replacement is what every later require() returns', (t) => {
  forgetFakes();
  const replacement = { replaced: true };
  hook(t, ['fake-lib'], false, () => replacement);
  assert.equal(requireFake('fake-lib'), replacement);
  assert.equal(requireFake('fake-lib'), replacement);
});

test('a module loaded before the hook is patched at its next require(), not before', (t) => {
  forgetFakes();
  const lib = requireFake('fake-lib');
  const calls = hook(t, ['fake-lib'], true, (exports, name) => (name === 'fake-lib' ? { wrapped: exports } : exports));
  assert.equal(calls.length, 0);
  const again = requireFake('fake-lib');
  assert.deepEqual(calls.map((c) => c.name), ['fake-lib']);
  assert.deepEqual(again, { wrapped: lib });
  assert.equal(requireFake('fake-lib'), again);
  assert.equal(calls.length, 1);
});

test('core modules: with or without node:, one call, the same (replaced) exports both ways', (t) => {
  const calls = hook(t, ['querystring'], false, (exports) => ({ ...exports, ours: true }));
  const a = require('node:querystring');
  const b = require('querystring');
  assert.equal(a, b);
  assert.equal(a.ours, true);
  assert.deepEqual(calls.map((c) => [c.name, c.basedir]), [['querystring', undefined]]);
});

test('unhook puts require and load back; nothing is seen afterwards', (t) => {
  forgetFakes();
  const proto = Module.prototype as unknown as { require: unknown; load: unknown };
  const before = [proto.require, proto.load];
  const calls: string[] = [];
  const h = new Hook(['fake-lib'], { internals: true }, (exports, name) => {
    calls.push(name);
    return exports;
  });
  t.after(() => forgetFakes());
  assert.notEqual(proto.require, before[0]);
  h.unhook();
  assert.deepEqual([proto.require, proto.load], before);
  requireFake('fake-lib');
  assert.deepEqual(calls, []);
});

test('a module whose exports is a getter loads as without the hook, even when onrequire wants to replace it', (t) => {
  forgetFakes();
  const calls = hook(t, ['fake-lib'], true, (exports, name) => (name.endsWith('getter.js') ? { replaced: true } : exports));
  assert.deepEqual(requireFake('fake-lib/lib/getter.js'), { kind: 'getter' });
  assert.deepEqual(calls.map((c) => c.name), [`fake-lib${path.sep}${path.join('lib', 'getter.js')}`]);
});
