// The test matrix: every version listed in test/versions/<instrumentation>.json, installed by
// test/versions/install.js into its own folder and loaded from there with createRequire.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './run-fixture';
import { readVersionFiles, type VersionFile } from '../../src/config/readme';

export const VERSIONS_DIR = path.join(ROOT, 'test/versions');

export type VersionSet = VersionFile;

export function versionSets(): VersionSet[] {
  return readVersionFiles(VERSIONS_DIR);
}

/** The set for one instrumentation id; throws when there is none. */
export function versionSet(instrumentation: string): VersionSet {
  const set = versionSets().find((s) => s.instrumentation === instrumentation);
  if (set === undefined) throw new Error(`no test/versions/${instrumentation}.json`);
  return set;
}

/** The folder a version is installed in. */
export function versionDir(pkg: string, version: string): string {
  return path.join(VERSIONS_DIR, `${pkg}@${version}`);
}

/** `require(id)` as seen from that version's folder (id defaults to the package itself). */
export function requireVersion<T = any>(pkg: string, version: string, id: string = pkg): T {
  return createRequire(path.join(versionDir(pkg, version), 'index.js'))(id) as T;
}

/**
 * Every version of `name` installed in a version folder: at the top of its node_modules and nested
 * one level down (redis@4 brings @redis/client inside node_modules/redis/node_modules when hoisting
 * is impossible). Read from package.json files directly: `exports` maps may hide them from require.
 */
export function installedVersions(dir: string, name: string): string[] {
  const found: string[] = [];
  const read = (file: string) => {
    try {
      found.push((JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version);
    } catch {
      // not installed there
    }
  };
  const top = path.join(dir, 'node_modules');
  read(path.join(top, name, 'package.json'));
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(top);
  } catch {
    return found;
  }
  for (const entry of entries) {
    const pkgs = entry.startsWith('@') ? safeList(path.join(top, entry)).map((e) => `${entry}/${e}`) : [entry];
    for (const pkg of pkgs) read(path.join(top, pkg, 'node_modules', name, 'package.json'));
  }
  return found;
}

function safeList(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** The folder of the newest tested version of an instrumentation's package. */
export function newestVersionDir(instrumentation: string): string {
  const set = versionSet(instrumentation);
  return versionDir(set.package, set.versions[set.versions.length - 1]);
}
