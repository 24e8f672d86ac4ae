import assert from 'node:assert/strict';
import Module from 'node:module';
import { test, type TestContext } from 'node:test';
import type { InstrumentationDefinition } from '../../src/loader/definition';
import { installHooks, type HookHandle, type HookOptions, type Instrumentations } from '../../src/loader/hook';
import { isWrapped } from '../../src/shim/wrap';
import { forgetFakes, recordingLogger, requireFake } from './support';

// Hooks run in this process on the committed fake packages under test/loader/node_modules:
// fake-lib@1.2.3 (with lib/impl.js), fake-host → its own fake-lib@2.0.1, fake-noversion.

interface FakeLib {
  version: string;
  greet(name: string, punctuation?: string): string;
  Client: new () => { query(sql: string): string };
  impl: { compute(a: number, b: number): number };
}

const loadLib = () => requireFake('fake-lib') as FakeLib;
const loadHostLib = () => requireFake('fake-host') as FakeLib;

/** A definition that wraps greet (prefixing its result) and counts what it was given. */
function greetDefinition(versions: string, seen: { exports: unknown; version: string }[] = []): InstrumentationDefinition<FakeLib> {
  return {
    name: 'fake-lib',
    versions,
    patch(exports, ctx) {
      seen.push({ exports, version: ctx.version });
      ctx.wrap(exports, 'greet', (original) => function (this: unknown, ...args: [string, string?]) {
        return `[traced] ${original.apply(this, args)}`;
      });
    },
  };
}

function install(t: TestContext, set: Instrumentations, options?: HookOptions): HookHandle {
  forgetFakes();
  const handle = installHooks(set, options);
  t.after(() => {
    handle.uninstall();
    forgetFakes();
  });
  return handle;
}

test('dispatches by module name and passes the version from the package.json', (t) => {
  const log = recordingLogger();
  const seen: { exports: unknown; version: string }[] = [];
  const handle = install(t, { fake: [greetDefinition('^1.2.0', seen)] }, { logger: log });
  const lib = loadLib();
  assert.equal(lib.greet('ann'), '[traced] hello ann');
  assert.equal(seen.length, 1);
  assert.equal(seen[0].exports, lib);
  assert.equal(seen[0].version, '1.2.3');
  assert.deepEqual(handle.applied(), ['fake-lib@1.2.3']);
  forgetFakes();
  const reloaded = loadLib();
  assert.notEqual(reloaded, lib, 'a fresh evaluation is a new exports object');
  assert.equal(reloaded.greet('al'), '[traced] hello al');
  assert.equal(seen.length, 2);
  assert.deepEqual(handle.applied(), ['fake-lib@1.2.3'], 'listed once per module@version');
  assert.deepEqual(log.at('debug').filter((l) => l.startsWith('patched')), ['patched fake-lib@1.2.3']);
  const other = requireFake('fake-noversion') as { run(): string };
  assert.equal(other.run(), 'ran', 'modules nobody hooks come through as they are');
});

test('a version outside the range is left untouched, with one debug line naming module, version, range', (t) => {
  const log = recordingLogger();
  const seen: { exports: unknown; version: string }[] = [];
  const handle = install(t, { fake: [greetDefinition('>=2 <3', seen)] }, { logger: log });
  const lib = loadLib();
  assert.equal(lib.greet('ann'), 'hello ann');
  assert.equal(isWrapped(lib.greet), false);
  assert.equal(seen.length, 0);
  assert.deepEqual(handle.applied(), []);
  forgetFakes();
  loadLib();
  const skips = log.at('debug').filter((l) => l.includes('not patching'));
  assert.deepEqual(skips, ['not patching fake-lib@1.2.3: outside the supported range >=2 <3']);
});

test('ranges joined with || match either side', (t) => {
  const seen: { exports: unknown; version: string }[] = [];
  install(t, { fake: [greetDefinition('>=3 || ~1.2.0', seen)] });
  assert.equal(loadLib().greet('bo'), '[traced] hello bo');
  assert.equal(seen.length, 1);
});

test('a package.json without a version leaves the module alone', (t) => {
  const log = recordingLogger();
  let called = false;
  install(t, { x: [{ name: 'fake-noversion', versions: '*', patch: () => { called = true; } }] }, { logger: log });
  requireFake('fake-noversion');
  assert.equal(called, false);
  assert.match(log.at('debug').join('\n'), /not patching fake-noversion@\(unknown version\)/);
});

test('a throwing patch is undone: the app gets the very same exports, unchanged, and one warning', (t) => {
  const log = recordingLogger();
  let received: FakeLib | undefined;
  let greet: unknown;
  let before: PropertyDescriptorMap | undefined;
  const broken: InstrumentationDefinition<FakeLib> = {
    name: 'fake-lib',
    versions: '1.x',
    patch(exports, ctx) {
      received = exports;
      greet = exports.greet;
      before = Object.getOwnPropertyDescriptors(exports);
      assert.equal(ctx.wrap(exports, 'greet', (o) => function (this: unknown, ...a: [string]) { return o.apply(this, a); }), true);
      throw new Error('shim bug');
    },
  };
  const handle = install(t, { broken: [broken] }, { logger: log });
  const lib = loadLib();
  assert.equal(lib, received);
  assert.equal(lib.greet, greet);
  assert.deepEqual(Object.getOwnPropertyDescriptors(lib), before);
  assert.equal(lib.greet('cy'), 'hello cy');
  assert.deepEqual(handle.applied(), []);
  forgetFakes();
  loadLib();
  const warnings = log.at('warn');
  assert.equal(warnings.length, 1, 'the same module@version fails again but is reported once');
  assert.match(warnings[0], /could not instrument fake-lib@1\.2\.3, left untraced: Error: shim bug/);
});

test('one definition throwing does not stop the next one on the same module', (t) => {
  const seen: { exports: unknown; version: string }[] = [];
  const broken: InstrumentationDefinition = { name: 'fake-lib', versions: '*', patch() { throw new TypeError('x'); } };
  install(t, { a: [broken], b: [greetDefinition('*', seen)] }, { logger: recordingLogger() });
  assert.equal(loadLib().greet('di'), '[traced] hello di');
});

test('a patch may return a replacement; anything else keeps the original exports', (t) => {
  const replacement = { replaced: true };
  install(t, {
    a: [{ name: 'fake-lib', versions: '*', patch: () => replacement }],
    b: [{ name: '@fake/scoped', versions: '^3', patch: (exports: { marked?: boolean }) => { exports.marked = true; return 42 as never; } }],
  });
  assert.equal(requireFake('fake-lib'), replacement);
  assert.equal(requireFake('fake-lib'), replacement, 'and keeps returning it');
  const scoped = requireFake('@fake/scoped') as { marked?: boolean; send(m: string): string };
  assert.equal(scoped.marked, true);
  assert.equal(scoped.send('x'), 'sent x');
});

test('the same exports object is patched once: required twice, or seen by two hooks', (t) => {
  const seen: { exports: unknown; version: string }[] = [];
  const definition = greetDefinition('*', seen);
  const first = install(t, { fake: [definition] });
  const second = installHooks({ fake: [definition] });
  t.after(() => second.uninstall());
  const lib = loadLib();
  assert.equal(loadLib(), lib);
  assert.equal(loadHostLib().version, '2.0.1');
  assert.deepEqual(seen.map((s) => s.version), ['1.2.3', '2.0.1'], 'one patch per exports object');
  assert.equal(lib.greet('ed'), '[traced] hello ed');
  assert.deepEqual(first.applied(), ['fake-lib@1.2.3', 'fake-lib@2.0.1']);
  assert.deepEqual(second.applied(), []);
});

test('two copies of a package at different paths each meet their own range', (t) => {
  const log = recordingLogger();
  const v1: { exports: unknown; version: string }[] = [];
  const v2: { exports: unknown; version: string }[] = [];
  const v2def: InstrumentationDefinition<FakeLib> = {
    name: 'fake-lib',
    versions: '>=2 <3',
    patch(exports, ctx) {
      v2.push({ exports, version: ctx.version });
      ctx.wrap(exports.Client.prototype, 'query', (o) => function (this: unknown, sql: string) {
        return `[v2] ${o.call(this, sql)}`;
      });
    },
  };
  const onPatched: string[] = [];
  const handle = install(t, { fake: [greetDefinition('^1', v1), v2def] }, { logger: log, onPatched: (m) => onPatched.push(m) });
  const one = loadLib();
  const two = loadHostLib();
  assert.notEqual(one, two);
  assert.deepEqual([v1.length, v2.length], [1, 1]);
  assert.equal(v1[0].exports, one);
  assert.equal(v2[0].exports, two);
  assert.equal(one.greet('fi'), '[traced] hello fi');
  assert.equal(new one.Client().query('a'), 'v1:a');
  assert.equal(two.greet('fi'), 'hi fi');
  assert.equal(new two.Client().query('a'), '[v2] v2:a');
  assert.deepEqual(handle.applied(), ['fake-lib@1.2.3', 'fake-lib@2.0.1']);
  assert.deepEqual(onPatched, handle.applied());
  const debug = log.at('debug');
  assert.ok(debug.includes('patched fake-lib@1.2.3'));
  assert.ok(debug.includes('patched fake-lib@2.0.1'));
  assert.ok(debug.includes('not patching fake-lib@2.0.1: outside the supported range ^1'));
  assert.ok(debug.includes('not patching fake-lib@1.2.3: outside the supported range >=2 <3'));
});

test('an internal file is hooked by name/file, with the package version', (t) => {
  const seen: { exports: unknown; version: string }[] = [];
  const internal: InstrumentationDefinition<FakeLib['impl']> = {
    name: 'fake-lib',
    file: 'lib/impl.js',
    versions: '>=1',
    patch(exports, ctx) {
      seen.push({ exports, version: ctx.version });
      ctx.wrap(exports, 'compute', (o) => (a: number, b: number) => o(a, b) + 1000);
    },
  };
  const handle = install(t, { fake: [internal] });
  const lib = loadLib();
  const host = loadHostLib();
  assert.equal(lib.impl.compute(2, 3), 1005);
  assert.equal(host.impl.compute(2, 3), 1006);
  assert.equal(isWrapped(lib.greet), false, 'the main export is not given to a file definition');
  assert.deepEqual(seen.map((s) => [s.exports, s.version]), [[lib.impl, '1.2.3'], [host.impl, '2.0.1']]);
  assert.deepEqual(handle.applied(), ['fake-lib@1.2.3', 'fake-lib@2.0.1']);
});

test('uninstall puts every method back, removes the require hook, and a new install patches again', (t) => {
  const requireBefore = Module.prototype.require;
  const seen: { exports: unknown; version: string }[] = [];
  const definition = greetDefinition('*', seen);
  const handle = install(t, { fake: [definition] });
  assert.notEqual(Module.prototype.require, requireBefore);
  const lib = loadLib();
  assert.equal(isWrapped(lib.greet), true);
  handle.uninstall();
  handle.uninstall();
  assert.equal(Module.prototype.require, requireBefore);
  assert.equal(isWrapped(lib.greet), false);
  assert.equal(lib.greet('gu'), 'hello gu');
  assert.deepEqual(handle.applied(), []);
  assert.equal(isWrapped(loadHostLib().greet), false, 'modules loaded after uninstall are not patched');
  assert.equal(loadLib(), lib);
  // The same (still cached) exports object can be patched again by a later install.
  const again = installHooks({ fake: [definition] });
  t.after(() => again.uninstall());
  assert.equal(loadLib(), lib);
  assert.equal(isWrapped(lib.greet), true);
  assert.deepEqual(seen.map((s) => s.version), ['1.2.3', '1.2.3']);
});

test('no definitions: no hook at all', () => {
  const requireBefore = Module.prototype.require;
  const handle = installHooks({ none: [] });
  assert.equal(Module.prototype.require, requireBefore);
  handle.uninstall();
  assert.deepEqual(handle.applied(), []);
});
