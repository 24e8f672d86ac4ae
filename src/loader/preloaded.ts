import { sep } from 'node:path';
import type { Logger } from '../log';
import { isCoreModule } from './package-version';

/**
 * Warns (once, one line) about hooked packages that are already in require.cache: they were loaded
 * before the preload, so references the app took to them earlier bypass our patches. Core modules
 * are skipped (Node loads some of them itself). Returns the names found, in the order given.
 */
export function warnPreloaded(names: Iterable<string>, logger: Logger): string[] {
  const wanted = [...new Set(names)].filter((n) => !isCoreModule(n));
  if (wanted.length === 0) return [];
  let keys = Object.keys(require.cache);
  if (sep !== '/') keys = keys.map((k) => k.split(sep).join('/'));
  const found = wanted.filter((name) => {
    const marker = `/node_modules/${name}/`;
    return keys.some((k) => k.includes(marker));
  });
  if (found.length > 0) {
    logger.warn(
      '%s loaded before jaeger-auto and may not be traced; load it first: node -r jaeger-auto/register app.js '
        + "(or NODE_OPTIONS='-r jaeger-auto/register')",
      found.length === 1 ? `${found[0]} was` : `${found.join(', ')} were`,
    );
  }
  return found;
}
