import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { InstrumentationDefinition } from '../../src/loader/definition';
import { hookKey, hookedModuleNames, installHooks } from '../../src/loader/hook';
import { isWrapped } from '../../src/shim/wrap';
import { currentInstrumentation } from '../../src/shim/guard';
import { recordingLogger } from './support';

// Core modules, through test-only definitions on 'querystring' (no built-in instrumentation touches
// it). require-in-the-middle 8 reports require('node:querystring') under the bare name
// 'querystring' and caches both spellings as one, so the hook must list bare names.

type QueryString = typeof import('node:querystring');

function escapeDefinition(name: string, calls: { version: string; name: string }[]): InstrumentationDefinition<QueryString> {
  return {
    name,
    versions: '*',
    patch(qs, ctx) {
      calls.push({ version: ctx.version, name: ctx.name });
      ctx.wrap(qs, 'escape', (original) => function (this: unknown, str: string) {
        return original.call(this, str).toUpperCase();
      });
    },
  };
}

for (const spelling of ['querystring', 'node:querystring']) {
  test(`a definition named '${spelling}' patches require('node:querystring') and require('querystring') once`, (t) => {
    const log = recordingLogger();
    const calls: { version: string; name: string }[] = [];
    const handle = installHooks({ qs: [escapeDefinition(spelling, calls)] }, { logger: log });
    t.after(() => handle.uninstall());
    const prefixed = require('node:querystring') as QueryString;
    const bare = require('querystring') as QueryString;
    assert.equal(prefixed, bare);
    assert.equal(isWrapped(bare.escape), true);
    assert.equal(bare.escape('a b'), 'A%20B');
    assert.deepEqual(calls, [{ version: process.versions.node, name: 'querystring' }]);
    assert.deepEqual(handle.applied(), ['querystring']);
    assert.deepEqual(log.at('debug'), [`patched querystring@${process.versions.node}`]);
    handle.uninstall();
    assert.equal(isWrapped(bare.escape), false);
    assert.equal(bare.escape('a b'), 'a%20b');
  });
}

test('a core module that exists only with the prefix (node:test) is hooked under that name', (t) => {
  const seen: unknown[] = [];
  const handle = installHooks({ t: [{ name: 'node:test', versions: '*', patch: (e) => { seen.push(e); } }] });
  t.after(() => handle.uninstall());
  const nodeTest = require('node:test') as unknown;
  assert.deepEqual(seen, [nodeTest]);
  assert.deepEqual(hookedModuleNames({ t: [{ name: 'node:test', versions: '*', patch() {} }] }), ['node:test']);
});

// Typed by hand: @types/node 20 predates process.getBuiltinModule (Node 20.16, 22.3).
const proc = process as unknown as { getBuiltinModule?: (id: string) => unknown };

test('process.getBuiltinModule goes through the same hook, and uninstall restores it', { skip: !proc.getBuiltinModule }, (t) => {
  const original = proc.getBuiltinModule;
  const calls: { version: string; name: string }[] = [];
  const handle = installHooks({ qs: [escapeDefinition('querystring', calls)] });
  t.after(() => handle.uninstall());
  const qs = proc.getBuiltinModule!('node:querystring') as QueryString;
  assert.equal(isWrapped(qs.escape), true);
  assert.equal(require('querystring'), qs);
  assert.equal(calls.length, 1);
  handle.uninstall();
  assert.equal(proc.getBuiltinModule, original);
  assert.equal(isWrapped(qs.escape), false);
});

test('hook keys: bare core names, module/file for internal files', () => {
  const def = (name: string, file?: string): InstrumentationDefinition => ({ name, file, versions: '*', patch() {} });
  assert.equal(hookKey(def('node:http')), 'http');
  assert.equal(hookKey(def('pg', 'lib/client.js')), 'pg/lib/client.js');
  assert.equal(hookKey(def('pg', './lib/client.js')), 'pg/lib/client.js');
  assert.equal(hookKey(def('@redis/client', 'dist/lib/client/index.js')), '@redis/client/dist/lib/client/index.js');
  assert.deepEqual(hookedModuleNames({ a: [def('node:http'), def('https')], b: [def('pg'), def('pg', 'lib/x.js')] }), ['http', 'https', 'pg']);
});

test('hooking only core modules with range * never loads semver', (t) => {
  const handle = installHooks({ qs: [escapeDefinition('querystring', [])] });
  t.after(() => handle.uninstall());
  require('node:querystring');
  assert.deepEqual(handle.applied(), ['querystring']);
  const semver = Object.keys(require.cache).filter((k) => /[\\/]node_modules[\\/]semver[\\/]/.test(k));
  assert.deepEqual(semver, []);
});

test('ctx.wrap runs a wrapper as its instrumentation; with unguarded: true the wrapper is installed as it is', (t) => {
  const seen: Array<[string, string | undefined]> = [];
  const definition: InstrumentationDefinition<QueryString> = {
    name: 'querystring',
    versions: '*',
    patch(qs, ctx) {
      for (const [method, unguarded] of [['escape', false], ['unescape', true]] as const) {
        ctx.wrap(qs, method, (original) => function (this: unknown, str: string) {
          seen.push([method, currentInstrumentation()?.id]);
          return original.call(this, str);
        }, { unguarded });
      }
    },
  };
  const handle = installHooks({ qs: [definition] });
  t.after(() => handle.uninstall());
  const qs = require('node:querystring') as QueryString;
  assert.equal(qs.escape('a b'), 'a%20b');
  assert.equal(qs.unescape('a%20b'), 'a b');
  assert.deepEqual(seen, [['escape', 'qs'], ['unescape', undefined]]);
  assert.equal(isWrapped(qs.unescape), true, 'still recorded: uninstall puts it back');
  handle.uninstall();
  assert.equal(isWrapped(qs.unescape), false);
  assert.equal(isWrapped(qs.escape), false);
});
