// One list of supported versions: test/versions/<id>.json gives each instrumented package's
// supported range and the versions tested. The loader's definitions, the installed test folders
// and the README's modules table must all agree with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import semver from 'semver';
import { BUILTIN_INSTRUMENTATIONS } from '../../src/loader/registry';
import { README_PATH, MODULES_END_MARKER, MODULES_START_MARKER, extractSection, renderModulesSection } from '../../src/config/readme';
import { installedVersions, versionDir, versionSets } from '../helpers/versions';

const sets = versionSets();

test('every instrumentation of an npm package has a version file, and every version file an instrumentation', () => {
  const withFiles = new Set(sets.map((s) => s.instrumentation));
  for (const [id, defs] of Object.entries(BUILTIN_INSTRUMENTATIONS)) {
    const npm = defs.some((d) => d.versions !== '*');
    assert.equal(withFiles.has(id), npm, `${id}: ${npm ? 'missing' : 'unexpected'} test/versions/${id}.json`);
  }
  for (const s of sets) assert.ok(BUILTIN_INSTRUMENTATIONS[s.instrumentation], `${s.instrumentation} is not an instrumentation`);
});

for (const set of sets) {
  const defs = BUILTIN_INSTRUMENTATIONS[set.instrumentation] ?? [];
  test(`${set.instrumentation}: tested versions lie in the supported range, are installed, and each is instrumented`, () => {
    assert.ok(semver.validRange(set.range), `range ${set.range}`);
    assert.ok(/</.test(set.range) || set.range.includes(' - '), `closed range: ${set.range}`);
    for (const v of set.versions) {
      assert.ok(semver.satisfies(v, set.range), `${set.package}@${v} outside ${set.range}`);
      const dir = versionDir(set.package, v);
      assert.ok(fs.existsSync(dir), `${dir} missing: run node test/versions/install.js`);
      assert.deepEqual(installedVersions(dir, set.package).slice(0, 1), [v], `${set.package}@${v} installed`);
      const matched = defs.filter((d) => installedVersions(dir, d.name).some((iv) => semver.satisfies(iv, d.versions)));
      assert.ok(matched.length > 0, `no definition of ${set.instrumentation} matches what ${set.package}@${v} installs`);
    }
  });

  test(`${set.instrumentation}: the oldest and newest supported majors are both tested`, () => {
    const majors = set.versions.map((v) => semver.major(v));
    const lowest = semver.minVersion(set.range)!.major;
    assert.ok(majors.includes(lowest), `oldest supported major ${lowest} of ${set.range} is not tested`);
    // The newest major the range admits is the one below its upper bound.
    const upper = /<\s*(\d+)/.exec(set.range);
    if (upper) assert.ok(majors.includes(Number(upper[1]) - 1), `newest supported major ${Number(upper[1]) - 1} is not tested`);
    for (const d of defs) assert.ok(semver.validRange(d.versions), `${d.name} range ${d.versions}`);
  });
}

test('README modules table is the rendered one (run `npm run docs:env`)', () => {
  const readme = fs.readFileSync(README_PATH, 'utf8');
  assert.equal(extractSection(readme, MODULES_START_MARKER, MODULES_END_MARKER), renderModulesSection());
});
