import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderEnvTable } from './schema';

// `npm run docs:env` rewrites README.md between the env-table markers from the schema; a unit
// test compares the two, so the README cannot drift from the code.

export const START_MARKER = '<!-- env-table:start -->';
export const END_MARKER = '<!-- env-table:end -->';

const PRODUCTION_NOTE = [
  '**Sampling in production.** The default, `const` with param `1`, records every trace so that a',
  'first run shows traces at once (OpenTelemetry SDKs default to always-on for the same reason).',
  'Under real traffic set `JAEGER_SAMPLER_TYPE=remote`: the sampler then polls the Jaeger agent',
  '(`JAEGER_AGENT_HOST`:5778, or `JAEGER_SAMPLING_ENDPOINT`) for the centrally configured strategy',
  'and samples 0.1 % until one arrives, which is the reference Jaeger clients\' default. Or fix the',
  'rate with `probabilistic` or `ratelimiting`.',
].join('\n');

/** Everything between the markers: a generated-file note, the table and the sampling note. */
export function renderEnvSection(): string {
  return [
    '<!-- Generated from src/config/schema.ts by `npm run docs:env`: edit the schema, not this table. -->',
    renderEnvTable(),
    '',
    PRODUCTION_NOTE,
  ].join('\n');
}

/** The text between the markers, or undefined when they are missing. */
export function extractEnvSection(readme: string): string | undefined {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + START_MARKER.length, end).replace(/^\n/, '').replace(/\n$/, '');
}

/** `readme` with the section between the markers replaced by the rendered one. */
export function replaceEnvSection(readme: string): string {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) throw new Error(`README.md lacks ${START_MARKER} … ${END_MARKER}`);
  return `${readme.slice(0, start + START_MARKER.length)}\n${renderEnvSection()}\n${readme.slice(end)}`;
}

/** The repository's README.md, seen from the compiled dist/src/config/. */
export const README_PATH = resolve(__dirname, '../../../README.md');

if (require.main === module) {
  const before = readFileSync(README_PATH, 'utf8');
  const after = replaceEnvSection(before);
  if (after !== before) writeFileSync(README_PATH, after);
  process.stdout.write(`${after === before ? 'unchanged' : 'updated'}: ${README_PATH}\n`);
}
