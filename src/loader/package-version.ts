import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';

// Read with fs, not require: requiring basedir/package.json would pass through our own hook (it
// fires for internal files when `internals` is on) and land in require.cache for the app to see.

const cache = new Map<string, string | undefined>();

/** The `version` field of basedir/package.json, or undefined when unreadable. Cached per basedir. */
export function packageVersion(basedir: string): string | undefined {
  if (cache.has(basedir)) return cache.get(basedir);
  let version: string | undefined;
  try {
    const parsed: unknown = JSON.parse(readFileSync(join(basedir, 'package.json'), 'utf8'));
    const v = (parsed as { version?: unknown } | null)?.version;
    if (typeof v === 'string' && v !== '') version = v;
  } catch {
    // Missing or malformed package.json: the version is unknown and the module is left alone.
  }
  cache.set(basedir, version);
  return version;
}

// Module.isBuiltin arrived in Node 18.6; engines allows 18.0.
const isBuiltin: (name: string) => boolean = typeof Module.isBuiltin === 'function'
  ? Module.isBuiltin
  : (name) => name.startsWith('node:') || Module.builtinModules.includes(name);

/** True for Node's own modules, with or without the `node:` prefix. */
export function isCoreModule(name: string): boolean {
  return isBuiltin(name);
}
