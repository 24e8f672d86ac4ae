import { format } from 'node:util';

// The tracer's own diagnostics, on stderr. Never throws: a failing log line is dropped.

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'silent';

const RANK: Record<LogLevel, number> = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** What the tracer logs through. A user logger (console, pino, winston) fits. */
export interface Logger {
  error(msg: string, ...args: unknown[]): void;
  warn(msg: string, ...args: unknown[]): void;
  info(msg: string, ...args: unknown[]): void;
  debug(msg: string, ...args: unknown[]): void;
}

let threshold = RANK.warn;

export function isLogLevel(value: string): value is LogLevel {
  return Object.prototype.hasOwnProperty.call(RANK, value);
}

export function setLogLevel(level: LogLevel): void {
  threshold = RANK[level];
}

export function isLogEnabled(level: LogLevel): boolean {
  return RANK[level] <= threshold && level !== 'silent';
}

function write(level: Exclude<LogLevel, 'silent'>, msg: string, args: unknown[]): void {
  if (RANK[level] > threshold) return;
  try {
    writeStderr(`jaeger-auto ${level}: ${format(msg, ...args)}\n`);
  } catch {
    // stderr closed or unwritable: diagnostics are not worth breaking the app for.
  }
}

function ignore(): void {}

/**
 * Writes to stderr without ever raising an error event nobody handles. A pipe whose reader went
 * away fails the write with EPIPE, asynchronously, as an 'error' event; unhandled, that is an
 * uncaught exception that would end the app because of our diagnostics. Like Node's console, we
 * listen for the error only around our own write (synchronous failures) and, when the write's
 * callback reports one, until it has been emitted. The app's own listeners are left alone.
 */
function writeStderr(line: string): void {
  const stream = process.stderr;
  const guarded = stream.listenerCount('error') === 0;
  if (guarded) stream.once('error', ignore);
  try {
    stream.write(line, (err) => {
      // The callback runs before the stream emits the error.
      if (err && stream.listenerCount('error') === 0) stream.once('error', ignore);
    });
  } finally {
    if (guarded) stream.removeListener('error', ignore);
  }
}

export const log: Logger = {
  error: (msg, ...args) => write('error', msg, args),
  warn: (msg, ...args) => write('warn', msg, args),
  info: (msg, ...args) => write('info', msg, args),
  debug: (msg, ...args) => write('debug', msg, args),
};

/** Warns once per key per interval (default: once ever); for repeated faults such as drops. */
export function createRateLimitedWarn(logger: Logger, intervalMs = Infinity) {
  const last = new Map<string, number>();
  return (key: string, msg: string, ...args: unknown[]): void => {
    const now = Date.now();
    const prev = last.get(key);
    if (prev !== undefined && now - prev < intervalMs) return;
    last.set(key, now);
    logger.warn(msg, ...args);
  };
}
