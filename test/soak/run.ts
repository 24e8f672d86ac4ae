// `npm run test:soak`: the long reliability scenarios (60 s outages, floods), one after another,
// each app in its own process under the preload. Prints one table (scenario | check | measured |
// target | pass/fail) and exits 1 when any check fails.
//   SOAK_SECONDS=10 npm run test:soak     shorter outages for a quick run (default 60)
//   node dist/test/soak/run.js 2 5        only the scenarios whose number is given
import type { Row, Rows } from './harness';
import { soakSeconds } from './harness';
import { agentAbsent, badSettings, collectorHanging, collectorRefusing } from './scenarios-exporter';
import { debugFlood, scriptExit, udpFlood } from './scenarios-flood';

const SCENARIOS: Array<[string, string, () => Promise<Rows>]> = [
  ['1', '1 agent absent', agentAbsent],
  ['2', '2 collector refusing', collectorRefusing],
  ['3', '3 collector hanging', collectorHanging],
  ['4', '4 UDP flood', udpFlood],
  ['5', '5 debug/baggage flood', debugFlood],
  ['6', '6 100-span script exit', scriptExit],
  ['7', '7 bad settings', badSettings],
];

function table(rows: Row[]): string {
  const head = ['scenario', 'check', 'measured', 'target', 'result'];
  const cells = rows.map((r) => [r.scenario, r.check, r.measured, r.target, r.pass ? 'pass' : 'FAIL']);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]): string => `| ${c.map((v, i) => v.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n');
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const chosen = SCENARIOS.filter(([id]) => only.length === 0 || only.includes(id));
  const rows: Row[] = [];
  const started = Date.now();
  process.stderr.write(`soak: ${chosen.length} scenario(s), outages of ${soakSeconds()} s\n`);
  for (const [, name, run] of chosen) {
    const t = Date.now();
    process.stderr.write(`soak: ${name} ...\n`);
    try {
      const result = await run();
      rows.push(...result.rows);
    } catch (err) {
      // A scenario that throws is a failure of its own, not the end of the run.
      rows.push({ scenario: name, check: 'scenario ran', measured: String((err as Error)?.message ?? err).slice(0, 120), target: 'no error', pass: false });
    }
    process.stderr.write(`soak: ${name} done in ${((Date.now() - t) / 1000).toFixed(1)} s\n`);
  }
  const failed = rows.filter((r) => !r.pass).length;
  process.stdout.write(`${table(rows)}\n\n${rows.length - failed} passed, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(0)} s (SOAK_SECONDS=${soakSeconds()})\n`);
  process.exitCode = failed > 0 ? 1 : 0;
}

main().catch((err) => {
  process.stderr.write(`soak runner failed: ${err?.stack ?? err}\n`);
  process.exitCode = 1;
});
