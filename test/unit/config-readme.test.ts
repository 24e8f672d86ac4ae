import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { README_PATH, extractEnvSection, renderEnvSection, replaceEnvSection } from '../../src/config/readme';
import { SCHEMA, renderEnvTable } from '../../src/config/schema';

describe('README environment table', () => {
  test('README.md holds exactly the rendered section (run `npm run docs:env` after editing the schema)', () => {
    const readme = readFileSync(README_PATH, 'utf8');
    assert.equal(extractEnvSection(readme), renderEnvSection());
  });

  test('the table has one row per variable, naming every alias', () => {
    const rows = renderEnvTable().split('\n').slice(2);
    assert.equal(rows.length, SCHEMA.length);
    for (const [i, entry] of SCHEMA.entries()) {
      assert.ok(rows[i].startsWith(`| \`${entry.env}\``), rows[i]);
      for (const alias of entry.aliases ?? []) assert.ok(rows[i].includes(`alias \`${alias}\``), alias);
      assert.equal(rows[i].split(/(?<!\\)\|/).length, 6, `four cells: ${rows[i]}`);
    }
  });

  test('every schema entry documents itself, with units for durations', () => {
    const names = new Set<string>();
    for (const e of SCHEMA) {
      assert.ok(!names.has(e.env), `${e.env} twice`);
      names.add(e.env);
      assert.ok(e.doc.length > 10 && e.example !== '', e.env);
      if (/INTERVAL|TIMEOUT/.test(e.env)) assert.match(e.doc, /milliseconds/, e.env);
    }
  });

  test('replacing the section is idempotent and leaves the rest untouched', () => {
    const doc = 'before\n<!-- env-table:start -->\nstale\n<!-- env-table:end -->\nafter\n';
    const once = replaceEnvSection(doc);
    assert.ok(once.startsWith('before\n<!-- env-table:start -->\n') && once.endsWith('<!-- env-table:end -->\nafter\n'));
    assert.equal(replaceEnvSection(once), once);
    assert.throws(() => replaceEnvSection('no markers'), /env-table/);
  });
});
