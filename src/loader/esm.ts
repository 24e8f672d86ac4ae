import Module from 'node:module';
import { sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from '../log';
import type { InstrumentationDefinition } from './definition';

// The ES-module half of the loader. import-in-the-middle's loader (module.register, or the in-thread
// module.registerHooks where Node's is fixed) wraps only the modules our definitions name; its Hook
// hands each one's namespace to the same dispatch the require hook uses (src/loader/hook.ts), so no
// instrumentation is written twice. CommonJS files a package require()s internally (pg/lib/client.js)
// still pass through the require hook, which every entry point installs.

/** How the ES module loader was installed in this process (once, whichever hook asked first). */
export type EsmLoaderMode = 'sync' | 'async' | 'unsupported' | 'failed';

let mode: EsmLoaderMode | undefined;

/** Where one imported module goes: the same dispatch as a require; returns the exports to expose. */
export type ImportDispatch = (exports: unknown, key: string, basedir: string | undefined) => unknown;

export interface EsmHook {
  readonly mode: EsmLoaderMode;
  unhook(): void;
}

/** Module.register / registerHooks as this Node has them (both absent on 18.0–18.18, 19, 20.0–20.5). */
interface ModuleHooksApi {
  register?: (specifier: string, parentURL: string, options?: { data?: unknown }) => void;
  registerHooks?: unknown;
}

/**
 * import-in-the-middle's synchronous loader needs a module.registerHooks that accepts the null
 * CommonJS source it returns (nodejs/node#59929): 22.22.3, 24.11.1, 25.1.0, 26.0.0 and later. Same
 * facts as IITM's supports-sync-hooks.mjs, checked here without loading an ES module from CommonJS.
 */
export function syncHooksUsable(version: string = process.versions.node): boolean {
  const [major, minor, patch] = version.split('.').map((n) => parseInt(n, 10));
  if (major >= 26) return true;
  if (major === 25) return minor >= 1;
  if (major === 24) return minor > 11 || (minor === 11 && patch >= 1);
  if (major === 22) return minor > 22 || (minor === 22 && patch >= 3);
  return false;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * What the ES module loader intercepts: the names of modules with a main-module definition (bare
 * specifiers; IITM adds the `node:` form of builtins), and the internal files of file definitions in
 * their `.js` and `.mjs` forms, for packages whose internals are ES modules. Nothing else is wrapped:
 * every wrapped module costs a source parse and a generated wrapper.
 */
export function loaderIncludes(definitions: Iterable<InstrumentationDefinition>, moduleName: (name: string) => string): Array<string | RegExp> {
  const names = new Set<string>();
  const files = new Map<string, RegExp>();
  for (const d of definitions) {
    const name = moduleName(d.name);
    if (d.file === undefined) {
      names.add(name);
      continue;
    }
    const file = d.file.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\.m?js$/, '');
    const re = new RegExp(`/node_modules/${escapeRegExp(name)}/${escapeRegExp(file)}\\.m?js$`);
    files.set(re.source, re);
  }
  return [...names, ...files.values()];
}

/**
 * Installs the ES module loader once per process. Must run before the application's first import
 * (the preload, or --import) to see static imports; later calls return the first outcome.
 */
export function registerEsmLoader(include: Array<string | RegExp>, logger: Logger): EsmLoaderMode {
  if (mode !== undefined) return mode;
  const api = Module as unknown as ModuleHooksApi;
  try {
    if (typeof api.registerHooks === 'function' && syncHooksUsable()) {
      // In-thread: no loader thread, no message round trip per resolved module. require(esm) exists
      // on every version that passes syncHooksUsable().
      const iitm = require('import-in-the-middle/register-hooks.mjs') as { register(o: { include: Array<string | RegExp> }): void };
      iitm.register({ include });
      mode = 'sync';
    } else if (typeof api.register === 'function') {
      api.register('import-in-the-middle/hook.mjs', pathToFileURL(__filename).href, { data: { include } });
      mode = 'async';
    } else {
      mode = 'unsupported';
    }
  } catch (err) {
    mode = 'failed';
    logger.warn('ES module imports will not be traced, the import hook failed to install: %s', (err as Error)?.message ?? err);
  }
  return mode;
}

/** An IITM namespace: the module's exports as live bindings; setting one rebinds it for importers. */
type Namespace = Record<string, unknown>;

function isPatchable(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

/** Own data properties of `source` whose value the namespace exports under the same name. */
function sharedBindings(namespace: Namespace, source: object): string[] {
  const shared: string[] = [];
  for (const key of Object.keys(namespace)) {
    if (key === 'default') continue;
    // Descriptors, not reads: a getter on module.exports (pg's lazy `native`) must not run.
    const d = Object.getOwnPropertyDescriptor(source, key);
    if (d !== undefined && 'value' in d && d.value === namespace[key]) shared.push(key);
  }
  return shared;
}

/**
 * The dispatch for one imported module. A CommonJS module or builtin imported from ESM (and an ES
 * module re-exporting a CommonJS one, as pg's and koa's ESM entries do) has its module.exports as
 * `default`: that object is what the definitions know, and what require() returns, so it is the one
 * patched (the shared wrap registry then keeps a later require() from patching it again). Named
 * imports are separate bindings: each one that held the same value before the patch is rebound to
 * the patched value, so `import { request } from 'node:http'` sees the wrapper. A module without a
 * default (a pure ES module) has its namespace patched directly through IITM's setters.
 */
export function onImport(dispatch: ImportDispatch, namespace: Namespace, key: string, basedir: string | undefined): void {
  const main = namespace.default;
  if (!isPatchable(main)) {
    dispatch(namespace, key, basedir);
    return;
  }
  const shared = sharedBindings(namespace, main);
  const out = dispatch(main, key, basedir);
  const exportsNow = isPatchable(out) ? out : main;
  if (exportsNow !== main) namespace.default = exportsNow;
  for (const name of shared) {
    const d = Object.getOwnPropertyDescriptor(exportsNow, name);
    if (d !== undefined && 'value' in d && d.value !== namespace[name]) namespace[name] = d.value;
  }
}

/**
 * Installs the ES module loader (once per process) and an IITM Hook on `names` that feeds every
 * intercepted module to `dispatch` under the key the require hook would use ('http', 'pg',
 * 'graphql/execution/execute.js'). `hasKey` says which keys have definitions.
 */
export function installEsmHook(
  definitions: readonly InstrumentationDefinition[],
  moduleName: (name: string) => string,
  hasKey: (key: string) => boolean,
  dispatch: ImportDispatch,
  logger: Logger,
): EsmHook {
  const loader = registerEsmLoader(loaderIncludes(definitions, moduleName), logger);
  if (loader === 'unsupported') {
    logger.warn('ES module imports are not traced on Node %s: the import hook needs module.register (Node 18.19+ or 20.6+); '
      + 'require() calls are traced', process.versions.node);
  }
  if (loader === 'unsupported' || loader === 'failed') return { mode: loader, unhook() {} };
  const names = [...new Set(definitions.map((d) => moduleName(d.name)))];
  let hook: { unhook(): void } | undefined;
  try {
    const { Hook } = require('import-in-the-middle') as typeof import('import-in-the-middle');
    // internals: IITM names a package's inner files 'name/relative/path' as the require hook does (the loader
    // only wraps the files loaderIncludes() lists, so this widens nothing).
    hook = new Hook(names, { internals: true }, (namespace, name, basedir) => {
      try {
        const key = resolveKey(sep === '/' ? name : name.split(sep).join('/'), hasKey);
        if (key === undefined) return;
        // basedir: the package folder, absent for builtins, as the require hook's.
        onImport(dispatch, namespace as Namespace, key, basedir || undefined);
      } catch (err) {
        logger.debug('import hook for %s failed: %s', name, (err as Error)?.message);
      }
    });
  } catch (err) {
    logger.warn('ES module imports will not be traced, the import hook failed to install: %s', (err as Error)?.message ?? err);
  }
  return { mode: loader, unhook: () => hook?.unhook() };
}

/** 'graphql/execution/execute.mjs' → the '.js' key a definition names, when only that one exists. */
function resolveKey(key: string, hasKey: (key: string) => boolean): string | undefined {
  if (hasKey(key)) return key;
  if (key.endsWith('.mjs')) {
    const js = `${key.slice(0, -4)}.js`;
    if (hasKey(js)) return js;
  }
  return undefined;
}
