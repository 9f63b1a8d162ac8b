/**
 * The mapping engine's compile-time shortcuts (docs/sources.md → "Performance",
 * "CSV through the engine") give what the plain path gives: the missing-token test without lower-casing,
 * the one-byte copy of a mapping, variables read from their slot only when that changes
 * nothing, and long measures cached by the text of the one field they are read from.
 */
import fc from 'fast-check';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { oneByteStrings } from '../../src/producers/splitter/mapping/compile.ts';
import { dryRunSplit, type DryRun } from '../../src/producers/splitter/mapping/dry-run.ts';
import { csvAccessor } from '../../src/producers/splitter/mapping/accessor.ts';
import {
  compileExpr,
  givesNormalised,
  lowerCase,
  missingToken,
  operandOf,
  readOperand,
  trimText,
  upperCase,
  type RowContext,
  type Scope,
} from '../../src/producers/splitter/mapping/expr.ts';
import { Problems } from '../../src/producers/splitter/mapping/problems.ts';
import { MappingSet } from '../../src/producers/splitter/mapping/set.ts';
import { parseMapping } from '../../src/shared/sources/load.ts';
import { LV_HEADER } from './splitter.support.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sources-fast-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let files = 0;
async function split(mappings: MappingSet, body: string, sourceName?: string): Promise<DryRun> {
  const path = join(dir, `f${++files}.csv`);
  await writeFile(path, body);
  return dryRunSplit(path, { mappings, sourceName, keepEvents: 100 });
}

function compiled(yaml: string): MappingSet {
  const { set, rejected } = MappingSet.compile([parseMapping(yaml, 'test.yaml')]);
  expect(rejected.map((r) => r.error.message)).toEqual([]);
  return set;
}

describe('missingToken', () => {
  const tokenSets = [
    ['', 'NA', 'N/A', 'null'],
    ['na', 'null'],
    ['', 'İ', 'K', 'ß', 'x y', '-', 'Σ'],
    ['', 'K', 'ǅ', 'ﬀ', 'ss'],
  ].map((list) => new Set(list.map((t) => t.trim().toLowerCase())));
  const tricky = fc.constantFrom(...'nNaA/uUlLİiıKkKßSsσΣς ǅǆﬀf-xXy0129'.split(''));
  const text = fc.oneof(
    fc.string({ unit: tricky, minLength: 1, maxLength: 5 }),
    fc.string({ minLength: 1 }),
    fc.string({ unit: 'grapheme', minLength: 1 }),
    fc.constantFrom('NA', 'n/a', 'NULL', 'Null', 'İ', 'i̇', 'K', 'k', 'SS', 'ß'),
  );

  it('is exactly missing.has(text.toLowerCase()) for any non-empty text', () => {
    for (const missing of tokenSets) {
      const token = missingToken(missing);
      expect(token).toBeDefined();
      fc.assert(
        fc.property(text, (t) => token?.(t) === missing.has(t.toLowerCase())),
        { numRuns: 20_000 },
      );
    }
  });

  it('is not needed when the empty text is the only token', () => {
    expect(missingToken(new Set(['']))).toBeUndefined();
  });
});

describe('text helpers', () => {
  const anyText = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.string({ unit: fc.constantFrom(...' \t\n\u00a0\u2028\ufeffaZß İıǅΣς1-'.split('')) }),
  );

  it('trimText, lowerCase and upperCase are exactly trim, toLowerCase and toUpperCase', () => {
    fc.assert(
      fc.property(anyText, (t) => {
        expect(trimText(t)).toBe(t.trim());
        expect(lowerCase(t)).toBe(t.toLowerCase());
        expect(upperCase(t)).toBe(t.toUpperCase());
      }),
      { numRuns: 20_000 },
    );
  });

  it('a CSV cell read in place is what its compiled expression gives, broken rule included', () => {
    const transforms = fc.record(
      {
        trim: fc.boolean(),
        case: fc.constantFrom('upper', 'lower'),
        slice: fc.constant([1, 3] as const),
        required: fc.oneof(fc.boolean(), fc.constant('A is needed')),
      },
      { requiredKeys: [] },
    );
    const missing = fc.constantFrom(new Set(['']), new Set(['', 'na', 'null']));
    const cell = fc.oneof(fc.string(), fc.constantFrom(' NA ', 'Null', ' x ', '', '  ', 'ß', 'feeder'));
    fc.assert(
      fc.property(transforms, missing, cell, (t, miss, text) => {
        const problems = new Problems();
        const scope: Scope<readonly string[]> = {
          accessor: csvAccessor(['B', 'A']),
          vars: new Map(),
          lookups: new Map(),
          missing: miss,
          problems,
        };
        const fn = compileExpr({ column: 'A', ...t }, scope, 'x');
        const op = operandOf(fn);
        const row = ['b', text];
        const viaFn: RowContext = { vars: [], fail: undefined };
        const inPlace: RowContext = { vars: [], fail: undefined };
        expect(readOperand(op, row, inPlace, missingToken(miss))).toBe(fn(row, viaFn));
        expect(inPlace.fail).toEqual(viaFn.fail);
      }),
      { numRuns: 5_000 },
    );
  });
});

describe('oneByteStrings', () => {
  it('copies a mapping value for value, keys and strings beyond Latin-1 included', () => {
    const mapping = parseMapping(
      `name: t_copy
description: a — dash, Ölhafen, Ω
recognise: { csv: { columns: [Site, Time, Value] } }
shape: { kind: csv }
timestamp: { from: Time, zone: UTC }
site: { substation_id: Site, substation_name: { const: 'Ölhafen — Ω' } }
reading: { measurement: { const: l1_current }, unit: { const: A }, value: { from: Value, scale: 2 } }
`,
      'test.yaml',
    ).mapping;
    const copy = oneByteStrings(mapping);
    expect(copy).toEqual(mapping);
    expect(copy).not.toBe(mapping);
  });
});

describe('variables read from their slot', () => {
  it('only when every definition gives trimmed text that is no missing token', () => {
    const missing = new Set(['', 'na']);
    expect(givesNormalised('Site', missing)).toBe(true);
    expect(givesNormalised({ column: 'Site', case: 'lower' }, missing)).toBe(true);
    expect(givesNormalised({ column: 'Site', case: 'upper' }, missing)).toBe(false);
    expect(givesNormalised({ column: 'Site', slice: [0, 3] }, missing)).toBe(false);
    expect(givesNormalised({ column: 'Site', trim: false }, missing)).toBe(false);
    expect(givesNormalised({ lookup: 't', from: 'Site', get: 'x' }, missing)).toBe(false);
    expect(givesNormalised({ const: 'x' }, missing)).toBe(true);
    expect(givesNormalised({ const: ' x' }, missing)).toBe(false);
    expect(givesNormalised({ const: 'NA' }, missing)).toBe(false);
    expect(givesNormalised({ const: null }, missing)).toBe(true);
  });

  const head = `recognise: { csv: { columns: [Site, Code, Time, Value] } }
shape: { kind: csv }
timestamp: { from: Time, zone: UTC }
reading: { measurement: { const: l1_current }, unit: { const: A }, value: { from: Value } }
`;

  it('a variable a branch re-defines with a slice is trimmed where it is used', async () => {
    const set = compiled(`name: t_slice
${head}vars:
  id: { column: Site, required: true }
branches:
  - if: { field: Code, equals: [S] }
    vars:
      id: { column: Site, slice: [0, 3] }
site: { substation_id: { var: id } }
`);
    const run = await split(
      set,
      'Site,Code,Time,Value\nAB CD,S,2025-01-01T00:00:00Z,1\nAB CD,N,2025-01-01T00:00:00Z,2\n',
    );
    expect(run.events.map((e) => e.substation_id)).toEqual(['AB', 'AB CD']);
  });

  it('a variable folded to upper case is tested against the missing tokens again where it is used', async () => {
    // 'ß' is no token, its upper case 'SS' lower-cases to the token 'ss'
    const set = compiled(`name: t_upper
${head}missing: ['', 'ss']
vars:
  id: { column: Site, case: upper }
site: { substation_id: { var: id } }
`);
    const run = await split(set, 'Site,Code,Time,Value\nß,x,2025-01-01T00:00:00Z,1\nab,x,2025-01-01T00:00:00Z,2\n');
    expect(run.events.map((e) => e.substation_id)).toEqual(['AB']);
    expect(run.entries.map((e) => [e.line, e.reason])).toEqual([[2, 'missing_field']]);
  });
});

describe('long measures cached by their field', () => {
  const builtins = MappingSet.compile([]).set;
  const lvRow = (description: string, units: string, value: string): string =>
    `0123,SITE,2025-08-14T15:00:00Z,transformer,,${description},${units},${value}`;

  it('reads each row’s source unit, however the spellings alternate for one description', async () => {
    const rows = [
      lvRow('Total Active Power', 'kW', '2'),
      lvRow('Total Active Power', 'MW', '2'),
      lvRow('total  active power', 'MW', '3'),
      lvRow('Total Active Power', 'W', '2000'),
      lvRow('Total Active Power', 'kW', '4'),
      lvRow('Total Active Power', 'kVA', '4'),
      lvRow('Total Active Power', 'kW', '5'),
      lvRow('Nonsense', 'kW', '5'),
      lvRow('', 'kW', '5'),
      lvRow('Nonsense', 'kW', '6'),
    ];
    const run = await split(builtins, `${LV_HEADER}\n${rows.join('\n')}\n`, 'lv_long');
    expect(run.events.map((e) => [e.measurement, e.unit, e.value])).toEqual([
      ['total_active_power', 'kW', 2],
      ['total_active_power', 'kW', 2000],
      ['total_active_power', 'kW', 3000],
      ['total_active_power', 'kW', 2],
      ['total_active_power', 'kW', 4],
      ['total_active_power', 'kW', 5],
    ]);
    expect(run.entries.map((e) => [e.line, e.reason, e.message])).toEqual([
      [7, 'unit_mismatch', 'total_active_power is measured in kW, not kVA'],
      [9, 'invalid_field', 'Description "Nonsense" is not in the LV monitor vocabulary'],
      [10, 'missing_field', 'Description is empty'],
      [11, 'invalid_field', 'Description "Nonsense" is not in the LV monitor vocabulary'],
    ]);
  });

  it('gives what the uncached path gives when the measure comes from a variable', async () => {
    const mapping = (measurement: string) =>
      compiled(`name: t_long
recognise: { csv: { columns: [Site, Kind, Time, Value] } }
shape: { kind: csv }
timestamp: { from: Time, zone: UTC }
vars:
  kind: Kind
site: { substation_id: Site }
reading:
  measurement: { lookup: kinds, from: ${measurement}, get: m }
  unit: { lookup: kinds, from: ${measurement}, get: u }
  value: { from: Value }
lookups:
  kinds:
    entries:
      amps: { m: l1_current, u: A }
      volts: { m: l1_voltage, u: V }
`);
    const body =
      'Site,Kind,Time,Value\n' +
      ['amps,1', 'volts,240', ' AMPS ,2', 'watts,3', 'volts,99999', 'amps,4']
        .map((r, i) => `S1,${r.split(',')[0]},2025-01-01T00:0${i}:00Z,${r.split(',')[1]}`)
        .join('\n') +
      '\n';
    const cached = await split(mapping('Kind'), body);
    const uncached = await split(mapping('{ var: kind, label: Kind }'), body);
    const events = (run: DryRun) => run.events.map((e) => [e.event_id, e.measurement, e.unit, e.value, e.source_line]);
    const entries = (run: DryRun) => run.entries.map((e) => [e.line, e.reason, e.message]);
    expect(events(cached)).toEqual(events(uncached));
    expect(entries(cached)).toEqual(entries(uncached));
    expect(cached.events.map((e) => [e.measurement, e.value])).toEqual([
      ['l1_current', 1],
      ['l1_voltage', 240],
      ['l1_current', 2],
      ['l1_current', 4],
    ]);
    expect(cached.entries.map((e) => e.reason)).toEqual(['invalid_field', 'out_of_bounds']);
  });
});
