import http from '../../instrumentations/http';
import ioredis from '../../instrumentations/ioredis';
import mysql from '../../instrumentations/mysql';
import mysql2 from '../../instrumentations/mysql2';
import opentracing from '../../instrumentations/opentracing';
import pg from '../../instrumentations/pg';
import redis from '../../instrumentations/redis';
import type { InstrumentationDefinition } from './definition';

// Every built-in instrumentation, keyed by its id: the file name in instrumentations/, which is also
// the name JAEGER_INSTRUMENTATIONS and JAEGER_DISABLED_INSTRUMENTATIONS accept (a test holds these
// keys equal to INSTRUMENTATION_IDS in config/schema.ts).

export type InstrumentationSet = Readonly<Record<string, readonly InstrumentationDefinition[]>>;

/** The built-in definitions by instrumentation id. */
export const BUILTIN_INSTRUMENTATIONS: InstrumentationSet = Object.freeze({
  http,
  ioredis,
  mysql,
  mysql2,
  opentracing,
  pg,
  redis,
});

/**
 * The instrumentations to install: those in `allow` (all when it is empty) minus those in `deny`.
 * Ids that name no instrumentation are ignored (the config parser already warned about them).
 */
export function selectInstrumentations(
  all: InstrumentationSet,
  allow: readonly string[],
  deny: readonly string[],
): Record<string, readonly InstrumentationDefinition[]> {
  const selected: Record<string, readonly InstrumentationDefinition[]> = {};
  for (const id of Object.keys(all)) {
    if (allow.length > 0 && !allow.includes(id)) continue;
    if (deny.includes(id)) continue;
    selected[id] = all[id];
  }
  return selected;
}
