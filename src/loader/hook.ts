import { sep } from 'node:path';
import { Hook } from './require-hook';
import { satisfies } from './version-range';
import { log, type Logger } from '../log';
import { unwrapAll, wrapMethod, type WrapRecord } from '../shim/wrap';
import { bindInstrumentation, guardWrapper, newInstrumentationState, type InstrumentationState } from '../shim/guard';
import type { InstrumentationDefinition, PatchContext } from './definition';
import { isCoreModule, packageVersion } from './package-version';
import type { EsmHook } from './esm';

// The one require hook. Everything here runs inside the app's require(): any failure leaves the
// module exactly as the app would have seen it without us.

/** Definitions grouped by instrumentation id, as in BUILTIN_INSTRUMENTATIONS. */
export type Instrumentations = Readonly<Record<string, readonly InstrumentationDefinition[]>>;

export interface HookOptions {
  /** Where patch/skip diagnostics go (default: the loader's stderr logger). */
  logger?: Logger;
  /** Called once per newly applied module, with the same label applied() lists. */
  onPatched?: (module: string) => void;
  /**
   * Also hook ES module imports (src/loader/esm.ts), through the same definitions and the same
   * patch registry. The preload sets it; it installs a process-wide module loader, once.
   */
  esm?: boolean;
}

export interface HookHandle {
  /** Removes the require hook and puts back everything this hook patched. Idempotent. */
  uninstall(): void;
  /** What is patched, in patch order: 'http' for core modules, 'name@version' for packages. */
  applied(): readonly string[];
  /** Every function replaced through ctx.wrap and still recorded (tests check wrappers against originals). */
  wraps(): readonly WrapRecord[];
}

interface Patched {
  readonly definition: InstrumentationDefinition;
  readonly targets: readonly object[];
  readonly records: WrapRecord[];
}

// Exports object → definitions applied to it, shared by every hook in the process, so a module that
// reaches onrequire twice (a second hook, a cached module required again) is patched once.
const patchedBy = new WeakMap<object, Set<InstrumentationDefinition>>();

/** 'node:http' → 'http' (the require hook reports core modules without the prefix when a bare name exists). */
function moduleName(name: string): string {
  return name.startsWith('node:') && isCoreModule(name.slice(5)) ? name.slice(5) : name;
}

/** The name the require hook passes to onrequire for this definition: the module, or module/relative/file.js. */
export function hookKey(definition: InstrumentationDefinition): string {
  const name = moduleName(definition.name);
  if (definition.file === undefined) return name;
  return `${name}/${definition.file.replace(/\\/g, '/').replace(/^\.\//, '')}`;
}

/** Module names to hand to the require hook for these definitions (packages and core modules, no files). */
export function hookedModuleNames(instrumentations: Instrumentations): string[] {
  const names = new Set<string>();
  for (const definitions of Object.values(instrumentations)) {
    for (const d of definitions) names.add(moduleName(d.name));
  }
  return [...names];
}

/** True when `exports` belongs to a CommonJS module still being evaluated. */
function stillLoading(exports: unknown): boolean {
  if (!isPatchable(exports)) return false;
  for (const m of Object.values(require.cache)) {
    if (m !== undefined && m.exports === exports && !m.loaded) return true;
  }
  return false;
}

function isPatchable(value: unknown): value is object {
  return (typeof value === 'object' && value !== null) || typeof value === 'function';
}

function inRange(version: string | undefined, range: string): boolean {
  if (version === undefined) return false;
  if (range.trim() === '*') return true;
  try {
    // version-range answers the closed ranges definitions use without loading semver (~9 ms).
    return satisfies(version, range);
  } catch {
    return false;
  }
}

/** Calls every definition's atBoot once (each guarded); returns the undo functions they gave. */
function runAtBoot(instrumentations: Instrumentations, states: Map<InstrumentationDefinition, InstrumentationState>, logger: Logger): Array<() => void> {
  const undos: Array<() => void> = [];
  for (const definitions of Object.values(instrumentations)) {
    for (const d of definitions) {
      if (typeof d.atBoot !== 'function') continue;
      try {
        // Run as the instrumentation, so what it binds now (bindInstrumentation) is blamed on it.
        const undo = bindInstrumentation(d.atBoot, states.get(d)).call(d, logger);
        if (typeof undo === 'function') undos.push(undo);
      } catch (err) {
        logger.warn('could not start %s instrumentation, left untraced: %s', d.name, (err as Error)?.stack ?? err);
      }
    }
  }
  return undos;
}

/**
 * Installs one require hook (./require-hook) for every definition given, after running their atBoot.
 * Definitions apply to modules required from now on; a module's exports are patched in place through ctx.wrap (recorded, so
 * uninstall() puts everything back) or replaced by what patch() returns.
 */
export function installHooks(instrumentations: Instrumentations, options: HookOptions = {}): HookHandle {
  const logger = options.logger ?? log;
  const byKey = new Map<string, InstrumentationDefinition[]>();
  // One state per instrumentation id: a fault in any of its wrappers disables all of them.
  const states = new Map<InstrumentationDefinition, InstrumentationState>();
  let internals = false;
  for (const [id, definitions] of Object.entries(instrumentations)) {
    const state = newInstrumentationState(id, logger);
    for (const d of definitions) {
      states.set(d, state);
      const key = hookKey(d);
      byKey.set(key, [...(byKey.get(key) ?? []), d]);
      if (d.file !== undefined) internals = true;
    }
  }
  const patched: Patched[] = [];
  const applied: string[] = [];
  const said = new Set<string>();
  const once = (key: string, say: () => void) => {
    if (said.has(key)) return;
    said.add(key);
    say();
  };

  function apply(definition: InstrumentationDefinition, key: string, exports: unknown, basedir: string | undefined): unknown {
    if (!isPatchable(exports)) return exports;
    if (patchedBy.get(exports)?.has(definition)) return exports;
    const core = basedir === undefined;
    const version = core ? process.versions.node : packageVersion(basedir);
    const range = definition.versions;
    if (!inRange(version, range)) {
      once(`skip ${key}@${version} ${range}`, () => logger.debug(
        'not patching %s@%s: outside the supported range %s', key, version ?? '(unknown version)', range));
      return exports;
    }
    const records: WrapRecord[] = [];
    const ctx: PatchContext = {
      name: moduleName(definition.name),
      version: version as string,
      log: logger,
      // Every wrapper runs as its instrumentation (src/shim/guard.ts): our own failure disables it.
      // The unguarded exception: see WrapOptions.
      wrap: (target, method, wrapper, options) => {
        const state = states.get(definition);
        const guarded = state === undefined || options?.unguarded === true
          ? wrapper
          : (original: any) => guardWrapper(state, original, wrapper(original)) as any;
        return wrapMethod(target, method, guarded, records, logger);
      },
    };
    let result: unknown;
    try {
      // Run as the instrumentation: what it binds now (bindInstrumentation) is blamed on it, and
      // one already disabled patches nothing more.
      const state = states.get(definition);
      result = state === undefined ? definition.patch(exports, ctx) : bindInstrumentation(definition.patch, state).call(definition, exports, ctx);
    } catch (err) {
      undo(definition, exports, records);
      // A throwing patch is our bug, not the app's: say so once, loudly enough to be reported.
      once(`fail ${key}@${version}`, () => logger.warn(
        'could not instrument %s@%s, left untraced: %s', key, version, (err as Error)?.stack ?? err));
      return exports;
    }
    const out = isPatchable(result) ? result : exports;
    const targets = out === exports ? [exports] : [exports, out];
    for (const t of targets) {
      const set = patchedBy.get(t) ?? new Set<InstrumentationDefinition>();
      set.add(definition);
      patchedBy.set(t, set);
    }
    patched.push({ definition, targets, records });
    once(`patched ${key}@${version}`, () => logger.debug('patched %s@%s', key, version));
    const label = core ? ctx.name : `${ctx.name}@${version}`;
    if (!applied.includes(label)) {
      applied.push(label);
      try {
        options.onPatched?.(label);
      } catch {
        // The listener's problem; patching already happened and stays.
      }
    }
    return out;
  }

  function undo(definition: InstrumentationDefinition, exports: object, records: WrapRecord[]): void {
    unwrapAll(records, logger);
    try {
      definition.unpatch?.(exports);
    } catch (err) {
      logger.debug('unpatch %s failed: %s', definition.name, (err as Error)?.message);
    }
  }

  function onRequire<T>(exports: T, name: string, basedir?: string): T {
    // The require hook joins internal file paths with path.sep; definitions use '/'.
    const key = sep === '/' ? name : name.split(sep).join('/');
    // A CommonJS package imported from ESM is evaluated by the ES module loader, not require(), so
    // the require hook does not know it is in progress: a require() back into it from a cycle (opentracing's
    // mock_tracer requires its index) reaches here with half-filled exports. Leave those alone;
    // the import hook gets the finished module. Checked only for keys we patch: with `internals`
    // the require hook reports every file of a hooked package.
    if (esmHook !== undefined && byKey.has(key) && stillLoading(exports)) return exports;
    return dispatch(exports, key, basedir) as T;
  }

  /** Every definition for `key`, in order, on a module's exports (required or imported). */
  function dispatch(exports: unknown, key: string, basedir: string | undefined): unknown {
    const definitions = byKey.get(key);
    if (definitions === undefined) return exports;
    let current: unknown = exports;
    for (const definition of definitions) {
      try {
        current = apply(definition, key, current, basedir);
      } catch (err) {
        logger.debug('hook for %s failed: %s', key, (err as Error)?.message);
      }
    }
    return current;
  }

  const bootUndos = runAtBoot(instrumentations, states, logger);
  let esmHook: EsmHook | undefined;

  let hook: Hook | undefined;
  if (byKey.size > 0) {
    try {
      hook = new Hook(hookedModuleNames(instrumentations), { internals }, onRequire);
    } catch (err) {
      logger.warn('could not install the require hook, nothing will be traced: %s', (err as Error)?.message);
    }
  }
  if (options.esm === true && byKey.size > 0) {
    try {
      // Lazy: a CommonJS-only test harness never loads the ES module machinery.
      const { installEsmHook } = require('./esm') as typeof import('./esm');
      const all = Object.values(instrumentations).flat();
      esmHook = installEsmHook(all, moduleName, (key) => byKey.has(key), dispatch, logger);
    } catch (err) {
      logger.warn('ES module imports will not be traced: %s', (err as Error)?.message);
    }
  }

  return {
    uninstall() {
      hook?.unhook();
      hook = undefined;
      // The process-wide loader stays (Node cannot remove it); it only wraps the listed modules.
      esmHook?.unhook();
      esmHook = undefined;
      for (let i = patched.length - 1; i >= 0; i--) {
        const { definition, targets, records } = patched[i];
        undo(definition, targets[0], records);
        for (const t of targets) patchedBy.get(t)?.delete(definition);
      }
      patched.length = 0;
      applied.length = 0;
      for (const undoBoot of bootUndos.splice(0).reverse()) {
        try {
          undoBoot();
        } catch (err) {
          logger.debug('undoing a start-up hook failed: %s', (err as Error)?.message);
        }
      }
    },
    applied: () => [...applied],
    wraps: () => patched.flatMap((p) => p.records),
  };
}
