// Every function the loader replaces must look like the original to the app: after loading every
// instrumented module version installed in test/versions (and the core modules), each wrap record
// the hook keeps is compared with the function it replaced: name, length, and every own property
// (static helpers, util.promisify.custom, prototype) with the same value and attributes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { originalOf } from '../../src/shim/wrap';
import { versionSets } from '../helpers/versions';
import { describeWrap, loadEverything } from '../helpers/safety';

test('every wrapped function keeps the original\'s name, length and own properties (all installed versions)', (t) => {
  const { hook, loaded } = loadEverything();
  try {
    const wraps = hook.wraps();
    // Every instrumentation with a require-time patch wrapped something.
    const applied = hook.applied();
    assert.ok(applied.length >= versionSets().length, `applied: ${applied.join(', ')}`);
    assert.ok(wraps.length > 100, `only ${wraps.length} wrapped functions after loading ${loaded.length} modules`);

    const problems: string[] = [];
    t.diagnostic(`${wraps.length} wrapped functions in ${loaded.length} modules`);
    for (const { target, method, wrapped } of wraps) {
      const original = originalOf(wrapped);
      const where = describeWrap(original, method, target);
      if (original === wrapped) {
        problems.push(`${where}: no original recorded`);
        continue;
      }
      if (wrapped.name !== original.name) problems.push(`${where}: name ${JSON.stringify(wrapped.name)}`);
      if (wrapped.length !== original.length) problems.push(`${where}: length ${wrapped.length}`);
      for (const key of Reflect.ownKeys(original)) {
        if (key === 'arguments' || key === 'caller' || key === 'name' || key === 'length') continue;
        const want = Object.getOwnPropertyDescriptor(original, key)!;
        const got = Object.getOwnPropertyDescriptor(wrapped, key);
        if (got === undefined) {
          problems.push(`${where}: own property ${String(key)} missing`);
        } else if (got.value !== want.value || got.get !== want.get || got.enumerable !== want.enumerable) {
          problems.push(`${where}: own property ${String(key)} differs`);
        }
      }
      // Nothing of ours is visible as a string or enumerable key either.
      for (const key of Object.keys(wrapped)) {
        if (!Object.prototype.hasOwnProperty.call(original, key)) problems.push(`${where}: extra own property ${key}`);
      }
    }
    assert.deepEqual(problems, [], `${problems.length} of ${wraps.length} wrapped functions differ`);
  } finally {
    hook.uninstall();
  }
});
