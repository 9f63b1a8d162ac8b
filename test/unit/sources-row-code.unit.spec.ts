/**
 * The generated row functions (mapping/row-code.ts) against the mapper's closures they
 * replace on the hot path: for random records of the built-in layouts and of mappings
 * using every feature, both emit the same readings and reject the same records for the
 * same reasons. And the generated source holds no text from the mapping.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LV_MONITOR_COLUMNS } from '../../src/generate/writer.ts';
import { builtinMappings } from '../../src/producers/splitter/mapping/builtin.ts';
import { compileMapping, type RecordMapper } from '../../src/producers/splitter/mapping/compile.ts';
import { jsonAccessor } from '../../src/producers/splitter/mapping/json-accessor.ts';
import { rowSource } from '../../src/producers/splitter/mapping/row-code.ts';
import type { Rejection } from '../../src/producers/splitter/rows.ts';
import { parseMapping } from '../../src/shared/sources/load.ts';
import type { LoadedMapping } from '../../src/shared/sources/mapping.ts';

type Outcome = (string | number)[][];

/** What the records of a test came to, over all its runs: each kind must have happened for the comparison to say much. */
const seen = new Map<string, number>();

/** Everything a record's mapping gives: readings (site, measure, value, time), rejected readings, the rejection. */
function outcome<R>(mapper: RecordMapper<R>, record: R): Outcome {
  const out: Outcome = [];
  const rejection = mapper.map(
    record,
    (site, measure, value, ts) => out.push(['emit', site.json, measure.json, value, ts]),
    (r: Rejection) => out.push(['reading', r.reason, r.message]),
  );
  if (rejection) out.push(['rejected', rejection.reason, rejection.message]);
  for (const o of out) seen.set(o[0] as string, (seen.get(o[0] as string) ?? 0) + 1);
  return out;
}

function both(loaded: LoadedMapping, header: readonly string[]) {
  return {
    generated: compileMapping(loaded).forHeader(header),
    closures: compileMapping(loaded, { closuresOnly: true }).forHeader(header),
  };
}

const builtin = (name: string): LoadedMapping => {
  const m = builtinMappings().find((b) => b.mapping.name === name);
  if (m === undefined) throw new Error(`no built-in mapping ${name}`);
  return m;
};

/** Rows of `header.length` cells, each cell from its column's texts. */
const rows = (cells: readonly (readonly string[])[]) =>
  fc.array(fc.tuple(...cells.map((texts) => fc.constantFrom(...texts))), { minLength: 1, maxLength: 60 });

const values = [
  '',
  ' ',
  'NA',
  'n/a',
  'null',
  '0',
  '-0',
  '12.5',
  ' 7 ',
  '1e9',
  'abc',
  'inf',
  '50000000000',
  '-3',
  '0.5',
];
const times = ['2025-08-14T15:00:00Z', '2025-08-14 15:10', '2025-03-30T01:30:00', 'yesterday', '', '1723647600'];

describe('generated row functions give what the closures give', () => {
  beforeEach(() => seen.clear());
  afterEach(() => {
    expect(seen.get('emit') ?? 0).toBeGreaterThan(0);
    expect(seen.get('rejected') ?? 0).toBeGreaterThan(0);
  });

  it('lv_long', () => {
    const header = [...LV_MONITOR_COLUMNS];
    const cells = [
      ['0123', ' 77 ', '', 'X'.repeat(300)],
      ['', 'CHARTERHOUSE DRIVE', ' Ölhafen '],
      times,
      ['feeder', 'transformer', ' FEEDER ', '', 'meter'],
      ['', '1', ' 2 '],
      ['L1 Current', 'l2  voltage', ' N Power Factor', 'Total Active Power', '', 'L4 Current'],
      ['A', 'V', 'kW', 'MW', 'kvar', '', 'amps', 'xyz', 'pf'],
      values,
    ];
    const { generated, closures } = both(builtin('lv_long'), header);
    fc.assert(
      fc.property(rows(cells), (rs) => {
        for (const r of rs) expect(outcome(generated, r)).toEqual(outcome(closures, r));
      }),
      { numRuns: 300 },
    );
  });

  it('dno_wide, with and without the name column', () => {
    for (const withName of [true, false]) {
      const header = [
        'dataset_id',
        'DNO_ALIAS',
        'secondary_substation_id',
        ...(withName ? ['secondary_substation_name'] : []),
        'lv_feeder_id',
        'total_consumption_active_import',
        'aggregated_device_count_active',
        'data_collection_log_timestamp',
      ];
      const cells = [
        ['000200200401', '0002', '', '1234567890123', 'NA'],
        ['NGED', 'SSEN', 'ssen', '', 'NA', 'Ssen '],
        ['903830', '', 'null', ' 12 '],
        ...(withName ? [['', 'SUB 1', 'n/a']] : []),
        ['1', '', ' 3 ', 'NA'],
        values,
        values,
        times,
      ];
      const { generated, closures } = both(builtin('dno_wide'), header);
      fc.assert(
        fc.property(rows(cells), (rs) => {
          for (const r of rs) expect(outcome(generated, r)).toEqual(outcome(closures, r));
        }),
        { numRuns: 200 },
      );
    }
  });

  const rich = parseMapping(
    `name: t_rich
recognise: { csv: { columns: [Site, Kind, Channel, Time, Value, Unit, Flag] } }
shape: { kind: csv }
missing: ['', 'NA', 'n/a']
timestamp: { from: Time, zone: Europe/London, label: end, period: 30m }
vars:
  site: { column: Site, case: upper, required: true }
  kind: { column: Kind, case: lower }
  code:
    regex: '^(?<n>[0-9]+)'
    from: Channel
    unmatched: { reason: invalid_field, message: 'Channel {value} has no number' }
branches:
  - if: { field: { var: kind }, equals: [feeder, f] }
    vars: { feeder: { column: Channel, slice: [0, 2] } }
    require: [{ field: Flag, message: 'Flag is needed ({value})' }]
    site: { feeder_id: { var: feeder } }
  - if: { field: Kind, matches: '^T' }
    forbid: [{ field: Flag, message: 'no flag on {value}' }]
    timestamp: { label: start }
  - if: { field: { var: kind }, equals: [''] }
    reject: { reason: missing_field, message: 'Kind empty {value}' }
  - reject: { reason: invalid_field, message: 'Kind {value} unknown' }
site:
  substation_id: { template: '{site}-{code}', label: Site }
  substation_name: { template: ' S {Site} / {kind} ', case: lower }
reading:
  measurement: { lookup: ch, from: Unit, get: m }
  phase: { lookup: ch, from: Unit, get: p }
  unit: { lookup: ch, from: Unit, get: u }
  source_unit: { from: Unit, optional_for: [pf] }
  value: { from: Value, scale: 2 }
lookups:
  ch:
    entries:
      A: { m: l1_current, p: L1, u: A }
      kW: { m: total_active_power, p: null, u: kW }
      MW: { m: total_active_power, p: null, u: kW }
      PF: { m: l1_power_factor, p: L1, u: pf }
`,
    'rich.yaml',
  );

  it('a long mapping with every kind of expression, branch and rule', () => {
    const header = ['Flag', 'Site', 'Kind', 'Channel', 'Time', 'Value', 'Unit'];
    const cells = [
      ['', 'x', 'NA', ' y '],
      ['ab', ' cd ', '', 'ß', 'NA'],
      ['feeder', 'F', 'T1', 'transformer', '', 'other', ' n/a '],
      ['12 a', '7', 'x9', '', '345 6'],
      times,
      values,
      ['A', 'kW', 'MW', 'PF', 'pf', '', 'V'],
    ];
    const { generated, closures } = both(rich, header);
    fc.assert(
      fc.property(rows(cells), (rs) => {
        for (const r of rs) expect(outcome(generated, r)).toEqual(outcome(closures, r));
      }),
      { numRuns: 300 },
    );
  });

  it('a wide mapping rejecting readings, with booleans, scales and epoch times', () => {
    const wide = parseMapping(
      `name: t_wide
recognise: { csv: { columns: [Site, Time], optional: [A, On, P] } }
shape: { kind: csv }
missing: ['', 'NA']
reject: reading
timestamp: { from: Time, format: epoch_s }
site: { substation_id: Site, asset_id: { template: '{Site}#x' } }
readings:
  - { from: A, unit: A }
  - { from: On, unit: count, boolean: true }
  - { from: P, unit: kW, scale: 0.001 }
`,
      'wide.yaml',
    );
    const header = ['P', 'Site', 'Time', 'On', 'A'];
    const cells = [
      values,
      ['s1', '', 'NA', ' s2 '],
      ['1723647600', '1723647600.5', 'x', '', '-1e20'],
      ['true', 'FALSE', 'yes', '', '1'],
      values,
    ];
    const { generated, closures } = both(wide, header);
    fc.assert(
      fc.property(rows(cells), (rs) => {
        for (const r of rs) expect(outcome(generated, r)).toEqual(outcome(closures, r));
      }),
      { numRuns: 300 },
    );
  });

  it('JSON records (a built-in JSON mapping), read by path', () => {
    const loaded = builtin('energy_json');
    const generated = compileMapping(loaded).forRecords(jsonAccessor());
    const closures = compileMapping(loaded, { closuresOnly: true }).forRecords(jsonAccessor());
    const record = fc.record(
      {
        site_id: fc.oneof(fc.constantFrom('s1', '', 'NA', ' s2 '), fc.integer()),
        timestamp: fc.constantFrom(...times),
        energy_generated_kwh: fc.oneof(fc.double({ noNaN: true }), fc.constantFrom('1.5', 'null', null, true)),
        energy_consumed_kwh: fc.oneof(fc.double({ noNaN: true }), fc.constantFrom('2', '', 'x')),
      },
      { requiredKeys: ['timestamp'] },
    );
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), (records) => {
        for (const r of records) expect(outcome(generated, r)).toEqual(outcome(closures, r));
      }),
      { numRuns: 200 },
    );
  });

  it('JSON numbers read as numbers: numeric missing tokens, -0, scales, bounds and rejected readings', () => {
    const loaded = parseMapping(
      `name: t_json_numbers
recognise: { json: { paths: [site, t] } }
shape: { kind: json, records: $ }
missing: ['', 'NA', '-999', '0.0']
reject: reading
timestamp: { from: t, zone: UTC }
site: { substation_id: { path: site, required: true } }
readings:
  - { from: p_mw, measurement: active_power, unit: kW, scale: 1000 }
  - { from: amps, unit: A }
`,
      'numbers.yaml',
    );
    const generated = compileMapping(loaded).forRecords(jsonAccessor());
    const closures = compileMapping(loaded, { closuresOnly: true }).forRecords(jsonAccessor());
    const figure = fc.oneof(
      fc.constantFrom(-999, 0, -0, 1e20, -3, 0.5, 12.25, '-999', '0.0', 'NA', '', ' 7 ', 'x', null, true),
      fc.double({ noNaN: true }),
    );
    const record = fc.record(
      { site: fc.constantFrom('s1', ' s2 ', '', 7), t: fc.constantFrom(...times), p_mw: figure, amps: figure },
      { requiredKeys: ['t'] },
    );
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), (records) => {
        for (const r of records) expect(outcome(generated, r)).toEqual(outcome(closures, r));
      }),
      { numRuns: 300 },
    );
  });
});

describe('the generated source', () => {
  it('holds no text from the mapping: its own code, integers and constant references only', () => {
    const hostile = '\'"`${process.exit(1)}`*/\n})();// \\u0000';
    const plain = hostile.replace(/[{}]/g, '');
    // JSON is YAML: the texts reach the mapping as they are
    const loaded = parseMapping(
      JSON.stringify({
        name: 't_hostile',
        recognise: { csv: { columns: [hostile, 'Time', 'Value'] } },
        shape: { kind: 'csv' },
        missing: ['', hostile],
        timestamp: { from: 'Time', zone: 'UTC' },
        vars: { v: { column: hostile, required: hostile } },
        branches: [
          { if: { field: { var: 'v' }, equals: [hostile] }, reject: { reason: 'invalid_field', message: hostile } },
        ],
        site: { substation_id: { template: `{v}${plain}` }, substation_name: { const: hostile } },
        reading: {
          measurement: { const: 'l1_current' },
          unit: { const: 'A' },
          value: { from: { column: 'Value', label: hostile } },
        },
      }),
      'hostile.json',
    );
    const mapper = compileMapping(loaded).forHeader([hostile, 'Time', 'Value']);
    // the mapper works, and its source is built from this module's text alone
    expect(mapper.map([' x ', '2025-01-01T00:00:00Z', '1'], () => undefined)?.message).toBeUndefined();
    const source = String(mapper.map);
    expect(source).toContain('function map(r, emit, rejectReading)');
    const literals = new Set(source.match(/'[^']*'/g));
    expect([...literals].sort()).toEqual(["''", "'number'", "'reason'", "'string'"].filter((l) => literals.has(l)));
    expect(source).not.toMatch(/["`]/);
    expect(source).not.toContain('process');
  });

  it('refuses anything but an integer where it writes a number', () => {
    expect(() =>
      rowSource({
        ctx: { vars: [], fail: undefined },
        token: undefined,
        tokenFirsts: undefined,
        vars: {
          slots: [0.5],
          exprs: [
            { kind: 3, at: -1, slot: 0.5, fold: 0, required: undefined, literals: [], parts: [], fn: () => undefined },
          ],
        },
        substationFirst: true,
        baseId: { id: undefined, label: 'x' },
        branches: [],
        baseSite: { substation: { id: undefined, label: 'x' }, feeder: undefined, name: undefined, asset: undefined },
        branchSites: [],
        shiftMs: 0,
        ts: { kind: 0, at: -1, slot: -1, fold: 0, required: undefined, literals: [], parts: [], fn: () => undefined },
        tsLabel: 'x',
        times: undefined,
        long: undefined,
        columns: [],
        missingNumbers: new Set(),
        rejectReading: false,
        withReference: false,
        sites: {
          get: () => {
            throw new Error('unused');
          },
        },
        helpers: {} as never,
      }),
    ).toThrow(/not an integer/);
  });
});
