/**
 * The splitter on the real embedded stack: files uploaded through the S3 client, the
 * service invoking the Lambda handler from s3rver's notifications, the stream read back
 * with the Kinesis client and de-aggregated, every event checked against its source row.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/index.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { splitterServiceFactory, SPLITTER_SERVICE, type LocalSplitter } from '../../src/local/services/splitter.ts';
import { eventIdOf, type ReadingEvent } from '../../src/shared/event.ts';
import { quarantineKeyOf } from '../../src/shared/quarantine.ts';
import { waitForManifests } from '../../src/producers/ingest/wait.ts';
import { S3QuarantineWriter } from '../../src/producers/splitter/quarantine-writer.ts';
import { tempDir } from '../support/tmp.ts';
import { eventually } from '../support/eventually.ts';
import {
  expectManifestInvariants,
  getManifest,
  getQuarantine,
  putRaw,
  readStream,
  type StreamRecordRead,
} from './splitter.support.ts';
import { NGED_HEAD } from '../support/shared-fixtures.ts';

const NGED = NGED_HEAD;
const KEYS = {
  generated: 'raw/prod/lv/y=2025/m=08/generated.csv',
  nged: 'raw/prod/lv/y=2024/m=01/nged head.csv',
  bad: 'raw/prod/lv/y=2025/m=08/bad-rows.csv',
};
const BAD = [
  'Substation Number,Substation Name,Timestamp,Attribute Type,Feeder ID,Description,Units,Value',
  'LV9,Nine,2025-08-14T15:00:00Z,feeder,01,L1 Voltage,V,239.5',
  'LV9,Nine,2025-08-14T15:00:00Z,feeder,01,L1 Voltage,V,NaN',
  'LV9,Nine,not a time,feeder,01,L1 Voltage,V,239',
  'LV9,Nine,2025-08-14T15:00:00Z,feeder,01,L1 Voltage,V,99999',
  'LV9,Nine,2025-08-14T15:00:00Z,feeder,01,L2 Voltage,V,-1',
  '',
].join('\r\n');

describe('splitter on the embedded stack', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let stack: EmbeddedStack;
  let generatedText: string;
  let etags: Record<keyof typeof KEYS, string>;
  let records: StreamRecordRead[];
  let events: ReadingEvent[];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    stack = await startStack({ dataDir: `${dir}/data`, services: [splitterServiceFactory] });
    const summary = await generate({ out: `${dir}/gen`, substations: 2, days: 1, start: '2025-08-14' });
    generatedText = readFileSync(summary.files[0]!.path, 'utf8');
    etags = {
      generated: await putRaw(stack.clients, KEYS.generated, generatedText),
      nged: await putRaw(stack.clients, KEYS.nged, readFileSync(NGED)),
      bad: await putRaw(stack.clients, KEYS.bad, BAD),
    };
    await waitForManifests(
      stack.clients.s3,
      stack.clients.names.bucket,
      Object.entries(KEYS).map(([k, key]) => ({ key, etag: etags[k as keyof typeof KEYS], bytes: 0 })),
      { timeoutMs: 60_000 },
    );
    records = await readStream(stack.clients);
    events = records.flatMap((r) => r.events);
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  const of = (key: string): ReadingEvent[] =>
    events
      .filter((e) => e.source_key === key)
      .sort((a, b) => a.source_line - b.source_line || a.measurement.localeCompare(b.measurement));

  it('puts one event per row of a generated LV monitor file on the stream, each matching its source row', async () => {
    const rows = parse(generatedText, { columns: true }) as Record<string, string>[];
    const got = of(KEYS.generated);
    expect(got).toHaveLength(rows.length);
    got.forEach((e, i) => {
      const row = rows[i] as Record<string, string>;
      const feeder = row['Attribute Type'] === 'feeder' ? (row['Feeder ID'] as string) : '';
      const asset = feeder ? `${row['Substation Number']}:${feeder}` : (row['Substation Number'] as string);
      const ts = new Date(row.Timestamp as string).toISOString();
      const measurement = (row.Description as string).toLowerCase().replace(/ /g, '_');
      expect(e).toMatchObject({
        source_line: i + 2,
        asset_id: asset,
        substation_id: row['Substation Number'],
        feeder_id: feeder,
        substation_name: row['Substation Name'],
        measurement,
        value: Number(row.Value),
        ts,
        source_etag: etags.generated,
      });
      expect(e.event_id).toBe(eventIdOf(asset, measurement, ts));
    });
  });

  it('turns the real NGED rows into one event per non-empty measure, every one matching its row', async () => {
    const rows = parse(readFileSync(NGED, 'utf8'), { columns: true }) as Record<string, string>[];
    const measures = Object.keys(rows[0] as object).filter((c) => /count|consumption/i.test(c));
    const expected = rows
      .flatMap((row, i) =>
        measures
          .filter((m) => row[m] !== '')
          .map((m) => ({
            source_line: i + 2,
            measurement: m.toLowerCase(),
            value: Number(row[m]),
            asset_id: `NGED-${row.secondary_substation_id}:${row.LV_feeder_ID}`,
            ts: new Date((row.data_collection_log_timestamp as string).replace(' ', 'T')).toISOString(),
          })),
      )
      .sort((a, b) => a.source_line - b.source_line || a.measurement.localeCompare(b.measurement));
    expect(
      of(KEYS.nged).map((e) => ({
        source_line: e.source_line,
        measurement: e.measurement,
        value: e.value,
        asset_id: e.asset_id,
        ts: e.ts,
      })),
    ).toEqual(expected);
    expect(expected).toHaveLength(50);
  });

  it('writes a manifest per object that adds up, and names the highest sequence number per shard', async () => {
    for (const [name, key] of Object.entries(KEYS)) {
      const m = (await getManifest(stack.clients, key))!;
      expectManifestInvariants(m);
      expect(m.source).toMatchObject({ key, etag: etags[name as keyof typeof KEYS] });
      expect(m.events_emitted).toBe(of(key).length);
      const mine = records.filter((r) => r.events[0]?.source_key === key);
      expect(m.kinesis.records).toBe(mine.length);
      const highest: Record<string, string> = {};
      for (const r of mine)
        if (!highest[r.shardId] || BigInt(r.sequenceNumber) > BigInt(highest[r.shardId]!))
          highest[r.shardId] = r.sequenceNumber;
      expect(m.kinesis.shards).toEqual(highest);
    }
    const nged = (await getManifest(stack.clients, KEYS.nged))!;
    expect(nged).toMatchObject({
      format: 'dno_wide',
      rows_read: 10,
      rows_accepted: 10,
      events_emitted: 50,
      first_reading_ts: '2024-01-01T00:00:00.000Z',
      last_reading_ts: '2024-01-01T04:30:00.000Z',
    });
  });

  it('quarantines the bad rows with their reasons, and passes the negative one on', async () => {
    const m = (await getManifest(stack.clients, KEYS.bad))!;
    expect(m).toMatchObject({
      rows_read: 5,
      rows_accepted: 2,
      rows_quarantined: 3,
      quarantine_reasons: { non_finite: 1, bad_timestamp: 1, out_of_bounds: 1 },
    });
    expect(m.quarantine.key).toBe(quarantineKeyOf(KEYS.bad));
    const entries = await getQuarantine(stack.clients, m.quarantine.key!);
    expect(entries.map((e) => [e.line, e.reason, e.raw])).toEqual([
      [3, 'non_finite', BAD.split('\r\n')[2]],
      [4, 'bad_timestamp', BAD.split('\r\n')[3]],
      [5, 'out_of_bounds', BAD.split('\r\n')[4]],
    ]);
    expect(of(KEYS.bad).map((e) => e.value)).toEqual([239.5, -1]);
  });

  it('streams a large quarantine file to S3 in parts', async () => {
    const key = 'quarantine/raw/prod/lv/y=2025/m=08/huge.csv.jsonl';
    // the real client, with the commands it sends noted
    const sent: string[] = [];
    const s3 = {
      send: (c: { constructor: { name: string } }) => (
        sent.push(c.constructor.name),
        stack.clients.s3.send(c as never)
      ),
    } as unknown as S3Client;
    const writer = new S3QuarantineWriter(s3, stack.clients.names.bucket, key, 5 * 1024 * 1024);
    const raw = 'x'.repeat(10_000);
    for (let line = 2; line < 1_202; line++) {
      writer.add({
        v: 1,
        stage: 'splitter',
        reason: 'unknown_format',
        message: 'm',
        source_bucket: 'b',
        source_key: 'raw/huge.csv',
        source_etag: 'e',
        line,
        raw,
        quarantined_at: '2025-01-01T00:00:00.000Z',
      });
      if (writer.needsDrain) await writer.drain();
    }
    expect(await writer.close()).toBe(key);
    const entries = await getQuarantine(stack.clients, key);
    expect(entries.map((e) => e.line)).toEqual(Array.from({ length: 1_200 }, (_, i) => i + 2));
    expect(entries.every((e) => e.raw === raw)).toBe(true);
    // how the 12 MB fall into parts depends on how fast each part goes up; at least two do
    expect(sent[0]).toBe('CreateMultipartUploadCommand');
    expect(sent.at(-1)).toBe('CompleteMultipartUploadCommand');
    expect(sent.filter((c) => c === 'UploadPartCommand').length).toBeGreaterThanOrEqual(2);
    expect(sent).not.toContain('PutObjectCommand');
  });

  it('gives the same event ids when the same object is uploaded again', async () => {
    const before = (await getManifest(stack.clients, KEYS.generated))!;
    const etag = await putRaw(stack.clients, KEYS.generated, generatedText);
    expect(etag).toBe(etags.generated);
    const after = await eventually(`the manifest of the second upload of ${KEYS.generated}`, async () => {
      const m = await getManifest(stack.clients, KEYS.generated);
      return m && m.ingested_at !== before.ingested_at ? m : undefined;
    });
    expect(after.event_id_digest).toBe(before.event_id_digest);
    const again = (await readStream(stack.clients))
      .flatMap((r) => r.events)
      .filter((e) => e.source_key === KEYS.generated && e.ingested_at === after.ingested_at);
    expect(again.map((e) => e.event_id).sort()).toEqual(
      of(KEYS.generated)
        .map((e) => e.event_id)
        .sort(),
    );
    await stack.service<LocalSplitter>(SPLITTER_SERVICE)!.waitIdle();
    expect(await stack.service<LocalSplitter>(SPLITTER_SERVICE)!.status()).toMatchObject({
      files_done: 4,
      files_failed: 0,
      in_flight: 0,
      queued: 0,
    });
  });
});
