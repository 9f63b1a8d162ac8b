import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestKeyOf, normaliseEtag, type Manifest } from '../../src/shared/manifest.ts';
import { quarantineKeyOf } from '../../src/shared/quarantine.ts';
import { expandInputs, IngestInputError } from '../../src/producers/ingest/inputs.ts';
import { firstReadingTime, rawKeyFor } from '../../src/producers/ingest/partition.ts';
import { totalsOf } from '../../src/producers/ingest/totals.ts';
import { decodeS3EventKey, encodeS3EventKey, isSplittableKey } from '../../src/shared/s3-keys.ts';
import { tempDir } from '../support/tmp.ts';
import { LV_HEADER } from './splitter.support.ts';

describe('raw zone keys', () => {
  it("partitions by the first reading's month, or puts a file under the prefix given", () => {
    expect(rawKeyFor('lv.csv', '2025-08-14T15:00:00.000Z')).toBe('raw/prod/lv/y=2025/m=08/lv.csv');
    expect(rawKeyFor('lv.csv.gz', '2024-01-01T00:00:00.000Z')).toBe('raw/prod/lv/y=2024/m=01/lv.csv.gz');
    expect(rawKeyFor('lv.csv', undefined)).toBe('raw/prod/lv/undated/lv.csv');
    expect(rawKeyFor('lv.csv', '2025-08-14T15:00:00.000Z', 'raw/test/')).toBe('raw/test/lv.csv');
    expect(rawKeyFor('lv.csv', undefined, 'raw/test')).toBe('raw/test/lv.csv');
  });

  it('names the manifest and quarantine objects after the source key', () => {
    expect(manifestKeyOf('raw/prod/lv/y=2025/m=08/lv.csv')).toBe('manifests/raw/prod/lv/y=2025/m=08/lv.csv.json');
    expect(quarantineKeyOf('raw/prod/lv/y=2025/m=08/lv.csv')).toBe('quarantine/raw/prod/lv/y=2025/m=08/lv.csv.jsonl');
    expect(normaliseEtag('"abc"')).toBe('abc');
  });

  it('takes raw CSVs only, and reads notification keys as S3 encodes them', () => {
    expect(isSplittableKey('raw/prod/lv/y=2025/m=08/a.csv')).toBe(true);
    expect(isSplittableKey('raw/a.csv.gz')).toBe(true);
    expect(isSplittableKey('raw/a.txt')).toBe(false);
    expect(isSplittableKey('quarantine/raw/a.csv')).toBe(false);
    const key = 'raw/prod/lv/y=2025/m=08/my file+1 (é).csv';
    expect(encodeS3EventKey(key)).toBe('raw/prod/lv/y%3D2025/m%3D08/my+file%2B1+(%C3%A9).csv');
    expect(decodeS3EventKey(encodeS3EventKey(key))).toBe(key);
  });
});

describe('ingest inputs', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    await writeFile(join(dir, 'lv.csv'), `${LV_HEADER}\nLV1,A,2025-08-14T15:00:00+01:00,feeder,05,L1 Current,A,1\n`);
    await writeFile(
      join(dir, 'a', 'lv2.csv.gz'),
      gzipSync(`${LV_HEADER}\nLV1,A,2024-02-29 23:30:00,feeder,05,L1 Current,A,1\n`),
    );
    await writeFile(
      join(dir, 'a', 'b', 'ssen.csv'),
      'dataset_id,dno_alias,secondary_substation_id,lv_feeder_id,total_consumption_active_import,data_collection_log_timestamp\n0002002004,SSEN,004,02,5,2024-03-01T00:30:00.000Z\n',
    );
    await writeFile(
      join(dir, 'a', 'b', 'ssen-midnight.csv'),
      'dataset_id,dno_alias,secondary_substation_id,lv_feeder_id,total_consumption_active_import,data_collection_log_timestamp\n0002002004,SSEN,004,02,5,2024-03-01T00:00:00.000Z\n',
    );
    await writeFile(join(dir, 'a', 'notes.txt'), 'not data');
    await writeFile(join(dir, 'unknown.csv'), 'a,b\n1,2\n');
    await writeFile(join(dir, 'empty.csv'), '');
  });
  afterAll(() => cleanup());

  it('walks directories for .csv and .csv.gz, in a stable order', async () => {
    const files = await expandInputs([dir]);
    expect(files.map((f) => f.path.slice(dir.length + 1))).toEqual([
      'a/b/ssen-midnight.csv',
      'a/b/ssen.csv',
      'a/lv2.csv.gz',
      'empty.csv',
      'lv.csv',
      'unknown.csv',
    ]);
    expect(files.find((f) => f.name === 'lv.csv')?.size).toBeGreaterThan(0);
  });

  it('refuses what the splitter would never see, and what does not exist', async () => {
    await expect(expandInputs([join(dir, 'a', 'notes.txt')])).rejects.toBeInstanceOf(IngestInputError);
    await expect(expandInputs([join(dir, 'nope.csv')])).rejects.toThrow(/no such file/);
  });

  it("reads the first reading's time as the splitter will: offsets, gzip, zones, period starts", async () => {
    expect(await firstReadingTime(join(dir, 'lv.csv'))).toBe('2025-08-14T14:00:00.000Z');
    expect(await firstReadingTime(join(dir, 'a', 'lv2.csv.gz'))).toBe('2024-02-29T23:30:00.000Z');
    expect(await firstReadingTime(join(dir, 'a', 'lv2.csv.gz'), 'Europe/London')).toBe('2024-02-29T23:30:00.000Z');
    expect(await firstReadingTime(join(dir, 'a', 'b', 'ssen.csv'))).toBe('2024-03-01T00:00:00.000Z');
    // SSEN's midnight label ends the last half-hour of February
    expect(await firstReadingTime(join(dir, 'a', 'b', 'ssen-midnight.csv'))).toBe('2024-02-29T23:30:00.000Z');
    expect(await firstReadingTime(join(dir, 'unknown.csv'))).toBeUndefined();
    expect(await firstReadingTime(join(dir, 'empty.csv'))).toBeUndefined();
  });

  it("routes JSON documents and JSON Lines (gzipped too) by their first reading's month, as the splitter reads them", async () => {
    // the owner's fixtures: energy records at 2025-02-19T23:15 (UTC, zone-less); telemetry recorded 2025-08-14 15:00 (UTC)
    expect(await firstReadingTime('test/fixtures/sources/energy-sites.json')).toBe('2025-02-19T23:15:00.000Z');
    expect(await firstReadingTime('test/fixtures/sources/vehicle-telemetry.ndjson')).toBe('2025-08-14T15:00:00.000Z');
    // a first record the mapping rejects (no site) does not decide; the next one does
    const energy = (site: string, ts: string) =>
      JSON.stringify({ site_id: site, timestamp: ts, energy_generated_kwh: 1, energy_consumed_kwh: 2 });
    const doc = join(dir, 'energy.json');
    await writeFile(doc, `[${energy('', '2025-01-31T23:45:00')}, ${energy('s1', '2025-03-01T00:00:00')}]`);
    expect(await firstReadingTime(doc)).toBe('2025-03-01T00:00:00.000Z');
    const lines = join(dir, 'energy.jsonl.gz');
    await writeFile(lines, gzipSync(`not json\n${energy('s1', '2024-12-31T23:30:00')}\n`));
    const telemetry = join(dir, 'telemetry.ndjson.gz');
    await writeFile(telemetry, gzipSync(await readFile('test/fixtures/sources/vehicle-telemetry.ndjson')));
    expect(await firstReadingTime(telemetry)).toBe('2025-08-14T15:00:00.000Z');
    // no JSON Lines mapping takes energy records: undated, as the splitter will quarantine them unknown_format
    expect(await firstReadingTime(lines)).toBeUndefined();
    const unknown = join(dir, 'other.json');
    await writeFile(unknown, '[{"a": 1}]');
    expect(rawKeyFor('other.json', await firstReadingTime(unknown))).toBe('raw/prod/lv/undated/other.json');
  });

  it('takes the first row that yields a reading when the rows above it are rejected', async () => {
    const path = join(dir, 'bad-first.csv');
    await writeFile(
      path,
      `${LV_HEADER}\nLV1,A,yesterday,feeder,05,L1 Current,A,1\nLV1,A,2025-08-14T15:00:00Z,feeder,05,L1 Current,A,high\nLV1,A,2025-09-02T10:00:00Z,feeder,05,L1 Current,A,1\n`,
    );
    expect(await firstReadingTime(path)).toBe('2025-09-02T10:00:00.000Z');
    expect(rawKeyFor('bad-first.csv', await firstReadingTime(path))).toBe('raw/prod/lv/y=2025/m=09/bad-first.csv');
  });
});

describe('ingest totals', () => {
  it('sums the manifests', () => {
    const m = (rows: number, q: Record<string, number>, records: number): Manifest =>
      ({
        rows_read: rows,
        rows_accepted: rows - Object.values(q).reduce((a, b) => a + b, 0),
        rows_quarantined: Object.values(q).reduce((a, b) => a + b, 0),
        quarantine_reasons: q,
        events_emitted: rows * 2,
        stopped_early: null,
        kinesis: { records, put_payload_units: records * 2, billed_bytes_on_demand: records * 1024 },
      }) as unknown as Manifest;
    expect(totalsOf([m(10, { non_numeric: 2 }, 3), m(5, { non_numeric: 1, bad_timestamp: 1 }, 1)])).toEqual({
      files: 2,
      rows_read: 15,
      rows_accepted: 11,
      rows_quarantined: 4,
      quarantine_reasons: { non_numeric: 3, bad_timestamp: 1 },
      events_emitted: 30,
      kinesis_records: 4,
      put_payload_units: 8,
      billed_bytes_on_demand: 4096,
      files_stopped_early: 0,
    });
  });
});
