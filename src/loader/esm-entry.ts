import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';

// Whether this process's main module goes through Node's ES module loader. Decides two things at
// boot: whether the ES module import hook is worth installing (registering a loader costs every
// process start tens of milliseconds, so a plain CommonJS app under -r does without it), and when
// the tracer can be built (an ES module graph loads asynchronously: the preload cannot see the end
// of the app's top level, so the tracer waits for the first traced call instead).

/** Set by register.mjs before it boots: the process was started with --import jaeger-auto/register. */
export const IMPORT_ENTRY = Symbol.for('jaeger-auto.import-entry');

const NO_MAIN_FLAG = /^--(?:test|watch|check|interactive)\b|^-[ic]$/;
const ESM_SYNTAX = /^[ \t]*(?:import[\s{*'"]|export[\s{*])/m;
const LOADER_FLAG = /(?:^|\s)--(?:import|loader|experimental-loader)(?:[=\s]|$)|(?:^|\s)--experimental-default-type[=\s]module\b/;

function nearestPackageType(dir: string): string | undefined {
  for (let d = dir, i = 0; i < 64; i++) {
    try {
      const parsed = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { type?: unknown } | null;
      return typeof parsed?.type === 'string' ? parsed.type : undefined;
    } catch (err) {
      // Missing: look further up. Unreadable or malformed: Node would fail too; call it CommonJS.
      if ((err as NodeJS.ErrnoException)?.code !== 'ENOENT') return undefined;
    }
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
  return undefined;
}

/**
 * True when `file` is an ES module by its extension, its package's "type", or (no "type" given) by
 * its syntax, as Node 20.19+/22.7+ decide for a `.js` file: an import or export statement at the
 * start of a line. A false positive only costs the loader's start-up time.
 */
export function isEsmFile(file: string): boolean {
  const ext = extname(file);
  if (ext === '.mjs' || ext === '.mts') return true;
  if (ext === '.cjs' || ext === '.cts') return false;
  if (ext !== '.js' && ext !== '.ts' && ext !== '') return false;
  const path = resolve(file);
  const type = nearestPackageType(dirname(path));
  if (type !== undefined) return type === 'module';
  return ESM_SYNTAX.test(head(path));
}

/** The first 64 KiB of a file ('' when unreadable): import statements come first, bundles are big. */
function head(path: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const buf = Buffer.alloc(65536);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, buf.length, 0));
  } catch {
    return '';
  } finally {
    if (fd !== undefined) try { closeSync(fd); } catch { /* nothing to do */ }
  }
}

/**
 * True when the main module loads through the ES module loader: the app was started with
 * --import/--loader (ours or another tool's, on the command line or in NODE_OPTIONS), or its main
 * file is an ES module (isEsmFile). What this misses, boot notices once the app started
 * (mainWasMissed) and says so in one line.
 */
export function mainUsesEsmLoader(
  argv1: string | undefined = process.argv[1],
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string | undefined = process.env.NODE_OPTIONS,
): boolean {
  if ((globalThis as Record<symbol, unknown>)[IMPORT_ENTRY] === true) return true;
  if (execArgv.some((a) => LOADER_FLAG.test(a)) || LOADER_FLAG.test(nodeOptions ?? '')) return true;
  if (argv1 === undefined || argv1 === '') return false;
  try {
    return isEsmFile(argv1);
  } catch {
    return false;
  }
}


/**
 * After the main module started: true when it turned out to be an ES module although boot decided
 * it was not (so no import hook is installed): a `.js` file Node recognised as ESM by its syntax. A
 * CommonJS main sets require.main synchronously, before any immediate runs; the test runner and
 * --watch have a file argument but no main module, so they never count.
 */
export function mainWasMissed(argv1: string | undefined = process.argv[1], execArgv: readonly string[] = process.execArgv): boolean {
  if (argv1 === undefined || argv1 === '' || require.main !== undefined) return false;
  if (execArgv.some((a) => NO_MAIN_FLAG.test(a))) return false;
  return ESM_SYNTAX.test(head(resolve(argv1)));
}
