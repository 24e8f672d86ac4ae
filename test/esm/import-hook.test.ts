// The ES module hook with fake definitions (test/fixtures/esm/fake-hooks.mjs, --import'ed), on fake
// packages committed under test/fixtures/esm/node_modules: a pure ES module package (named exports,
// a class, an internal ES module file, a dynamic import), one outside its definition's range, one
// whose patch throws, and a CommonJS package both imported and required.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { runFixture } from '../helpers/run-fixture';
import { ESM_FIXTURES, hasModuleRegister } from './sandbox';

/** fake-app.mjs from its folder, with these node flags and no preload of ours. */
function run(execArgv: string[]) {
  return runFixture(path.join(ESM_FIXTURES, 'fake-app.mjs'), { preload: false, execArgv, cwd: ESM_FIXTURES });
}

test('imported modules go through the same definitions as required ones, in every import form', async () => {
  const r = await run(['--import', './fake-hooks.mjs']);
  assert.equal(r.code, 0, r.stderr);
  if (!hasModuleRegister()) {
    // No import hook on this Node: one warning; the CommonJS package is still patched by require.
    assert.match(r.stderr, /^hook warn: ES module imports are not traced on Node /);
    return;
  }
  const seen = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
  assert.deepEqual(seen, {
    // A pure ES module package: the namespace is patched through the hook's setters, so the named
    // binding, the namespace object and a later dynamic import all see the wrapper.
    esmNamed: 'patched hello a',
    esmNamespace: 'patched hello a',
    esmDynamic: 'patched hello a',
    esmClass: 'patched hi a',
    // The package's internal ES module file, hooked by its `file:` definition and re-exported.
    esmInner: 'patched a!',
    // Outside the definition's range: left alone.
    old: 'hello a',
    // The patch threw after wrapping: the wrap is undone, the import works unchanged.
    throwing: 'hello a',
    // CommonJS imported (default and named) and required: one object, patched once.
    cjsDefault: 'patched hello a',
    cjsNamed: 'patched hello a',
    cjsRequired: 'patched hello a',
    sameCjsObject: true,
  });
  // The throwing patch is reported once; nothing else is said.
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('hook '));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^hook warn: could not instrument .*fake-esm-throw 1\.0\.0 Error: boom/);
});

test('the same app without the hook prints the unpatched values (the check above can fail)', async () => {
  const r = await run([]);
  assert.equal(r.code, 0, r.stderr);
  const seen = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
  assert.equal(seen.esmNamed, 'hello a');
  assert.equal(seen.cjsNamed, 'hello a');
});
