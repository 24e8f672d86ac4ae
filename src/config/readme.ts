import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderEnvTable } from './schema';

// `npm run docs:env` rewrites two README.md sections: the environment table (from the schema) and
// the supported-modules table (from test/versions/*.json, the one list of supported ranges and
// tested versions that the loader's definitions are checked against). Unit tests compare both, so
// the README cannot drift from the code.

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
/** The version files of the test matrix. */
export const VERSIONS_DIR = resolve(__dirname, '../../../test/versions');

export const MODULES_START_MARKER = '<!-- modules-table:start -->';
export const MODULES_END_MARKER = '<!-- modules-table:end -->';

/** One test/versions/<instrumentation>.json. */
export interface VersionFile {
  instrumentation: string;
  package: string;
  /** The user-facing package's supported range (closed); every definition range must agree. */
  range: string;
  versions: string[];
  extra?: Record<string, Record<string, string>>;
  /** Shown in the README next to the package. */
  note?: string;
}

export function readVersionFiles(dir: string = VERSIONS_DIR): VersionFile[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as VersionFile);
}

/** The supported-modules table, from the version files. */
export function renderModulesSection(files: readonly VersionFile[] = readVersionFiles()): string {
  const rows = files.map((f) => `| \`${f.instrumentation}\` | \`${f.package}\`${f.note ? ` (${f.note})` : ''} | \`${f.range}\` | ${f.versions.join(', ')} |`);
  return [
    '<!-- Generated from test/versions/*.json by `npm run docs:env`: edit those files, not this table. -->',
    '| Id | Package | Supported versions | Tested with |',
    '| --- | --- | --- | --- |',
    '| `http` | `http`, `https` (core) | every Node.js version the package supports | the Node.js running the tests |',
    ...rows,
  ].join('\n');
}

/** `readme` with the section between `start` and `end` replaced by `content`. */
export function replaceSection(readme: string, start: string, end: string, content: string): string {
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error(`README.md lacks ${start} … ${end}`);
  return `${readme.slice(0, a + start.length)}\n${content}\n${readme.slice(b)}`;
}

/** The text between two markers, or undefined when they are missing. */
export function extractSection(readme: string, start: string, end: string): string | undefined {
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) return undefined;
  return readme.slice(a + start.length, b).replace(/^\n/, '').replace(/\n$/, '');
}

if (require.main === module) {
  const before = readFileSync(README_PATH, 'utf8');
  const after = replaceSection(replaceEnvSection(before), MODULES_START_MARKER, MODULES_END_MARKER, renderModulesSection());
  if (after !== before) writeFileSync(README_PATH, after);
  process.stdout.write(`${after === before ? 'unchanged' : 'updated'}: ${README_PATH}\n`);
}
