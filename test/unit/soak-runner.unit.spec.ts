/**
 * The soak runner's pure parts (test/soak/runner/): its arguments, the table it prints, the
 * section it writes into docs/reliability.md, and the loss comparison its scenarios judge by.
 */
import { describe, expect, it } from 'vitest';
import { parseSoakArgs } from '../soak/runner/args.ts';
import {
  renderSection,
  renderTable,
  spliceSection,
  SOAK_BEGIN,
  SOAK_END,
  type SoakRun,
} from '../soak/runner/render.ts';
import { compareOutcomes, type Outcome } from '../soak/support/outcome.ts';
import { cutSample } from '../soak/scenarios/many-files.ts';
import { dataRows } from '../soak/support/input.ts';
import { tempDir } from '../support/tmp.ts';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const KNOWN = ['kill-loop', 'emulator-death', 'many-files'];

describe('soak arguments', () => {
  it('runs every scenario at full size and records it when given nothing', () => {
    expect(parseSoakArgs([], KNOWN)).toEqual({
      help: false,
      list: false,
      json: false,
      size: 'full',
      write: true,
      names: KNOWN,
      flags: {},
    });
  });

  it("keeps the registry's order for named scenarios and passes other flags on, with a value or alone", () => {
    const args = parseSoakArgs(['many-files', '--kills', '3', 'kill-loop', '--seed=42', '--json', '--fast'], KNOWN);
    expect(args).toMatchObject({
      names: ['kill-loop', 'many-files'],
      json: true,
      flags: { kills: '3', seed: '42', fast: true },
    });
  });

  it('never takes a scenario name as a flag value', () => {
    expect(parseSoakArgs(['--fast', 'kill-loop'], KNOWN)).toMatchObject({
      names: ['kill-loop'],
      flags: { fast: true },
    });
  });

  it('does not record a smoke run nor one told not to', () => {
    expect(parseSoakArgs(['--size', 'smoke'], KNOWN)).toMatchObject({ size: 'smoke', write: false });
    expect(parseSoakArgs(['--no-write'], KNOWN)).toMatchObject({ size: 'full', write: false, flags: {} });
  });

  it('refuses an unknown scenario or size, naming what it knows', () => {
    expect(parseSoakArgs(['kill-lop'], KNOWN)).toEqual({
      error: 'no scenario named kill-lop (known: kill-loop, emulator-death, many-files; see --list)',
    });
    expect(parseSoakArgs(['--size', 'huge'], KNOWN)).toEqual({ error: '--size must be smoke or full, got huge' });
  });
});

const MACHINE = { cpu: 'Test CPU', cores: 2, memory_gib: 8, node: 'v20.0.0', os: 'Linux 6 x64', load_average: 1.5 };

function run(name: string, passed: boolean): SoakRun {
  return {
    name,
    checks: 'what it | checks',
    date: '2026-12-06T03:00:00.000Z',
    size: 'full',
    machine: MACHINE,
    seconds: 1234,
    passed,
    figures: [
      { name: 'lost', value: passed ? 0 : 3, target: '= 0', met: passed },
      { name: 'recover', value: 12345.5, unit: 's' },
    ],
    notes: passed ? [] : ['series 3/0'],
  };
}

describe('soak output', () => {
  it('prints one aligned row per figure, the verdict on the first, and the notes after', () => {
    expect(renderTable([run('kill-loop', true), run('many-files', false)])).toBe(
      [
        'scenario    passed  figure   value       target',
        '----------  ------  -------  ----------  ------  ------',
        'kill-loop   PASS    lost     0           = 0     met',
        '                    recover  12,345.5 s',
        'many-files  FAIL    lost     3           = 0     MISSED',
        '                    recover  12,345.5 s',
        '',
        '  many-files: series 3/0',
        '',
      ].join('\n'),
    );
  });

  it('writes a markdown section with each scenario’s date, size and machine, pipes escaped', () => {
    const section = renderSection([run('kill-loop', true)]);
    expect(section.startsWith(SOAK_BEGIN) && section.endsWith(SOAK_END)).toBe(true);
    expect(section).toContain('| `kill-loop` | what it \\| checks | yes | 2026-12-06 03:00 UTC |');
    expect(section).toContain(
      '2026-12-06 03:00:00 UTC, size full, 1,234 s; 2 cores (Test CPU), 8 GiB, Linux 6 x64, Node v20.0.0, load 1.5 at the start.',
    );
    expect(section).toContain('| recover | 12,345.5 s |  |  |');
  });

  it('replaces the section between the markers and keeps the rest; appends it when there is none', () => {
    const doc = `# Reliability\n\nbefore\n\n${SOAK_BEGIN}\nold\n${SOAK_END}\n\nafter\n`;
    expect(spliceSection(doc, `${SOAK_BEGIN}\nnew\n${SOAK_END}`)).toBe(
      `# Reliability\n\nbefore\n\n${SOAK_BEGIN}\nnew\n${SOAK_END}\n\nafter\n`,
    );
    expect(spliceSection('# R\n', `${SOAK_BEGIN}\nnew\n${SOAK_END}`)).toBe(`# R\n\n${SOAK_BEGIN}\nnew\n${SOAK_END}\n`);
  });
});

function outcome(o: Partial<Outcome>): Outcome {
  return {
    series: new Set(),
    latest: new Map(),
    incidents: new Set(),
    notifications: new Set(),
    lake: { rows: 0, distinct: 0 },
    ...o,
  };
}

describe('what a faulted run lost or duplicated', () => {
  it('counts missing keys as lost and keys no clean run makes as duplicated, per projection', () => {
    const clean = outcome({
      series: new Set(['a|1', 'a|2', 'b|1']),
      latest: new Map([
        ['a|v', 't2|1'],
        ['b|v', 't1|5'],
      ]),
      incidents: new Set(['a|incident#1|closed']),
      notifications: new Set(['a|n1', 'a|n2']),
      lake: { rows: 3, distinct: 3 },
    });
    const faulted = outcome({
      series: new Set(['a|1', 'b|1', 'c|9']),
      latest: new Map([
        ['a|v', 't1|0'],
        ['b|v', 't1|5'],
      ]),
      incidents: new Set(['a|incident#1|open']),
      notifications: new Set(['a|n1', 'a|n2', 'a|n3']),
      lake: { rows: 4, distinct: 2 },
    });
    expect(compareOutcomes(clean, faulted)).toEqual({
      series: { lost: 1, duplicated: 1 },
      latest: { lost: 1, duplicated: 0 },
      lake: { lost: 1, duplicated: 2 },
      incidents: { lost: 1, duplicated: 1 },
      notifications: { lost: 0, duplicated: 1 },
    });
    expect(compareOutcomes(clean, clean)).toEqual({
      series: { lost: 0, duplicated: 0 },
      latest: { lost: 0, duplicated: 0 },
      lake: { lost: 0, duplicated: 0 },
      incidents: { lost: 0, duplicated: 0 },
      notifications: { lost: 0, duplicated: 0 },
    });
  });
});

describe("many-files' input", () => {
  it('cuts a sample into files of the asked rows, one bad row in every tenth', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const header = 'Substation Number,Substation Name,Timestamp,Attribute Type,Feeder ID,Description,Units,Value';
      const rows = Array.from(
        { length: 70 },
        (_, i) => `LV1,X,2025-08-11T00:${String(i).padStart(2, '0')}:00Z,feeder,01,L1 Voltage,V,${230 + i}`,
      );
      const cut = await cutSample([header, ...rows].join('\n'), dir, 12, 5);
      expect(cut).toEqual({ files: 12, rows: 60, bad: 1 });
      const files = (await readdir(dir)).sort();
      expect(files).toHaveLength(12);
      const tenth = await readFile(join(dir, files[9] ?? ''), 'utf8');
      expect(dataRows(tenth)).toBe(6);
      expect(tenth.trimEnd().split('\n').at(-1)).toBe('LV1,X,2025-08-11T00:45:00Z,feeder,01,L1 Voltage,V,not-a-number');
      expect(dataRows(await readFile(join(dir, files[11] ?? ''), 'utf8'))).toBe(5);
    } finally {
      await cleanup();
    }
  });
});
