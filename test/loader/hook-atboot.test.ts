// A definition's atBoot(): run once when the hooks are installed (before any require), only for the
// instrumentations selected, guarded, and undone by uninstall(). Runs in this process on the
// committed fake package fake-lib and on the real undici definition's diagnostics channels.
import assert from 'node:assert/strict';
import { channel } from 'node:diagnostics_channel';
import { test, type TestContext } from 'node:test';
import type { InstrumentationDefinition } from '../../src/loader/definition';
import { installHooks, type HookHandle, type HookOptions, type Instrumentations } from '../../src/loader/hook';
import { BUILTIN_INSTRUMENTATIONS, selectInstrumentations } from '../../src/loader/registry';
import { CHANNEL_CREATE, CHANNEL_ERROR, CHANNEL_HEADERS, CHANNEL_TRAILERS } from '../../instrumentations/undici';
import { forgetFakes, recordingLogger, requireFake } from './support';

interface Calls {
  boots: unknown[];
  undos: number;
  patches: number;
}

function bootDefinition(calls: Calls, name = 'fake-lib'): InstrumentationDefinition {
  return {
    name,
    versions: '*',
    patch() { calls.patches++; },
    atBoot(log) {
      calls.boots.push(log);
      return () => { calls.undos++; };
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

const fresh = (): Calls => ({ boots: [], undos: 0, patches: 0 });

test('atBoot runs once at install, with the logger, before any require; uninstall runs its undo once', (t) => {
  const log = recordingLogger();
  const calls = fresh();
  const handle = install(t, { fake: [bootDefinition(calls)] }, { logger: log });
  assert.equal(calls.boots.length, 1);
  assert.equal(calls.boots[0], log);
  assert.equal(calls.patches, 0, 'nothing required yet');
  requireFake('fake-lib');
  assert.equal(calls.patches, 1, 'the require hook works as before');
  assert.equal(calls.boots.length, 1, 'a require does not run atBoot again');
  assert.equal(calls.undos, 0);
  handle.uninstall();
  assert.equal(calls.undos, 1);
  handle.uninstall();
  assert.equal(calls.undos, 1, 'uninstall is idempotent');
});

test('a throwing atBoot is logged once and stops nothing else', (t) => {
  const log = recordingLogger();
  const calls = fresh();
  const throwing: InstrumentationDefinition = {
    name: 'fake-noversion',
    versions: '*',
    patch() {},
    atBoot() { throw new Error('boot failed'); },
  };
  const nothingToUndo: InstrumentationDefinition = { name: 'fake-host', versions: '*', patch() {}, atBoot() {} };
  const handle = install(t, { a: [throwing], b: [bootDefinition(calls)], c: [nothingToUndo] }, { logger: log });
  const warnings = log.at('warn');
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /could not start fake-noversion instrumentation, left untraced: Error: boot failed/);
  assert.equal(calls.boots.length, 1, 'the next definition still starts');
  requireFake('fake-lib');
  assert.equal(calls.patches, 1);
  handle.uninstall();
  assert.equal(calls.undos, 1);
});

test('a throwing undo is logged and the other undos still run', (t) => {
  const log = recordingLogger();
  const calls = fresh();
  const badUndo: InstrumentationDefinition = {
    name: 'fake-host', versions: '*', patch() {}, atBoot: () => () => { throw new Error('undo failed'); },
  };
  const handle = install(t, { a: [bootDefinition(calls)], b: [badUndo] }, { logger: log });
  assert.doesNotThrow(() => handle.uninstall());
  assert.equal(calls.undos, 1);
  assert.ok(log.at('debug').some((l) => /undo failed/.test(l)), log.at('debug').join('\n'));
});

test('only selected instrumentations start: JAEGER_INSTRUMENTATIONS and JAEGER_DISABLED_INSTRUMENTATIONS', (t) => {
  const on = fresh();
  const off = fresh();
  const all = { on: [bootDefinition(on)], off: [bootDefinition(off, 'fake-host')] };
  install(t, selectInstrumentations(all, [], ['off']));
  assert.equal(on.boots.length, 1);
  assert.equal(off.boots.length, 0, 'denied');
  install(t, selectInstrumentations(all, ['off'], []));
  assert.equal(on.boots.length, 1, 'not in the allow list');
  assert.equal(off.boots.length, 1);
});

test('the undici instrumentation subscribes to its channels at install and unsubscribes at uninstall', (t) => {
  const names = [CHANNEL_CREATE, CHANNEL_HEADERS, CHANNEL_TRAILERS, CHANNEL_ERROR];
  const subscribed = () => names.map((n) => channel(n).hasSubscribers);
  assert.deepEqual(subscribed(), [false, false, false, false], 'nobody listens before');
  const handle = install(t, selectInstrumentations(BUILTIN_INSTRUMENTATIONS, ['undici'], []));
  assert.deepEqual(subscribed(), [true, true, true, true]);
  handle.uninstall();
  assert.deepEqual(subscribed(), [false, false, false, false]);
  install(t, selectInstrumentations(BUILTIN_INSTRUMENTATIONS, [], ['undici']));
  assert.deepEqual(subscribed(), [false, false, false, false], 'disabled: no subscription');
});
