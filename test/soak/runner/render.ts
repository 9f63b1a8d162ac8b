/**
 * What `npm run soak` prints and records. Each scenario's latest run is kept in
 * test/soak/results.json with its date, size and machine (a shared machine's figures mean
 * little without them); docs/reliability.md's section between the soak markers is
 * rendered from it, never edited by hand, so running one scenario replaces its own part.
 */
import { table } from '../../../src/cli/output.ts';
import type { Machine } from '../../../bench/results-md.ts';
import type { ScenarioFigure, ScenarioSize } from '../scenario.ts';

export interface SoakRun {
  readonly name: string;
  readonly checks: string;
  /** ISO time the run started. */
  readonly date: string;
  readonly size: ScenarioSize;
  readonly machine: Machine;
  readonly seconds: number;
  readonly passed: boolean;
  readonly figures: readonly ScenarioFigure[];
  readonly notes: readonly string[];
}

export const SOAK_BEGIN = '<!-- soak:begin -->';
export const SOAK_END = '<!-- soak:end -->';

/** `12,345 MB` with its unit; a string as given. */
export function figureValue(f: ScenarioFigure): string {
  const value = typeof f.value === 'number' ? f.value.toLocaleString('en-GB') : f.value;
  return f.unit ? `${value} ${f.unit}` : value;
}

function met(f: ScenarioFigure): string {
  if (f.target === undefined) return '';
  return f.met === false ? 'MISSED' : 'met';
}

/** The terminal table: one row per figure, the scenario's name and verdict on its first. */
export function renderTable(runs: readonly SoakRun[]): string {
  const rows = runs.flatMap((r) => {
    const figures: readonly (ScenarioFigure | undefined)[] = r.figures.length ? r.figures : [undefined];
    return figures.map((f, i) => [
      i === 0 ? r.name : '',
      i === 0 ? (r.passed ? 'PASS' : 'FAIL') : '',
      f?.name ?? '',
      f ? figureValue(f) : '',
      f?.target ?? '',
      f ? met(f) : '',
    ]);
  });
  const notes = runs.flatMap((r) => r.notes.map((n) => `  ${r.name}: ${n}`));
  return [table(['scenario', 'passed', 'figure', 'value', 'target', ''], rows), ...(notes.length ? ['', ...notes] : [])]
    .join('\n')
    .concat('\n');
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

/** The markdown between the markers: a summary table, then each scenario's figures with its date and machine. */
export function renderSection(runs: readonly SoakRun[]): string {
  const lines = [
    SOAK_BEGIN,
    "_Written by `npm run soak` from test/soak/results.json (each scenario's latest full-size run); do not edit by hand._",
    '',
    '| scenario | what it checks | passed | last run |',
    '| --- | --- | --- | --- |',
    ...runs.map(
      (r) =>
        `| \`${r.name}\` | ${cell(r.checks)} | ${r.passed ? 'yes' : '**no**'} | ${r.date.slice(0, 16).replace('T', ' ')} UTC |`,
    ),
  ];
  for (const r of runs) {
    const m = r.machine;
    lines.push(
      '',
      `#### \`${r.name}\``,
      '',
      `${r.date.slice(0, 19).replace('T', ' ')} UTC, size ${r.size}, ${r.seconds.toLocaleString('en-GB')} s; ${m.cores} cores (${m.cpu}), ${m.memory_gib} GiB, ${m.os}, Node ${m.node}, load ${m.load_average} at the start.`,
      '',
      '| figure | value | target | |',
      '| --- | ---: | --- | --- |',
      ...r.figures.map((f) => `| ${cell(f.name)} | ${cell(figureValue(f))} | ${cell(f.target ?? '')} | ${met(f)} |`),
      ...(r.notes.length ? ['', ...r.notes.map((n) => `- ${n}`)] : []),
    );
  }
  lines.push(SOAK_END);
  return lines.join('\n');
}

/** `doc` with its soak section replaced (or appended, markers and all, when it has none yet). */
export function spliceSection(doc: string, section: string): string {
  const begin = doc.indexOf(SOAK_BEGIN);
  const end = doc.indexOf(SOAK_END);
  if (begin === -1 || end === -1 || end < begin) return `${doc.trimEnd()}\n\n${section}\n`;
  return `${doc.slice(0, begin)}${section}${doc.slice(end + SOAK_END.length)}`;
}
