// Which incoming request paths create no span (JAEGER_HTTP_IGNORE_PATHS): exact paths, or prefixes
// written with a trailing '*'. Read once, on the first traced request, through the config schema
// (from-env.ts stays the only reader of process.env). Warnings are left to the tracer's own build,
// which parses the same variables and reports each bad value once.

type Matcher = (path: string) => boolean;

const NEVER: Matcher = () => false;
let matcher: Matcher | undefined;

/** True when requests to `path` (no query string) are not traced. */
export function isIgnoredPath(path: string): boolean {
  if (matcher === undefined) matcher = compile(fromEnv());
  return matcher(path);
}

/**
 * Replaces the ignore list (same syntax as JAEGER_HTTP_IGNORE_PATHS, already split); `undefined`
 * goes back to reading the environment on next use. For programmatic set-up and tests.
 */
export function setHttpIgnorePaths(paths: readonly string[] | undefined): void {
  matcher = paths === undefined ? undefined : compile(paths);
}

function fromEnv(): readonly string[] {
  try {
    // Loaded on first use, not at preload: the preload pays only for what installing hooks needs.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { parseEnv } = require('../../src/config/from-env') as typeof import('../../src/config/from-env');
    return parseEnv(undefined, () => {}).httpIgnorePaths;
  } catch {
    return [];
  }
}

function compile(paths: readonly string[]): Matcher {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const p of paths) {
    if (typeof p !== 'string' || p === '') continue;
    if (p.endsWith('*')) prefixes.push(p.slice(0, -1));
    else exact.add(p);
  }
  if (exact.size === 0 && prefixes.length === 0) return NEVER;
  return (path) => {
    if (exact.has(path)) return true;
    for (const prefix of prefixes) if (path.startsWith(prefix)) return true;
    return false;
  };
}
