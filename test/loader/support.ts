// Shared by the loader tests: the committed fake packages, a require that resolves from beside them,
// and a logger that records what it is told.
import { createRequire } from 'node:module';
import path from 'node:path';
import { format } from 'node:util';
import type { Logger } from '../../src/log';

export const ROOT = path.resolve(__dirname, '../../..');
export const FAKES = path.join(ROOT, 'test/loader/node_modules');

/** require() as seen from test/loader/, so the fake packages resolve (the compiled test sits in dist/). */
export const requireFake = createRequire(path.join(ROOT, 'test/loader/app.js'));

/** Drops every fake package from require.cache, so the next require evaluates it afresh. */
export function forgetFakes(): void {
  for (const key of Object.keys(require.cache)) if (key.startsWith(FAKES + path.sep)) delete require.cache[key];
}

export interface LogLine {
  level: 'error' | 'warn' | 'info' | 'debug';
  text: string;
}

export function recordingLogger(): Logger & { lines: LogLine[]; at(level: LogLine['level']): string[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (msg: string, ...args: unknown[]) => {
    lines.push({ level, text: format(msg, ...args) });
  };
  return {
    lines,
    at: (level) => lines.filter((l) => l.level === level).map((l) => l.text),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
  };
}
