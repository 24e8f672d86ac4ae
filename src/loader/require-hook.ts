import Module from 'node:module';
import path from 'node:path';
import { isCoreModule } from './package-version';

// A require hook with require-in-the-middle's contract (new Hook(names, { internals }, onrequire),
// unhook()) built for start-up time. require-in-the-middle resolves the filename of every
// require() call, then parses it and, for files of hooked packages, resolves the package's main
// file again: on an app loading ~770 modules (pg, mysql2, redis) that alone added ~35 ms wall and
// ~65 ms CPU to the start (npm run bench:startup, BENCH_EXTRA with a bare Hook). Here:
//   - packages are seen once per module file, when Node has loaded it (Module.prototype.load, with
//     the filename Node resolved), and only while a require() call is under way, so what
//     require-in-the-middle sees and nothing more (an ES module importing CommonJS is not a require);
//   - the file is matched by one string scan of its path for `node_modules/<hooked name>/`; the
//     package's main file is resolved once per package directory;
//   - core modules are matched by name in require() and process.getBuiltinModule(), as before;
//   - files of hooked packages loaded before the hook are patched at their next require(), as
//     before, recognised by their exports object.
// Names given to onrequire are require-in-the-middle's: 'http' (also for 'node:http'), 'node:test'
// for prefix-only modules, 'pg' for a package's main file, 'pg' + path.sep + 'lib/client.js' for
// an internal file (with `internals`), and the package directory as basedir.
// It replaced require-in-the-middle in src/loader/hook.ts for that start-up cost (issue 7).

type OnRequire = (exports: any, name: string, basedir?: string) => any;

interface HookOptions {
  internals?: boolean;
}

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

interface Loadable {
  exports: unknown;
}

export class Hook {
  #unhooked = false;
  readonly #origRequire: (this: unknown, id: string) => unknown;
  readonly #require: (this: unknown, id: string) => unknown;
  readonly #origLoad: (this: Loadable, filename: string) => void;
  readonly #load: (this: Loadable, filename: string) => void;
  readonly #origGetBuiltin?: (id: string) => unknown;
  readonly #getBuiltin?: (id: string) => unknown;

  constructor(modules: readonly string[], options: HookOptions | null | undefined, onrequire: OnRequire) {
    const internals = options?.internals === true;
    const core = new Set<string>();
    const packages = new Set<string>();
    for (const name of modules) (isCoreModule(name) ? core : packages).add(name);
    const coreCache = new Map<string, unknown>();
    const mainOf = new Map<string, string | null>();
    let depth = 0; // require() calls under way
    const self = this;

    // 'node:http' → 'http' when the bare name exists; undefined for what is not a hooked core module.
    const coreName = (id: unknown): string | undefined => {
      if (typeof id !== 'string' || core.size === 0) return undefined;
      if (id.startsWith('node:')) {
        const bare = id.slice(5);
        if (core.has(bare) && isCoreModule(bare)) return bare;
        return core.has(id) ? id : undefined;
      }
      return core.has(id) && isCoreModule(id) ? id : undefined;
    };
    const patchCore = (name: string, load: () => unknown): unknown => {
      if (coreCache.has(name)) return coreCache.get(name);
      const exports = load();
      coreCache.set(name, exports); // set first: onrequire may require the same module
      const patched = onrequire(exports, name);
      coreCache.set(name, patched);
      return patched;
    };

    // The package a file belongs to, when hooked: [name, basedir].
    const packageOf = (filename: string): [string, string] | undefined => {
      const at = filename.lastIndexOf(NODE_MODULES);
      if (at === -1) return undefined;
      const start = at + NODE_MODULES.length;
      let end = filename.indexOf(path.sep, start);
      if (end !== -1 && filename.charCodeAt(start) === 64 /* @scope */) end = filename.indexOf(path.sep, end + 1);
      if (end === -1) return undefined;
      const name = path.sep === '/' ? filename.slice(start, end) : filename.slice(start, end).split(path.sep).join('/');
      return packages.has(name) ? [name, filename.slice(0, end)] : undefined;
    };
    const patchFile = (filename: string, exports: unknown): unknown => {
      const pkg = packageOf(filename);
      if (pkg === undefined) return exports;
      const [name, basedir] = pkg;
      let main = mainOf.get(basedir);
      if (main === undefined) {
        try {
          main = require.resolve(name, { paths: [basedir] });
        } catch {
          main = null; // no main file (exports-only package): only internal files can match
        }
        mainOf.set(basedir, main);
      }
      if (main === filename) return onrequire(exports, name, basedir);
      if (!internals) return exports;
      // The file lies below basedir (both come from its path): its relative path is what follows.
      return onrequire(exports, name + path.sep + filename.slice(basedir.length + 1), basedir);
    };

    // Files of hooked packages Node loaded before this hook, by exports: require-in-the-middle
    // patches them at their next require(), and so does this (found by identity: no resolution).
    const cache = (Module as unknown as { _cache: Record<string, (Loadable & { loaded?: boolean }) | undefined> })._cache;
    const preloaded = new Map<unknown, string>();
    if (packages.size > 0) {
      for (const filename of Object.keys(cache)) {
        const m = cache[filename];
        const e = m?.exports;
        const patchable = (typeof e === 'object' && e !== null) || typeof e === 'function';
        if (m?.loaded === true && patchable && !preloaded.has(e) && packageOf(filename) !== undefined) preloaded.set(e, filename);
      }
    }
    const patchPreloaded = (exports: unknown): unknown => {
      const filename = preloaded.get(exports);
      if (filename === undefined) return exports;
      preloaded.delete(exports);
      const patched = patchFile(filename, exports);
      try {
        const m = cache[filename];
        if (patched !== exports && m !== undefined && m.exports === exports) m.exports = patched;
      } catch {
        // a getter: this require() still returns the patched exports
      }
      return patched;
    };

    const proto = Module.prototype as unknown as {
      require: (this: unknown, id: string) => unknown;
      load: (this: Loadable, filename: string) => void;
    };
    this.#origRequire = proto.require;
    const origRequire = this.#origRequire;
    this.#require = proto.require = function require(this: unknown, id: string) {
      if (self.#unhooked) return origRequire.apply(this, arguments as unknown as [string]);
      const name = coreName(id);
      if (name !== undefined) return patchCore(name, () => origRequire.apply(this, arguments as unknown as [string]));
      let exports: unknown;
      depth++;
      try {
        exports = origRequire.apply(this, arguments as unknown as [string]);
      } finally {
        depth--;
      }
      return preloaded.size === 0 ? exports : patchPreloaded(exports);
    };

    this.#origLoad = proto.load;
    const origLoad = this.#origLoad;
    this.#load = proto.load = function load(this: Loadable, filename: string) {
      origLoad.apply(this, arguments as unknown as [string]);
      if (self.#unhooked || depth === 0 || packages.size === 0 || typeof filename !== 'string') return;
      try {
        const exports = this.exports;
        const patched = patchFile(filename, exports);
        // Only a replacement is written back: some modules' exports are getters (a required ES
        // module, for one), and the app must never see an error of ours.
        if (patched !== exports) this.exports = patched;
      } catch {
        // the module stays as Node loaded it
      }
    };

    const holder = process as unknown as { getBuiltinModule?: (id: string) => unknown };
    if (typeof holder.getBuiltinModule === 'function') {
      const origGetBuiltin = holder.getBuiltinModule;
      this.#origGetBuiltin = origGetBuiltin;
      this.#getBuiltin = holder.getBuiltinModule = function getBuiltinModule(this: unknown, id: string) {
        const name = self.#unhooked ? undefined : coreName(id);
        if (name === undefined) return origGetBuiltin.apply(this, arguments as unknown as [string]);
        return patchCore(name, () => origGetBuiltin.apply(this, arguments as unknown as [string]));
      };
    }
  }

  /** Stops hooking; puts require, load and getBuiltinModule back where nobody wrapped them since. */
  unhook(): void {
    this.#unhooked = true;
    const proto = Module.prototype as unknown as { require: unknown; load: unknown };
    if (proto.require === this.#require) proto.require = this.#origRequire;
    if (proto.load === this.#load) proto.load = this.#origLoad;
    const holder = process as unknown as { getBuiltinModule?: unknown };
    if (this.#getBuiltin !== undefined && holder.getBuiltinModule === this.#getBuiltin) holder.getBuiltinModule = this.#origGetBuiltin;
  }
}
