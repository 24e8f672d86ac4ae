import type { ConfigValues } from './schema';
import { SCHEMA } from './schema';
import { parseEnv } from './from-env';

/**
 * One setting an instrumentation reads at run time (JAEGER_EXPRESS_MIDDLEWARE_SPANS,
 * JAEGER_LOGS_INJECTION, …): read from the environment once, on first use, not at start-up; bad
 * values fall back to the schema's default (the loader already warned about them). `set()` lets
 * tests override it; `set(undefined)` re-reads the environment.
 */
export interface EnvSetting<T> {
  get(): T;
  set(value: T | undefined): void;
}

export function envSetting<K extends keyof ConfigValues>(key: K): EnvSetting<ConfigValues[K]> {
  let value: ConfigValues[K] | undefined;
  return {
    get() {
      if (value === undefined) {
        try {
          value = parseEnv(process.env, () => {})[key];
        } catch {
          value = SCHEMA.find((e) => e.key === key)?.default as ConfigValues[K];
        }
      }
      return value;
    },
    set(v) {
      value = v;
    },
  };
}
