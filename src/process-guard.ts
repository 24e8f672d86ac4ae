// Which threads and processes the preload traces. NODE_OPTIONS reaches every Node process a shell
// starts, including the package manager that launches the app (`npm start`), and `-r` reaches
// worker threads too. The rules:
//   - a package manager's own process (npm, npx, yarn, pnpm, corepack) is never traced, nor are its
//     worker threads; the app it launches is a separate process, judged on its own;
//   - a worker thread builds its own tracer (its own socket, its own client-uuid, process tag
//     `thread.id`), unless JAEGER_WORKER_THREADS=false.

/** Process tag naming the worker thread a tracer runs in (absent on the main thread). */
export const THREAD_ID_TAG_KEY = 'thread.id';

// worker_threads environment data is copied into every Worker this thread starts (and on to theirs):
// the one channel from a thread to its future workers that leaves the app's env and argv alone.
const SKIP_KEY = 'jaeger-auto.not-traced';

// Main script names (file name without .js/.cjs/.mjs) of package managers and their launchers.
const TOOL_NAMES = new Map<string, string>([
  ['npm', 'npm'], ['npm-cli', 'npm'], ['npx', 'npx'], ['npx-cli', 'npx'],
  ['yarn', 'yarn'], ['yarnpkg', 'yarn'], ['pnpm', 'pnpm'], ['pnpx', 'pnpx'], ['corepack', 'corepack'],
]);
// A directory on the script's real path that only package managers' own files live under.
const TOOL_DIRS = new Set(['npm', 'yarn', 'pnpm', 'corepack', '.yarn']);

// Both separators on every platform: cheaper than node:path, and a Windows path reads the same anywhere.
const parts = (file: string): string[] => file.split(/[\\/]/);

/** `yarn-4.1.0.cjs` (a project's .yarn/releases) → yarn; `npm-cli.js` → npm; else undefined. */
function toolFromFileName(file: string): string | undefined {
  const stem = (parts(file).pop() ?? '').replace(/\.[cm]?js$/, '');
  return TOOL_NAMES.get(stem) ?? (/^yarn-\d/.test(stem) ? 'yarn' : undefined);
}

/**
 * The package manager this main script is, or undefined. A script is one when its file name is a
 * package manager's (`npm`, `npm-cli.js`, `pnpm.cjs`, `yarn-4.1.0.cjs`, ...) and its real path (bin
 * links resolved) also lies under a directory of one (`npm/`, `corepack/`, `.yarn/`, ...), so an
 * app's own `yarn.js` elsewhere is still traced.
 */
export function packageManagerOf(script: string | undefined, realpath: (p: string) => string): string | undefined {
  if (typeof script !== 'string' || script === '') return undefined;
  if (toolFromFileName(script) === undefined) return undefined; // the common case: one string test
  let real = script;
  try {
    real = realpath(script);
  } catch {
    // not a file (yet): judge the path as given
  }
  const tool = toolFromFileName(real);
  if (tool === undefined) return undefined;
  return parts(real).slice(0, -1).some((d) => TOOL_DIRS.has(d)) ? tool : undefined;
}

export interface ThreadInfo {
  isMainThread: boolean;
  threadId: number;
}

/**
 * Why this thread must not be traced, or undefined to trace it. `workerThreads` is
 * JAEGER_WORKER_THREADS as this thread sees it. Never throws.
 */
export function notTracedReason(workerThreads: boolean): { reason?: string; thread: ThreadInfo } {
  // Required here: the preload pays for worker_threads only once it has decided to trace at all.
  const wt = require('node:worker_threads') as typeof import('node:worker_threads');
  const thread = { isMainThread: wt.isMainThread, threadId: wt.threadId };
  if (wt.isMainThread) {
    const fs = require('node:fs') as typeof import('node:fs');
    const tool = packageManagerOf(process.argv[1], fs.realpathSync.native);
    if (tool === undefined) return { thread };
    const reason = `package manager ${tool}`;
    try {
      wt.setEnvironmentData(SKIP_KEY, reason);
    } catch {
      // Node without environment data: its workers would trace, which is harmless
    }
    return { reason, thread };
  }
  // Node's own module-loader thread (module.register on Node < 22.22) runs -r preloads too: it is no
  // app code, and a tracer there would be a second reporter. isInternalThread says so where it
  // exists (22+); before that, that thread is the only worker without a parentPort.
  const internal = (wt as { isInternalThread?: boolean }).isInternalThread;
  if (internal === true || (internal === undefined && wt.parentPort === null)) {
    return { reason: `Node's internal thread ${wt.threadId} (module loader)`, thread };
  }
  let inherited: unknown;
  try {
    inherited = wt.getEnvironmentData(SKIP_KEY);
  } catch {
    inherited = undefined;
  }
  if (typeof inherited === 'string') return { reason: `${inherited} (worker thread ${wt.threadId})`, thread };
  if (!workerThreads) return { reason: `worker thread ${wt.threadId}: JAEGER_WORKER_THREADS=false`, thread };
  return { thread };
}
