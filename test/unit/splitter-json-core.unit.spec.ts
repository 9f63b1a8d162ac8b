import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileMapping } from '../../src/producers/splitter/mapping/compile.ts';
import { builtinMappingSet, MappingSet } from '../../src/producers/splitter/mapping/set.ts';
import { parseMapping } from '../../src/shared/sources/load.ts';
import { reasonsByLine, run, type RunOptions } from './splitter.support.ts';

const FIXTURES = new URL('../fixtures/sources/', import.meta.url);
const ENERGY = readFileSync(new URL('energy-sites.json', FIXTURES));
const TELEMETRY = readFileSync(new URL('vehicle-telemetry.ndjson', FIXTURES));
const BUILTIN = builtinMappingSet();
const json: RunOptions = { shape: 'json', mappings: BUILTIN, units: BUILTIN.units };
const ndjson: RunOptions = { shape: 'ndjson', mappings: BUILTIN, units: BUILTIN.units };

describe('splitter core: JSON documents through a mapping (seed 003, energy per site)', () => {
  it('turns each site record into its generation and consumption in Wh, the negative one passed on for the anomaly rules', async () => {
    const { summary, events, entries } = await run(ENERGY, json);
    expect(summary).toMatchObject({
      format: 'energy_json',
      header: null,
      rows_read: 6,
      rows_accepted: 5,
      rows_quarantined: 1,
      quarantine_reasons: { missing_field: 1 },
      events_emitted: 10,
      first_reading_ts: '2025-02-19T23:15:00.000Z',
      last_reading_ts: '2025-02-19T23:45:00.000Z',
    });
    const anomaly = events.filter((e) => e.asset_id === 'test-site-123');
    expect(anomaly.map((e) => [e.measurement, e.unit, e.value, e.ts, e.source_line, e.feeder_id])).toEqual([
      ['energy_generated', 'Wh', -50_000, '2025-02-19T23:45:00.000Z', 26, ''],
      ['energy_consumed', 'Wh', 100_000, '2025-02-19T23:45:00.000Z', 26, ''],
    ]);
    expect(events.find((e) => e.asset_id === 'site-north-01' && e.measurement === 'energy_consumed')).toMatchObject({
      substation_id: 'site-north-01',
      value: 180_250,
      source_line: 2,
    });
    // the owner's "MISSING FIELD" record: quarantined where it starts, not skipped
    expect(reasonsByLine(entries)).toEqual({ 32: 'missing_field' });
    expect(entries[0]?.raw).toContain('"site_id": null');
  });

  it('gives the same events whatever the chunk boundaries, gzipped or not', async () => {
    const whole = await run(ENERGY, json);
    for (const options of [{ chunkSize: 1 }, { chunkSize: 7 }, { gzip: true, chunkSize: 64 }]) {
      const again = await run(ENERGY, { ...json, ...options });
      expect(again.events).toEqual(whole.events);
      expect(again.summary.event_id_digest).toBe(whole.summary.event_id_digest);
    }
  });

  it('reads records at a path with document metadata ($doc), nested fields flattened by path', async () => {
    const mapping = compileMapping(
      parseMapping(
        `
name: meters_doc
recognise: { json: { paths: [meter.serial, reading.kwh] } }
shape: { kind: json, records: payload.values }
timestamp: { from: reading.at }
site:
  substation_id: { path: $doc.site.id }
  substation_name: { path: $doc.site.name }
  feeder_id: meter.serial
reading:
  measurement: { const: energy_import }
  unit: { const: Wh }
  value: { from: reading.kwh, scale: 1000 }
`,
        'test',
      ),
    );
    const doc = {
      site: { id: 'S-7', name: 'Mill Lane' },
      payload: {
        unit: 'kWh',
        values: [
          { meter: { serial: 'M1' }, reading: { at: '2025-03-01T00:00:00Z', kwh: 1.25 } },
          { meter: { serial: 'M2' }, reading: { at: '2025-03-01T00:00:00Z', kwh: 'n/a' } },
        ],
      },
    };
    const { summary, events, entries } = await run(JSON.stringify(doc, null, 2), {
      shape: 'json',
      mappings: new MappingSet([mapping], mapping.units),
    });
    expect(summary).toMatchObject({ format: 'meters_doc', rows_read: 2, rows_accepted: 1, events_emitted: 1 });
    expect(events[0]).toMatchObject({
      asset_id: 'S-7:M1',
      substation_id: 'S-7',
      substation_name: 'Mill Lane',
      feeder_id: 'M1',
      measurement: 'energy_import',
      value: 1250,
      source_line: 9,
    });
    expect(entries.map((e) => [e.line, e.reason])).toEqual([[18, 'non_numeric']]);
  });

  it('stops on a document cut short, keeping what came before, and names a document without records', async () => {
    const cut = await run(ENERGY.subarray(0, 420), json);
    expect(cut.summary.events_emitted).toBe(4);
    expect(cut.summary.stopped_early).toMatchObject({ reason: 'invalid_json', line: null });
    expect(cut.summary.rows_read).toBe(cut.summary.rows_accepted + cut.summary.rows_quarantined);

    const other = await run('{"site": "x", "data": [{"a": 1}]}', json);
    expect(other.summary).toMatchObject({ format: 'unknown', rows_read: 0, events_emitted: 0 });
    expect(other.entries.map((e) => [e.reason, e.line])).toEqual([['unknown_format', null]]);
  });
});

describe('splitter core: JSON Lines through a mapping (seed 004, vehicle telemetry)', () => {
  it('reads each declared signal of a delivery as a reading, JSON-string bodies parsed, booleans as 1/0', async () => {
    const { summary, events, entries } = await run(TELEMETRY, ndjson);
    expect(summary).toMatchObject({
      format: 'chargeminder_ndjson',
      rows_read: 5,
      rows_accepted: 4,
      rows_quarantined: 1,
      quarantine_reasons: { invalid_json: 1 },
      events_emitted: 7,
    });
    const first = events.filter((e) => e.source_line === 1);
    expect(first.map((e) => [e.asset_id, e.substation_name, e.measurement, e.unit, e.value, e.ts])).toEqual([
      ['veh-001', 'Tesla Model 3', 'charge_is_charging', 'bool', 1, '2025-08-14T15:00:00.000Z'],
      ['veh-001', 'Tesla Model 3', 'odometer_traveled_distance', 'km', 12345.67, '2025-08-14T15:00:00.000Z'],
    ]);
    // a delivery with one signal gives one reading; PreciseLocation is not declared, so not read
    expect(events.filter((e) => e.source_line === 5).map((e) => [e.measurement, e.value])).toEqual([
      ['charge_is_charging', 1],
    ]);
    expect(entries.map((e) => [e.line, e.reason])).toEqual([[4, 'invalid_json']]);
    expect(entries[0]?.message).toMatch(/^line 4 is not valid JSON: /);
  });

  it('quarantines a line over the limit as oversized_record and goes on with the next line', async () => {
    const lines = TELEMETRY.toString('utf8').split('\n');
    const long = `{"event_id":"x","pad":"${'p'.repeat(1_100_000)}"}`;
    const body = [lines[0], long, lines[2], ''].join('\n');
    const { summary, entries, events } = await run(body, { ...ndjson, chunkSize: 65_536 });
    expect(summary).toMatchObject({ rows_read: 3, rows_accepted: 2, stopped_early: null });
    expect(summary.quarantine_reasons).toEqual({ oversized_record: 1 });
    expect(entries[0]).toMatchObject({ line: 2, reason: 'oversized_record' });
    expect(entries[0]?.raw).toHaveLength(64 * 1024);
    expect(events.map((e) => e.source_line)).toEqual([1, 1, 3, 3]);
  });

  it('quarantines every record of a layout no mapping recognises, saying why', async () => {
    const { summary, entries } = await run('{"a": 1}\n{"a": 2}\n', ndjson);
    expect(summary).toMatchObject({ format: 'unknown', rows_read: 2, rows_quarantined: 2 });
    expect(entries.map((e) => e.reason)).toEqual(['unknown_format', 'unknown_format']);
    expect(entries[0]?.message).toBe(
      'no mapping takes the first record, whose keys are a (chargeminder_ndjson: the record lacks event_id, vehicle.id, signals)',
    );
  });
});
