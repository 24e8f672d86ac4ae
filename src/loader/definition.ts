import type { Logger } from '../log';

/** What a patch function gets besides the module's exports. */
export interface PatchContext {
  /** The module's name as hooked ('http', 'pg', '@redis/client'). */
  readonly name: string;
  /** The loaded package's version, or process.versions.node for core modules. */
  readonly version: string;
  readonly log: Logger;
  /**
   * Replaces `target[method]` with `wrapper(original)` through the loader, which refuses double
   * wraps, keeps name and length, logs failures, and records the wrap so unpatching is automatic.
   * Returns false when nothing was wrapped. The wrapper runs as its instrumentation (src/shim/
   * guard.ts) unless `options.unguarded` says otherwise.
   */
  wrap<T extends object, K extends keyof T>(target: T, method: K, wrapper: (original: T[K]) => T[K], options?: WrapOptions): boolean;
}

export interface WrapOptions {
  /**
   * Install the wrapper as it is, without the guard that marks its instrumentation current and
   * calls the original directly once the instrumentation is disabled. Only for wrappers that run
   * per event (an emitter's emit), start no span and cannot throw: there the guard's bookkeeping
   * on every call costs more than the wrapper's own fast path. Such a wrapper keeps running after
   * its instrumentation is disabled, so it may act only on state made while it was enabled.
   */
  readonly unguarded?: boolean;
}

/**
 * How one module (or one internal file of it, or one version range) is traced. Plain data: the
 * loader, the README's module table and the test version matrix all read it.
 */
export interface InstrumentationDefinition<Exports = any> {
  /** npm package or core module name ('http' also matches 'node:http'). */
  readonly name: string;
  /** Closed semver range of supported versions ('*' for core modules); `||` allowed. */
  readonly versions: string;
  /** An internal file under the package to hook instead of its main export, e.g. 'lib/client.js'. */
  readonly file?: string;
  /** Patches `exports` in place through ctx.wrap; may return a replacement exports object. */
  patch(exports: Exports, ctx: PatchContext): Exports | void;
  /** Extra undo work; every ctx.wrap is undone by the loader without it. */
  unpatch?(exports: Exports): void;
  /**
   * Work that cannot wait for a require(): called once when the loader installs its hooks, and only
   * if this instrumentation is enabled (JAEGER_INSTRUMENTATIONS / JAEGER_DISABLED_INSTRUMENTATIONS).
   * For what is never require()d, such as Node's global fetch, observed through diagnostics_channel.
   * May return its undo (e.g. unsubscribe), run by the hook's uninstall(). A throw is logged and
   * ignored. It runs before the tracer exists: it may subscribe or record, never start spans.
   */
  atBoot?(log: Logger): (() => void) | void;
}

/** Identity helper that gives a definition its types. */
export function defineInstrumentation<E>(definition: InstrumentationDefinition<E>): InstrumentationDefinition<E> {
  return definition;
}
