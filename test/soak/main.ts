/**
 * `npm run soak -- [NAME…] [--json] [--list] [--size smoke|full] [--no-write] [flags]`
 * (bin/soak.js): runs the scenarios of scenarios/index.ts one after another, each in a
 * fresh scratch dir, prints a table of their figures (or --json), records a full-size
 * run in test/soak/results.json and docs/reliability.md, and exits 1 when any failed.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { machineInfo, mergeRuns } from '../../bench/results-md.ts';
import { parseSoakArgs, SOAK_USAGE } from './runner/args.ts';
import { renderSection, renderTable, spliceSection, type SoakRun } from './runner/render.ts';
import type { Scenario, ScenarioContext } from './scenario.ts';
import { SCENARIOS } from './scenarios/index.ts';
import { SOAK_ENV } from './scale.ts';

const RESULTS_JSON = new URL('./results.json', import.meta.url);
const RELIABILITY_MD = new URL('../../docs/reliability.md', import.meta.url);

const args = parseSoakArgs(
  process.argv.slice(2),
  SCENARIOS.map((s) => s.name),
);
if ('error' in args) {
  process.stderr.write(`soak: ${args.error}\n${SOAK_USAGE}\n`);
  process.exit(2);
}
if (args.help || args.list) {
  const width = Math.max(...SCENARIOS.map((s) => s.name.length));
  const list = SCENARIOS.map((s) => `  ${s.name.padEnd(width)}  ${s.checks}`);
  process.stdout.write(`${args.help ? `${SOAK_USAGE}\n\n` : ''}scenarios:\n${list.join('\n')}\n`);
  process.exit(0);
}
// the specs that scale with the soak hook (test/soak/scale.ts) push harder under this runner
if (args.size === 'full') process.env[SOAK_ENV] = '1';

const runs: SoakRun[] = [];
for (const scenario of SCENARIOS.filter((s) => args.names.includes(s.name)))
  runs.push(await runOne(scenario, args.size, args.flags));

process.stdout.write(
  args.json
    ? `${JSON.stringify({ passed: runs.every((r) => r.passed), scenarios: runs }, null, 2)}\n`
    : renderTable(runs),
);
if (args.write) await record(runs);
process.exitCode = runs.every((r) => r.passed) ? 0 : 1;

async function runOne(scenario: Scenario, size: SoakRun['size'], flags: ScenarioContext['flags']): Promise<SoakRun> {
  const scratch = await mkdtemp(join(tmpdir(), `dubegrid-soak-${scenario.name}-`));
  const date = new Date().toISOString();
  const machine = machineInfo();
  const started = Date.now();
  const log = (line: string): void => void process.stderr.write(`soak ${scenario.name}: ${line}\n`);
  log(`running (${size}) in ${scratch}`);
  let result;
  try {
    result = await scenario.run({ size, scratch, log, flags });
  } catch (err) {
    result = { passed: false, figures: [], notes: [`it threw: ${(err as Error).message.split('\n')[0]}`] };
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  log(`${result.passed ? 'passed' : 'FAILED'} in ${seconds} s`);
  // a failed run's scratch dir is the evidence: keep it and say where
  if (result.passed) await rm(scratch, { recursive: true, force: true });
  else log(`its data is kept in ${scratch}`);
  return { name: scenario.name, checks: scenario.checks, date, size, machine, seconds, ...result };
}

async function record(latest: readonly SoakRun[]): Promise<void> {
  const previous: SoakRun[] = existsSync(RESULTS_JSON)
    ? (JSON.parse(await readFile(RESULTS_JSON, 'utf8')) as { runs: SoakRun[] }).runs
    : [];
  const all = mergeRuns(
    previous,
    latest,
    SCENARIOS.map((s) => s.name),
  );
  await writeFile(RESULTS_JSON, `${JSON.stringify({ runs: all }, null, 2)}\n`);
  const doc = await readFile(RELIABILITY_MD, 'utf8');
  await writeFile(RELIABILITY_MD, spliceSection(doc, renderSection(all)));
  process.stderr.write('soak: recorded the figures in docs/reliability.md (from test/soak/results.json)\n');
}
