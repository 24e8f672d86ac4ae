// Shared by the host-application safety tests: load every instrumented module version installed in
// test/versions (and the core modules) under one hook, so its wrap records cover every wrapper.
import assert from 'node:assert/strict';
import { installHooks, type HookHandle } from '../../src/loader/hook';
import { BUILTIN_INSTRUMENTATIONS } from '../../src/loader/registry';
import type { Logger } from '../../src/log';
import { requireVersion, versionSets } from './versions';

// Entry points beyond a package's main export that load other patched files.
const EXTRA_ENTRIES: Record<string, string[]> = {
  amqplib: ['amqplib/callback_api'],
};

export const quietLogger: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/** Installs the built-in hooks and requires everything; returns the hook and what was loaded. */
export function loadEverything(logger: Logger = quietLogger): { hook: HookHandle; loaded: string[] } {
  const hook = installHooks(BUILTIN_INSTRUMENTATIONS, { logger });
  for (const core of ['http', 'https']) require(core);
  const loaded: string[] = [];
  for (const set of versionSets()) {
    for (const version of set.versions) {
      for (const id of [set.package, ...(EXTRA_ENTRIES[set.instrumentation] ?? [])]) {
        try {
          requireVersion(set.package, version, id);
          loaded.push(`${id}@${version}`);
        } catch (err) {
          hook.uninstall();
          assert.fail(`could not load ${id}@${version}: ${(err as Error).message}`);
        }
      }
    }
  }
  return { hook, loaded };
}

/** 'name/length (method on Owner)' for messages. */
export function describeWrap(original: Function, method: string | symbol, target: object): string {
  const owner = (target as { constructor?: { name?: string } }).constructor?.name ?? typeof target;
  return `${original.name || '(anonymous)'}/${original.length} (${String(method)} on ${owner})`;
}
