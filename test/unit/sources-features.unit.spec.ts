/** The mapping engine feature by feature: small mappings over small files, each expectation worked by hand. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dryRunSplit, type DryRun } from '../../src/producers/splitter/mapping/dry-run.ts';
import { MappingSet } from '../../src/producers/splitter/mapping/set.ts';
import { parseMapping } from '../../src/shared/sources/load.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sources-features-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let files = 0;
/** Splits `body` (a file named `*.suffix`) with the mapping `yaml`, chosen by name. */
async function split(yaml: string, suffix: string, body: string, sourceTimeZone?: string): Promise<DryRun> {
  const loaded = parseMapping(yaml, 'test.yaml');
  const { set, rejected } = MappingSet.compile([loaded], { sourceTimeZone });
  expect(rejected.map((r) => r.error.message)).toEqual([]);
  const path = join(dir, `f${++files}.${suffix}`);
  await writeFile(path, body);
  const run = await dryRunSplit(path, { mappings: set, sourceName: loaded.mapping.name });
  const s = run.summary;
  // the accounting always adds up
  expect(s.rows_read).toBe(s.rows_accepted + s.rows_quarantined);
  return run;
}

const csvHead = (extra: string) => `name: t_map
recognise: { csv: { columns: [Site, Time, Value] } }
shape: { kind: csv }
timestamp: { from: Time, zone: UTC }
${extra}`;

const simple = (run: DryRun) => run.events.map((e) => [e.asset_id, e.measurement, e.phase, e.unit, e.value, e.ts]);
const reasons = (run: DryRun) => run.entries.map((e) => [e.line, e.reason, e.message]);

describe('field expressions', () => {
  it('reads a column by its header and a constant', async () => {
    const run = await split(
      csvHead(`site: { substation_id: Site, feeder_id: { const: '3' } }
reading: { measurement: { const: l1_current }, phase: { const: L1 }, unit: { const: A }, value: { from: Value } }
`),
      'csv',
      'Site,Time,Value\n100001,2025-01-01T00:00:00Z,12.5\n',
    );
    expect(simple(run)).toEqual([['100001:3', 'l1_current', 'L1', 'A', 12.5, '2025-01-01T00:00:00.000Z']]);
    expect(run.events[0]).toMatchObject({ substation_id: '100001', feeder_id: '3', source_line: 2 });
  });

  it('fills a template from variables first, then columns', async () => {
    const run = await split(
      csvHead(`vars:
  Site: { const: '999999' }
  pre: { const: 'S' }
site: { substation_id: { template: '{Site}' }, substation_name: { template: '{pre}-{Value}' } }
reading: { measurement: { const: l1_current }, unit: { const: A }, value: { from: Value } }
`),
      'csv',
      'Site,Time,Value\n100001,2025-01-01T00:00:00Z,7\n',
    );
    expect(run.events[0]).toMatchObject({ substation_id: '999999', substation_name: 'S-7', value: 7 });
  });

  it('takes a regex named capture and rejects an unmatched text with the mapping message', async () => {
    const run = await split(
      csvHead(`vars:
  number:
    regex: '^(?<n>\\d{6}) - '
    from: Site
    unmatched: { reason: invalid_field, message: 'Site {value} has no number' }
site: { substation_id: { var: number } }
reading: { measurement: { const: l1_current }, unit: { const: A }, value: { from: Value } }
`),
      'csv',
      'Site,Time,Value\n123456 - HIGH ST,2025-01-01T00:00:00Z,1\nHIGH ST,2025-01-01T00:00:00Z,2\n',
    );
    expect(simple(run)).toEqual([['123456', 'l1_current', null, 'A', 1, '2025-01-01T00:00:00.000Z']]);
    expect(reasons(run)).toEqual([[3, 'invalid_field', 'Site "HIGH ST" has no number']]);
  });

  it('applies trim, case and slice in order', async () => {
    const run = await split(
      csvHead(`site: { substation_id: { column: Site, case: upper, slice: [0, 3] } }
reading: { measurement: { const: l1_current }, unit: { const: A }, value: { from: Value } }
`),
      'csv',
      'Site,Time,Value\n  abcdef  ,2025-01-01T00:00:00Z,1\n',
    );
    expect(run.events[0]?.substation_id).toBe('ABC');
  });
});

describe('required fields', () => {
  it('rejects an empty required field with the mapping message, or its label', async () => {
    const run = await split(
      csvHead(`site: { substation_id: { column: Site, required: 'no site on this row' } }
reading: { measurement: { const: l1_current }, unit: { const: A }, value: { from: { column: Value, label: The reading } } }
`),
      'csv',
      'Site,Time,Value\n,2025-01-01T00:00:00Z,1\n1,2025-01-01T00:00:00Z,\n',
    );
    expect(reasons(run)).toEqual([
      [2, 'missing_field', 'no site on this row'],
      [3, 'missing_field', 'The reading is empty'],
    ]);
    expect(run.summary).toMatchObject({ rows_read: 2, rows_accepted: 0, rows_quarantined: 2, events_emitted: 0 });
  });
});

describe('lookups', () => {
  it('finds an entry by normalised key and rejects an unknown one', async () => {
    const run = await split(
      `name: t_map
recognise: { csv: { columns: [Site, Time, Channel, Value] } }
shape: { kind: csv }
timestamp: { from: Time, zone: UTC }
site: { substation_id: Site }
reading:
  measurement: { lookup: ch, from: Channel, get: measurement, unknown: { reason: invalid_field, message: 'Channel {value} unknown' } }
  phase: { lookup: ch, from: Channel, get: phase }
  unit: { lookup: ch, from: Channel, get: unit }
  value: { from: Value }
lookups:
  ch:
    entries:
      L1 Current: { measurement: l1_current, phase: L1, unit: A }
`,
      'csv',
      'Site,Time,Channel,Value\n100001,2025-01-01T00:00:00Z,  l1   CURRENT ,4\n100001,2025-01-01T00:00:00Z,L9 Power,5\n',
    );
    expect(simple(run)).toEqual([['100001', 'l1_current', 'L1', 'A', 4, '2025-01-01T00:00:00.000Z']]);
    expect(reasons(run)).toEqual([[3, 'invalid_field', 'Channel "L9 Power" unknown']]);
  });
});

describe('values and units', () => {
  const wide = (extra: string) => `name: t_map
recognise: { csv: { columns: [Site, Time] } }
shape: { kind: csv }
timestamp: { from: Time, zone: UTC }
site: { substation_id: Site }
${extra}`;

  it('scales MW into kW and reads booleans as 1/0 in wide readings', async () => {
    const run = await split(
      wide(`readings:
  - { from: P_MW, measurement: total_active_power, unit: kW, scale: 1000 }
  - { from: On, measurement: charge_is_charging, unit: onoff, boolean: true }
units:
  onoff: { max_abs: 1, why: a state }
`),
      'csv',
      'Site,Time,P_MW,On\n100001,2025-01-01T00:00:00Z,0.131,true\n100001,2025-01-01T00:30:00Z,2,false\n',
    );
    expect(simple(run)).toEqual([
      ['100001', 'total_active_power', null, 'kW', 131, '2025-01-01T00:00:00.000Z'],
      ['100001', 'charge_is_charging', null, 'onoff', 1, '2025-01-01T00:00:00.000Z'],
      ['100001', 'total_active_power', null, 'kW', 2000, '2025-01-01T00:30:00.000Z'],
      ['100001', 'charge_is_charging', null, 'onoff', 0, '2025-01-01T00:30:00.000Z'],
    ]);
  });

  it('converts the source unit into the reading unit and rejects any other as unit_mismatch', async () => {
    const run = await split(
      `name: t_map
recognise: { csv: { columns: [Site, Time, Value, Unit] } }
shape: { kind: csv }
timestamp: { from: Time, zone: UTC }
site: { substation_id: Site }
reading: { measurement: { const: total_active_power }, unit: { const: kW }, source_unit: { from: Unit }, value: { from: Value } }
`,
      'csv',
      'Site,Time,Value,Unit\n100001,2025-01-01T00:00:00Z,0.5,MW\n100001,2025-01-01T00:00:00Z,3,kW\n100001,2025-01-01T00:00:00Z,3,A\n',
    );
    expect(run.events.map((e) => [e.unit, e.value])).toEqual([
      ['kW', 500],
      ['kW', 3],
    ]);
    expect(run.entries.map((e) => [e.line, e.reason])).toEqual([[4, 'unit_mismatch']]);
    expect(run.entries[0]?.message).toContain('A');
  });

  it('treats missing tokens as no value, case-insensitive and trimmed', async () => {
    const run = await split(
      csvHead(`missing: ['', 'NA']
site: { substation_id: Site }
reading: { measurement: { const: l1_current }, unit: { const: A }, value: { from: Value } }
`),
      'csv',
      'Site,Time,Value\n100001,2025-01-01T00:00:00Z, na \n100001,2025-01-01T00:00:00Z,\n100001,2025-01-01T00:00:00Z,1\n',
    );
    expect(run.events.map((e) => e.value)).toEqual([1]);
    expect(run.summary).toMatchObject({ rows_read: 3, rows_accepted: 1, rows_quarantined: 2 });
    expect(run.entries.map((e) => [e.line, e.reason])).toEqual([
      [2, 'missing_field'],
      [3, 'missing_field'],
    ]);
  });
});

describe('timestamps', () => {
  const ts = (timestamp: string) => `name: t_map
recognise: { csv: { columns: [Site, Time, Value] } }
shape: { kind: csv }
timestamp: ${timestamp}
site: { substation_id: Site }
reading: { measurement: { const: l1_current }, unit: { const: A }, value: { from: Value } }
`;

  it('reads ISO forms with format auto: T or space, offset, fraction, no zone', async () => {
    const run = await split(
      ts('{ from: Time, zone: UTC }'),
      'csv',
      'Site,Time,Value\n1,2025-01-01 00:30,1\n1,2025-01-01T01:00:00+01:00,2\n1,2025-01-01T00:00:00.5Z,3\n',
    );
    expect(run.events.map((e) => e.ts)).toEqual([
      '2025-01-01T00:30:00.000Z',
      '2025-01-01T00:00:00.000Z',
      '2025-01-01T00:00:00.500Z',
    ]);
  });

  it('reads epoch seconds and epoch milliseconds', async () => {
    const s = await split(ts('{ from: Time, format: epoch_s }'), 'csv', 'Site,Time,Value\n1,1735689600,1\n');
    expect(s.events[0]?.ts).toBe('2025-01-01T00:00:00.000Z');
    const ms = await split(ts('{ from: Time, format: epoch_ms }'), 'csv', 'Site,Time,Value\n1,1735689600500,1\n');
    expect(ms.events[0]?.ts).toBe('2025-01-01T00:00:00.500Z');
  });

  it('reads local time in an IANA zone: summer offset, the repeated hour as the earlier instant, the skipped hour as bad_timestamp', async () => {
    const run = await split(
      ts('{ from: Time, zone: Europe/London }'),
      'csv',
      'Site,Time,Value\n1,2025-08-14 15:00,1\n1,2025-10-26 01:30,2\n1,2025-03-30 01:30,3\n1,2025-01-10 12:00,4\n',
    );
    expect(run.events.map((e) => [e.value, e.ts])).toEqual([
      [1, '2025-08-14T14:00:00.000Z'],
      // 01:30 happens twice on 26 Oct 2025: BST (00:30Z) first, then GMT (01:30Z)
      [2, '2025-10-26T00:30:00.000Z'],
      [4, '2025-01-10T12:00:00.000Z'],
    ]);
    expect(run.entries.map((e) => [e.line, e.reason])).toEqual([[4, 'bad_timestamp']]);
  });

  it('reads zone: source in the deployment zone', async () => {
    const run = await split(
      ts('{ from: Time, zone: source }'),
      'csv',
      'Site,Time,Value\n1,2025-07-01 12:00,1\n',
      'Europe/Berlin',
    );
    expect(run.events[0]?.ts).toBe('2025-07-01T10:00:00.000Z');
  });

  it('moves an end-labelled period back to its start', async () => {
    const run = await split(
      ts('{ from: Time, zone: UTC, label: end, period: 30m }'),
      'csv',
      'Site,Time,Value\n1,2025-01-01T00:30:00Z,1\n',
    );
    expect(run.events[0]?.ts).toBe('2025-01-01T00:00:00.000Z');
  });
});

describe('reject: row or reading', () => {
  const body = 'Site,Time,A1,A2\n100001,2025-01-01T00:00:00Z,1,x\n100001,2025-01-01T00:00:00Z,3,4\n';
  const mapping = (reject: string) => `name: t_map
recognise: { csv: { columns: [Site, Time, A1, A2] } }
shape: { kind: csv }
reject: ${reject}
timestamp: { from: Time, zone: UTC }
site: { substation_id: Site }
readings:
  - { from: A1, measurement: l1_current, unit: A, phase: L1 }
  - { from: A2, measurement: l2_current, unit: A, phase: L2 }
`;

  it('row: a bad reading rejects the whole row', async () => {
    const run = await split(mapping('row'), 'csv', body);
    expect(run.events.map((e) => [e.source_line, e.measurement, e.value])).toEqual([
      [3, 'l1_current', 3],
      [3, 'l2_current', 4],
    ]);
    expect(run.summary).toMatchObject({ rows_read: 2, rows_accepted: 1, rows_quarantined: 1, readings_quarantined: 0 });
    expect(reasons(run)).toEqual([[2, 'non_numeric', 'A2 "x" is not a decimal number']]);
  });

  it('reading: a bad reading costs only itself, its row still accepted', async () => {
    const run = await split(mapping('reading'), 'csv', body);
    expect(run.events.map((e) => [e.source_line, e.measurement, e.value])).toEqual([
      [2, 'l1_current', 1],
      [3, 'l1_current', 3],
      [3, 'l2_current', 4],
    ]);
    expect(run.summary).toMatchObject({ rows_read: 2, rows_accepted: 2, rows_quarantined: 0, readings_quarantined: 1 });
    expect(reasons(run)).toEqual([[2, 'non_numeric', 'A2 "x" is not a decimal number']]);
  });
});

describe('branches and rules', () => {
  it('takes the first branch whose if holds; require, forbid and reject say the mapping message with {value}', async () => {
    const run = await split(
      `name: t_map
recognise: { csv: { columns: [Site, Time, Type, Feeder, Value] } }
shape: { kind: csv }
timestamp: { from: Time, zone: UTC }
branches:
  - if: { field: Type, equals: [feeder] }
    require: [{ field: Feeder, message: Feeder is empty }]
    site: { feeder_id: Feeder }
  - if: { field: Type, matches: '^trans' }
    forbid: [{ field: Feeder, message: 'a transformer row carries Feeder {value}' }]
    site: { feeder_id: { const: '' } }
  - reject: { reason: invalid_field, message: 'Type {value} is neither' }
site: { substation_id: Site }
reading: { measurement: { const: l1_current }, unit: { const: A }, value: { from: Value } }
`,
      'csv',
      [
        'Site,Time,Type,Feeder,Value',
        '100001,2025-01-01T00:00:00Z,feeder,2,1',
        '100001,2025-01-01T00:00:00Z,transformer,,2',
        '100001,2025-01-01T00:00:00Z,feeder,,3',
        '100001,2025-01-01T00:00:00Z,transformer,4,4',
        '100001,2025-01-01T00:00:00Z,meter,,5',
        '',
      ].join('\n'),
    );
    expect(run.events.map((e) => [e.asset_id, e.value])).toEqual([
      ['100001:2', 1],
      ['100001', 2],
    ]);
    expect(reasons(run)).toEqual([
      [4, 'missing_field', 'Feeder is empty'],
      [5, 'invalid_field', 'a transformer row carries Feeder "4"'],
      [6, 'invalid_field', 'Type "meter" is neither'],
    ]);
    expect(run.summary).toMatchObject({ rows_read: 5, rows_accepted: 2, rows_quarantined: 3 });
  });
});

describe('JSON shapes', () => {
  it('reads a document: records by path, metadata by $doc., nested paths', async () => {
    const run = await split(
      `name: t_map
recognise: { json: { paths: [meta.site.id] } }
shape: { kind: json, records: data.values }
timestamp: { from: at, zone: UTC }
site: { substation_id: { path: $doc.site }, feeder_id: { path: meta.site.id } }
reading: { measurement: { const: l1_voltage }, unit: { const: V }, value: { from: { path: 'v[1]' } } }
`,
      'json',
      JSON.stringify({
        site: '200002',
        data: {
          values: [
            { meta: { site: { id: '5' } }, at: '2025-01-01T00:00:00Z', v: [0, 240.1] },
            { meta: { site: { id: '6' } }, at: '2025-01-01T00:30:00Z', v: [0, 239.5] },
          ],
        },
      }),
    );
    expect(simple(run)).toEqual([
      ['200002:5', 'l1_voltage', null, 'V', 240.1, '2025-01-01T00:00:00.000Z'],
      ['200002:6', 'l1_voltage', null, 'V', 239.5, '2025-01-01T00:30:00.000Z'],
    ]);
    expect(run.summary).toMatchObject({ rows_read: 2, rows_accepted: 2 });
  });

  it('reads NDJSON signals, each declared one a reading, the value inside a JSON string body', async () => {
    const line = (id: string, charging: unknown, km: number) =>
      JSON.stringify({
        vehicle: { id },
        recorded_at: '2025-01-01T00:00:00Z',
        signals: [
          { name: 'IsCharging', body: JSON.stringify({ value: charging }) },
          { name: 'Distance', body: JSON.stringify({ value: km }) },
          { name: 'Ignored', body: '{"value": 9}' },
        ],
      });
    const run = await split(
      `name: t_map
recognise: { json: { paths: [vehicle.id] } }
shape: { kind: ndjson }
reject: reading
timestamp: { from: recorded_at, zone: UTC }
site: { substation_id: { path: vehicle.id } }
signals:
  path: signals
  name: name
  value: body.value
  signals:
    IsCharging: { measurement: charge_is_charging, unit: onoff, boolean: true }
    Distance: { measurement: odometer, unit: mile, scale: 1 }
units:
  onoff: { max_abs: 1, why: a state }
  mile: { max_abs: 10000000, why: an odometer }
`,
      'ndjson',
      `${line('V1', true, 12.5)}\n${line('V2', 'maybe', 3)}\n`,
    );
    expect(simple(run)).toEqual([
      ['V1', 'charge_is_charging', null, 'onoff', 1, '2025-01-01T00:00:00.000Z'],
      ['V1', 'odometer', null, 'mile', 12.5, '2025-01-01T00:00:00.000Z'],
      ['V2', 'odometer', null, 'mile', 3, '2025-01-01T00:00:00.000Z'],
    ]);
    expect(run.summary).toMatchObject({ rows_read: 2, rows_accepted: 2, rows_quarantined: 0, readings_quarantined: 1 });
    expect(reasons(run)).toEqual([
      [2, 'non_numeric', 'signals[name=IsCharging].body.value "maybe" is not a decimal number'],
    ]);
  });
});
