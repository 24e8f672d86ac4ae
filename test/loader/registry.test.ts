import assert from 'node:assert/strict';
import { test } from 'node:test';
import validRange from 'semver/ranges/valid';
import { INSTRUMENTATION_IDS } from '../../src/config/schema';
import type { InstrumentationDefinition } from '../../src/loader/definition';
import { BUILTIN_INSTRUMENTATIONS, selectInstrumentations } from '../../src/loader/registry';

test('the registry lists exactly the instrumentation ids the config accepts', () => {
  assert.deepEqual(Object.keys(BUILTIN_INSTRUMENTATIONS).sort(), [...INSTRUMENTATION_IDS].sort());
});

test('every built-in definition is well formed: a name, a valid range, a patch function', () => {
  for (const [id, definitions] of Object.entries(BUILTIN_INSTRUMENTATIONS)) {
    assert.ok(Array.isArray(definitions), id);
    for (const d of definitions) {
      assert.equal(typeof d.name, 'string', id);
      assert.notEqual(validRange(d.versions), null, `${id}: ${d.name} range ${d.versions}`);
      assert.equal(typeof d.patch, 'function', id);
    }
  }
});

const def = (name: string): InstrumentationDefinition => ({ name, versions: '*', patch() {} });
const ALL = Object.freeze({ http: [def('http'), def('https')], pg: [def('pg')], redis: [def('redis')] });

test('an empty allow list selects everything', () => {
  const selected = selectInstrumentations(ALL, [], []);
  assert.deepEqual(Object.keys(selected), ['http', 'pg', 'redis']);
  assert.equal(selected.http, ALL.http);
});

test('the allow list narrows, the deny list removes, and deny wins over allow', () => {
  assert.deepEqual(Object.keys(selectInstrumentations(ALL, ['pg', 'http'], [])), ['http', 'pg']);
  assert.deepEqual(Object.keys(selectInstrumentations(ALL, [], ['redis'])), ['http', 'pg']);
  assert.deepEqual(Object.keys(selectInstrumentations(ALL, ['pg', 'redis'], ['redis'])), ['pg']);
  assert.deepEqual(Object.keys(selectInstrumentations(ALL, ['pg'], ['pg'])), []);
});

test('unknown ids select nothing and remove nothing', () => {
  assert.deepEqual(Object.keys(selectInstrumentations(ALL, ['mongodb'], [])), []);
  assert.deepEqual(Object.keys(selectInstrumentations(ALL, [], ['mongodb'])), ['http', 'pg', 'redis']);
});
