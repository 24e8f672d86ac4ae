// The pure parts of the ES module loader: when boot counts the main module as ESM, which Node gets
// the in-thread loader, what the loader is told to intercept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isEsmFile, mainUsesEsmLoader } from '../../src/loader/esm-entry';
import { loaderIncludes, onImport, syncHooksUsable } from '../../src/loader/esm';
import { BUILTIN_INSTRUMENTATIONS } from '../../src/loader/registry';

function tree(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jaeger-esm-entry-'));
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
  return dir;
}

test('isEsmFile: extension, then the nearest package.json "type", then import/export syntax', (t) => {
  const dir = tree({
    'a.mjs': '', 'a.cjs': 'import x from "y"', 'plain/a.js': 'const x = require("y");\n',
    'syntax/a.js': '// app\nimport http from "node:http";\n', 'exp/a.js': '\n  export const x = 1;\n',
    'typed/package.json': '{"type":"module"}', 'typed/sub/a.js': 'require("x")',
    'cjs/package.json': '{"type":"commonjs"}', 'cjs/a.js': 'import x from "y"',
    'untyped/package.json': '{"name":"x"}', 'untyped/a.js': 'module.exports = "import x"',
    'data/a.json': '{}',
  });
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const esm = (f: string) => isEsmFile(path.join(dir, f));
  assert.equal(esm('a.mjs'), true);
  assert.equal(esm('a.cjs'), false);
  assert.equal(esm('typed/sub/a.js'), true, 'type module, found two levels up');
  assert.equal(esm('cjs/a.js'), false, 'type commonjs wins over syntax');
  assert.equal(esm('syntax/a.js'), true);
  assert.equal(esm('exp/a.js'), true);
  assert.equal(esm('untyped/a.js'), false, 'no type, no import statement');
  assert.equal(esm('plain/a.js'), false);
  assert.equal(esm('data/a.json'), false);
  assert.equal(esm('missing.js'), false);
});

test('mainUsesEsmLoader: an --import/--loader flag (command line or NODE_OPTIONS) or an ESM main', () => {
  assert.equal(mainUsesEsmLoader(undefined, [], undefined), false, 'no main (REPL, -e)');
  assert.equal(mainUsesEsmLoader('/x/app.mjs', [], undefined), true);
  assert.equal(mainUsesEsmLoader('/x/app.cjs', ['--import', 'x'], undefined), true);
  assert.equal(mainUsesEsmLoader('/x/app.cjs', ['--import=x'], undefined), true);
  assert.equal(mainUsesEsmLoader('/x/app.cjs', ['--experimental-loader', 'x'], undefined), true);
  assert.equal(mainUsesEsmLoader('/x/app.cjs', [], '--max-old-space-size=100 --import jaeger-auto/register'), true);
  assert.equal(mainUsesEsmLoader('/x/app.cjs', ['-r', 'x', '--importance'], '--no-warnings'), false);
  assert.equal(mainUsesEsmLoader('/x/app', ['--experimental-default-type=module'], undefined), true);
  assert.equal(mainUsesEsmLoader('/x/app', ['--experimental-default-type=commonjs'], undefined), false);
});

test('syncHooksUsable: the Node versions whose registerHooks takes the null CommonJS source', () => {
  const yes = ['22.22.3', '22.23.0', '24.11.1', '24.12.0', '25.1.0', '26.0.0', '27.1.0'];
  const no = ['18.19.0', '20.20.2', '21.7.3', '22.22.2', '22.15.0', '23.11.1', '24.11.0', '24.0.0', '25.0.0'];
  for (const v of yes) assert.equal(syncHooksUsable(v), true, v);
  for (const v of no) assert.equal(syncHooksUsable(v), false, v);
});

test('loaderIncludes: module names with a main definition and the files of file definitions, nothing else', () => {
  const includes = loaderIncludes(Object.values(BUILTIN_INSTRUMENTATIONS).flat(), (n) => n.replace(/^node:/, ''));
  const names = includes.filter((i): i is string => typeof i === 'string');
  const files = includes.filter((i): i is RegExp => i instanceof RegExp);
  assert.ok(names.includes('http') && names.includes('pg'), names.join());
  assert.ok(!names.includes('koa'), 'koa only has file definitions: its entry is not wrapped');
  const client = files.find((r) => r.test('file:///app/node_modules/pg/lib/client.js'));
  assert.ok(client, 'pg/lib/client.js');
  assert.equal(client.test('file:///app/node_modules/pg/lib/client.mjs'), true);
  assert.equal(client.test('file:///app/node_modules/pg/lib/clientXjs'), false, 'dots are literal');
  assert.equal(files.some((r) => r.test('file:///app/node_modules/not-pg/lib/client.js')), false);
});

test('onImport: a CommonJS default is patched and each named binding that shared a value is rebound', () => {
  const original = function request() { return 'original'; };
  const wrapped = function request() { return 'wrapped'; };
  const other = () => 'other';
  const exportsObj: Record<string, unknown> = { request: original, other };
  Object.defineProperty(exportsObj, 'lazy', { get() { throw new Error('getter must not run'); }, enumerable: true });
  const namespace: Record<string, unknown> = { default: exportsObj, request: original, other: 'a different value', lazy: 1 };
  const seen: unknown[] = [];
  onImport((exp, key, basedir) => {
    seen.push([exp, key, basedir]);
    (exp as Record<string, unknown>).request = wrapped;
    (exp as Record<string, unknown>).other = () => 'changed';
    return exp;
  }, namespace, 'http', undefined);
  assert.deepEqual(seen, [[exportsObj, 'http', undefined]]);
  assert.equal(namespace.request, wrapped);
  assert.equal(namespace.other, 'a different value', 'a binding that was not the same value is left alone');
  assert.equal(namespace.lazy, 1);
});

test('onImport: no default export → the namespace itself is patched', () => {
  const namespace: Record<string, unknown> = { greet: () => 'hi' };
  let got: unknown;
  onImport((exp) => { got = exp; return exp; }, namespace, 'fake', '/x/node_modules/fake');
  assert.equal(got, namespace);
});

test('onImport: a replacement returned for the default becomes the default', () => {
  const replacement = { request: () => 'new' };
  const namespace: Record<string, unknown> = { default: { request: () => 'old' } };
  onImport(() => replacement, namespace, 'x', '/x');
  assert.equal(namespace.default, replacement);
});
