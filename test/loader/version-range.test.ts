// src/loader/version-range.ts answers exactly as semver.satisfies, for every range the built-in
// definitions use and for forms it leaves to semver; the simple forms never load semver.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import semverSatisfies from 'semver/functions/satisfies';
import { quick, satisfies } from '../../src/loader/version-range';
import { BUILTIN_INSTRUMENTATIONS } from '../../src/loader/registry';

const VERSIONS = [
  '0.0.0', '0.8.0', '0.10.9', '0.14.0', '0.14.7', '0.99.99', '1.0.0', '1.1.0', '1.7.99', '1.8.0', '1.12.3', '2.0.0', '2.3.1',
  '2.99.0', '3.0.0', '3.24.6', '4.0.0', '4.16.9', '4.17.0', '4.22.1', '5.0.0', '5.12.1', '6.3.1', '7.0.0', '7.18.2', '8.23.1',
  '9.0.0', '10.4.0', '11.0.0', '15.11.0', '16.15.0', '17.0.0', '17.1.0', '18.0.0', '20.20.2', '100.0.0',
];
const PRERELEASES = ['8.0.0-beta.1', '5.0.0-rc.0', '17.0.0-alpha.1'];

function definitionRanges(): string[] {
  const ranges = new Set<string>();
  for (const definitions of Object.values(BUILTIN_INSTRUMENTATIONS)) for (const d of definitions) ranges.add(d.versions);
  return [...ranges];
}

test('every range of the built-in definitions: the same answer as semver, without semver', () => {
  const ranges = definitionRanges();
  assert.ok(ranges.length >= 10, `ranges found: ${ranges.join(', ')}`);
  for (const range of ranges) {
    for (const version of VERSIONS) {
      assert.equal(quick(version, range), semverSatisfies(version, range), `${version} in ${range}`);
    }
  }
});

test('partial bounds, whitespace and || as semver reads them', () => {
  for (const range of ['>=4.17 <5', '>=0.14.0 <1', ' >=1.1  <2 ||  >=5 <7 ', '>=3', '<2', '*', '', '>=1 <2 || *']) {
    for (const version of VERSIONS) assert.equal(quick(version, range), semverSatisfies(version, range), `${version} in '${range}'`);
  }
});

test('other forms and prerelease versions are left to semver, whose answer is returned', () => {
  for (const range of ['^1.2.0', '~4.17.0', '1.x', '>1 <=3', '1.0.0 - 2.0.0', '=2.0.0']) {
    assert.equal(quick('2.0.0', range), undefined, range);
    for (const version of VERSIONS) assert.equal(satisfies(version, range), semverSatisfies(version, range), `${version} in ${range}`);
  }
  for (const version of [...PRERELEASES, 'v1.2.3', '1.2', 'garbage']) {
    assert.equal(quick(version, '>=1 <100'), undefined, version);
    assert.equal(satisfies(version, '>=1 <100'), semverSatisfies(version, '>=1 <100'), version);
  }
});
