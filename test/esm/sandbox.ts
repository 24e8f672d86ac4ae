// ES module fixtures need bare specifiers ('pg', 'jaeger-auto/register') to resolve as in a real
// app, and an ES module resolves them from its own folder (no NODE_PATH, no createRequire). So each
// test copies its fixtures into a temporary app folder whose node_modules links the packages under
// test (a test/versions install, dotenv, this package itself), and runs them from there through the
// real entry points: `--import jaeger-auto/register` (package exports → register.mjs) or
// `-r jaeger-auto/register` (→ register.js).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES, ROOT, startFixture, testNode } from '../helpers/run-fixture';

export { testNode };

export const ESM_FIXTURES = path.join(FIXTURES, 'esm');

const registerKnown = new Map<string, boolean>();

/**
 * Whether that Node has module.register (18.19+, 20.6+). Without it (19, 20.0–20.5) imports cannot
 * be hooked: the preload says so in one line and only require() is traced.
 */
export function hasModuleRegister(node: string = testNode()): boolean {
  let known = registerKnown.get(node);
  if (known === undefined) {
    known = execFileSync(node, ['-p', "typeof require('node:module').register"], { encoding: 'utf8' }).trim() === 'function';
    registerKnown.set(node, known);
  }
  return known;
}

/** The one line the preload prints where imports cannot be hooked. */
export const UNSUPPORTED_LINE = /^jaeger-auto warn: ES module imports are not traced on Node \S+: the import hook needs module\.register/;

export interface Sandbox {
  readonly dir: string;
  /** Path of a copied fixture (or any file written) inside the sandbox. */
  file(name: string): string;
  write(name: string, content: string): string;
  remove(): void;
}

/**
 * A temporary app folder: `files` (absolute paths) copied to its top, `packages` (name → the
 * package's own folder) linked under node_modules, plus jaeger-auto → this checkout.
 */
export function makeSandbox(files: readonly string[], packages: Record<string, string> = {}): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jaeger-esm-'));
  const modules = path.join(dir, 'node_modules');
  fs.mkdirSync(modules);
  for (const [name, target] of Object.entries({ 'jaeger-auto': ROOT, ...packages })) {
    const link = path.join(modules, name);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    fs.symlinkSync(target, link, 'dir');
  }
  for (const f of files) fs.copyFileSync(f, path.join(dir, path.basename(f)));
  return {
    dir,
    file: (name) => path.join(dir, name),
    write(name, content) {
      const p = path.join(dir, name);
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, content);
      return p;
    },
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The folder of an installed package, from a test/versions folder (`<dir>/node_modules/<name>`). */
export function packageIn(versionDir: string, name: string): string {
  return fs.realpathSync(path.join(versionDir, 'node_modules', name));
}

export type Entry = 'import' | 'require' | 'none';

/** The node flags for an entry point, as a user would type them (resolved from the sandbox). */
export function entryFlags(entry: Entry): string[] {
  if (entry === 'import') return ['--import', 'jaeger-auto/register'];
  if (entry === 'require') return ['-r', 'jaeger-auto/register'];
  return [];
}

export type Run = ReturnType<typeof startFixture>;

/**
 * Starts `node <entry flags> <script>` in the sandbox with only PATH and `env` set, bare specifiers
 * resolving from there. `node` is the binary (default testNode()).
 */
export function startIn(sandbox: Sandbox, script: string, entry: Entry, env: Record<string, string>, options: { node?: string; timeoutMs?: number } = {}): Run {
  return startFixture(sandbox.file(script), {
    preload: false, execArgv: entryFlags(entry), cwd: sandbox.dir, env, node: options.node, timeoutMs: options.timeoutMs ?? 30_000,
  });
}

/** Runs a script in the sandbox to its end. */
export function runIn(sandbox: Sandbox, script: string, entry: Entry, env: Record<string, string>, options: { node?: string; timeoutMs?: number } = {}): Run['exited'] {
  return startIn(sandbox, script, entry, env, options).exited;
}
