/**
 * The lake on the real embedded stack: records on the stream (built as the splitter
 * builds them: `eventIdOf`, canonical times, KPL-aggregated per substation) → the local
 * Firehose → Parquet in the processed zone → `dubegrid query` / `report` in another
 * process, attached to the running stack.
 */
import { PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, paginateListObjectsV2, PutObjectCommand } from '@aws-sdk/client-s3';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../src/local/data-dir.ts';
import { CheckpointStore } from '../../src/shared/kinesis/checkpoints.ts';
import { createLocalFirehose, FIREHOSE_SERVICE } from '../../src/local/services/firehose.ts';
import { splitterServiceFactory } from '../../src/local/services/splitter.ts';
import { openSqlEngine } from '../../src/ops/query/open.ts';
import { rowObjects } from '../../src/ops/query/result.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { partitionOf, partitionOfKey } from '../../src/shared/glue.ts';
import { KeyedAggregator } from '../../src/shared/kpl.ts';
import { runCli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { feederInterval, reading } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';
import { LV_SAMPLE } from '../support/shared-fixtures.ts';
import { getManifest } from './splitter.support.ts';

// three substations, 10-minute readings either side of midnight 14/15 August
const events: ReadingEvent[] = [];
for (const [s, name] of [
  ['LV0001', 'Mill Road'],
  ['LV0002', "St John's Close"],
  ['LV0003', 'Quay, North'],
] as const) {
  for (let k = 0; k < 6; k++) {
    const ts = new Date(Date.parse('2025-08-14T23:30:00Z') + k * 600_000).toISOString();
    events.push(
      ...feederInterval(
        s,
        '01',
        ts,
        { kw: 10 + k + 0.123, kvar: 2.5, i: [40 + k, 41, 42], volts: [230.1, 231.2, 229.9] },
        name,
      ),
    );
    events.push(reading({ substation: s, name, measurement: 'total_apparent_power', ts, value: 33.3 + k }));
  }
}
const bad = ['{"truncated', JSON.stringify({ ...events[0], value: 'Infinity' })];

let dir: string;
let cleanup: () => Promise<void>;
let stack: EmbeddedStack | undefined;
const start = async (): Promise<EmbeddedStack> =>
  (stack = await startStack({
    dataDir: dir,
    services: [
      (ctx) => createLocalFirehose(ctx, { buffering: { sizeBytes: 1 << 20, intervalMs: 120_000 } }),
      splitterServiceFactory,
    ],
  }));

async function put(s: EmbeddedStack, payloads: readonly (ReadingEvent | string)[]): Promise<number> {
  const agg = new KeyedAggregator();
  const records = payloads.flatMap((p) =>
    agg.add(
      typeof p === 'string' ? 'LV0001' : p.substation_id,
      Buffer.from(typeof p === 'string' ? p : JSON.stringify(p)),
    ),
  );
  records.push(...agg.flush());
  const out = await s.clients.kinesis.send(
    new PutRecordsCommand({
      StreamName: s.clients.names.stream,
      Records: records.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
    }),
  );
  expect(out.FailedRecordCount ?? 0).toBe(0);
  return records.length;
}

async function keys(s: EmbeddedStack, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const page of paginateListObjectsV2(
    { client: s.clients.s3 },
    { Bucket: s.clients.names.bucket, Prefix: prefix },
  ))
    out.push(...(page.Contents ?? []).map((o) => o.Key as string));
  return out.sort();
}

async function query(
  sql: string,
): Promise<{ rows: Record<string, unknown>[]; mirror: { objects: number; fetched: number } }> {
  const run = await runCli(['query', '--json', '--data-dir', dir, sql]);
  expect(run.stderr).not.toMatch(/Error|at /);
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('dubegrid-lake-int-'));
  await start();
});
afterAll(async () => {
  await stack?.stop();
  await cleanup();
});

describe('the local Firehose', () => {
  /** Objects the last query mirrored (0 until one ran). */
  let mirrored = 0;
  // The first delivery, done once by whichever test asks first, so each test also runs alone (`-t`).
  let firstDelivery: Promise<number> | undefined;
  const delivered = (): Promise<number> =>
    (firstDelivery ??= (async () => {
      const s = stack as EmbeddedStack;
      const records = await put(s, [...events, ...bad]);
      await s.flush();
      return records;
    })());

  it('delivers every reading as Parquet into its own day’s partition, and failures to processed-errors', async () => {
    const s = stack as EmbeddedStack;
    const recordsPut = await delivered();

    const objects = await keys(s, 'processed/readings/');
    const days = new Set(objects.map((k) => partitionOfKey(k)?.d));
    expect(days).toEqual(new Set(['14', '15']));
    expect(objects.every((k) => k.endsWith('.parquet'))).toBe(true);

    const errorKeys = await keys(s, 'processed-errors/format-conversion-failed/');
    expect(errorKeys).toHaveLength(1);
    const body = await (
      await s.clients.s3.send(new GetObjectCommand({ Bucket: s.clients.names.bucket, Key: errorKeys[0] }))
    ).Body?.transformToString();
    const lines = (body ?? '')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.lastErrorCode).sort()).toEqual([
      'DataFormatConversion.InvalidSchema',
      'DataFormatConversion.MalformedData',
    ]);
    expect(lines.find((l) => l.lastErrorCode === 'DataFormatConversion.InvalidSchema').lastErrorMessage).toMatch(
      /value: must be a finite number/,
    );

    // its own checkpoint covers every record, written after the objects
    const cps = await new CheckpointStore(dataPaths(dir).checkpoints, FIREHOSE_SERVICE).all();
    expect([...cps.values()].reduce((n, c) => n + c.records, 0)).toBe(recordsPut);
    const status = await s.status();
    expect(status.firehose).toMatchObject({ readings: events.length, errors: 2, rows_written: events.length });
  });

  it('round-trips every value and time exactly; one row per event (queried from another process)', async () => {
    await delivered();
    const out = await query('SELECT *, CAST(ts AS VARCHAR) AS ts_text FROM readings ORDER BY event_id');
    expect(out.rows).toHaveLength(new Set(events.map((e) => e.event_id)).size);
    const byId = new Map(events.map((e) => [e.event_id, e]));
    for (const row of out.rows) {
      const e = byId.get(row.event_id as string) as ReadingEvent;
      const { y, m, d, ts_text, ...fields } = row;
      expect(fields).toEqual(e);
      expect({ y, m, d }).toEqual(partitionOf(e.ts));
      expect(ts_text).toBe(e.ts.replace('T', ' ').replace('.000Z', ''));
    }
    expect(out.mirror.fetched).toBe(out.mirror.objects);
    mirrored = out.mirror.objects;
  });

  it('absorbs re-delivery: a replay and a crash before the checkpoint add rows, not readings', async () => {
    await delivered();
    let s = stack as EmbeddedStack;
    await put(s, events.slice(0, 40)); // a replay of part of the stream
    await s.flush();
    // a crash after writing but before checkpointing: the next run re-reads everything
    await s.stop();
    stack = undefined;
    await rm(join(dataPaths(dir).checkpoints, FIREHOSE_SERVICE), { recursive: true, force: true });
    s = await start();
    await s.flush();

    const counts = await query(
      'SELECT (SELECT count(*) FROM readings_delivered) AS delivered, (SELECT count(*) FROM readings) AS readings, (SELECT count(DISTINCT event_id) FROM readings) AS ids',
    );
    // first delivery, the 40 replayed (a flush of their own), then everything again after the
    // "crash" — where the replayed 40 share a buffer with their originals and are kept once
    expect(counts.rows[0]).toEqual({
      delivered: events.length + 40 + events.length,
      readings: events.length,
      ids: events.length,
    });
    // the mirror fetched only the objects written since the last query, then nothing
    expect(counts.mirror.objects).toBeGreaterThan(mirrored);
    expect(counts.mirror.fetched).toBe(counts.mirror.objects - mirrored);
    const again = await query('SELECT count(*) AS n FROM readings');
    expect(again.mirror.fetched).toBe(0);
  });

  it('puts an ingested CSV, through the splitter, into the lake: every row, value and time as in the file', async () => {
    const s = stack as EmbeddedStack;
    const csv = await readFile(LV_SAMPLE, 'utf8');
    const key = 'raw/prod/lv/y=2025/m=08/lv-monitor-sample.csv';
    await s.clients.s3.send(new PutObjectCommand({ Bucket: s.clients.names.bucket, Key: key, Body: csv }));
    await eventually(`the manifest of ${key}`, () => getManifest(s.clients, key));
    await s.flush();
    const { engine } = await openSqlEngine(s.clients, dataPaths(dir).cache);
    try {
      const lake = rowObjects(
        await engine.run(
          'SELECT substation_id, feeder_id, measurement, value, ts, source_line FROM readings WHERE source_key = ? ORDER BY source_line',
          [key],
        ),
      );
      const rows = csv
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(','));
      expect(lake).toHaveLength(rows.length);
      lake.forEach((r, i) => {
        const [sub, , time, , feeder, , , value] = rows[i] as string[];
        expect(r).toMatchObject({
          substation_id: sub,
          feeder_id: feeder,
          value: Number(value),
          ts: new Date(time as string).toISOString(),
          source_line: i + 2,
        });
      });
    } finally {
      await engine.close();
    }
  });
});
