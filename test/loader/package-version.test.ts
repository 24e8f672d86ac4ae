import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isCoreModule, packageVersion } from '../../src/loader/package-version';
import { FAKES } from './support';

test('package versions come from package.json on disk, cached per directory', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jaeger-auto-pkg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(packageVersion(path.join(FAKES, 'fake-lib')), '1.2.3');
  assert.equal(packageVersion(path.join(FAKES, 'fake-host/node_modules/fake-lib')), '2.0.1');
  assert.equal(packageVersion(path.join(FAKES, 'fake-noversion')), undefined);
  assert.equal(packageVersion(path.join(dir, 'missing')), undefined);
  writeFileSync(path.join(dir, 'package.json'), '{ "version": "4.5.6" }');
  assert.equal(packageVersion(dir), '4.5.6');
  writeFileSync(path.join(dir, 'package.json'), '{ "version": "9.9.9" }');
  assert.equal(packageVersion(dir), '4.5.6', 'read once per directory');
  const pkgKeys = Object.keys(require.cache).filter((k) => k.endsWith('package.json'));
  assert.deepEqual(pkgKeys, [], 'read with fs, never through require');
});

test('a malformed package.json is an unknown version, not an exception', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jaeger-auto-pkg-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'package.json'), '{ not json');
  assert.equal(packageVersion(dir), undefined);
});

test('core module names, with and without the node: prefix', () => {
  assert.equal(isCoreModule('http'), true);
  assert.equal(isCoreModule('node:http'), true);
  assert.equal(isCoreModule('node:test'), true);
  assert.equal(isCoreModule('test'), false);
  assert.equal(isCoreModule('fake-lib'), false);
});
