import { DuckDBInstance } from '@duckdb/node-api';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONVERSION_ERRORS } from '../../src/lake/convert.ts';
import {
  DEAGGREGATION_ERROR,
  ERROR_OUTPUT_TYPES,
  LakeDelivery,
  type ErrorRecord,
  type ObjectSink,
  type SourceRecord,
} from '../../src/lake/delivery.ts';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { KeyedAggregator } from '../../src/shared/kpl.ts';
import { BUILTIN_UNITS } from '../../src/shared/units.ts';
import { reading } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

let writer: DuckDbParquetWriter;
let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  writer = await DuckDbParquetWriter.open();
  ({ dir, cleanup } = await tempDir('dubegrid-lake-unit-'));
});
afterAll(async () => {
  await writer.close();
  await cleanup();
});

class MemorySink implements ObjectSink {
  readonly objects = new Map<string, Buffer>();
  failNext = 0;
  async put(key: string, body: Buffer): Promise<void> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('SlowDown: the store is unavailable');
    }
    this.objects.set(key, body);
  }
  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}

let seq = 1000;
/** KPL-aggregated Kinesis records for one partition key, as the splitter sends them. */
function aggregated(
  key: string,
  payloads: readonly (ReadingEvent | string)[],
  arrival = new Date('2025-09-01T12:00:00Z'),
): SourceRecord[] {
  const agg = new KeyedAggregator();
  const out = payloads.flatMap((p) => agg.add(key, Buffer.from(typeof p === 'string' ? p : JSON.stringify(p))));
  return [...out, ...agg.flush()].map((r) => ({
    sequenceNumber: String(++seq),
    partitionKey: r.partitionKey,
    data: r.data,
    arrival,
  }));
}

async function readParquet(body: Buffer): Promise<Record<string, unknown>[]> {
  const file = join(dir, `read-${++seq}.parquet`);
  await writeFile(file, body);
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const r = await c.runAndReadAll(`SELECT *, typeof(ts) AS ts_type FROM read_parquet('${file}') ORDER BY event_id`);
  const rows = r.getRowObjectsJS() as Record<string, unknown>[];
  c.closeSync();
  db.closeSync();
  return rows;
}

const day1 = [0, 10, 20].map((min) =>
  reading({
    substation: 'LV1',
    feeder: '01',
    measurement: 'total_active_power',
    ts: `2025-08-14T23:${min + 10}:00.000Z`,
    value: min + 0.25,
  }),
);
const day2 = [
  reading({ substation: 'LV1', feeder: '01', measurement: 'l1_voltage', ts: '2025-08-15T00:00:00.000Z', value: 239.7 }),
];

describe('lake delivery core', () => {
  it('de-aggregates, converts, partitions by the reading’s own date and writes one Parquet object per partition', async () => {
    const sink = new MemorySink();
    const d = new LakeDelivery({ writer, sink, buffering: { sizeBytes: 1 << 20, intervalMs: 60_000 } });
    const records = aggregated('LV1', [...day1, ...day2]);
    expect(records).toHaveLength(1);
    expect(d.accept('shardId-000000000000', records)).toEqual({ records: 1, readings: 4, errors: 0 });

    const out = await d.flushAll();
    expect(out.failures).toEqual([]);
    expect(sink.keys()).toHaveLength(2);
    const [k14, k15] = sink.keys();
    expect(k14).toMatch(
      /^processed\/readings\/y=2025\/m=08\/d=14\/dubegrid-lake-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.parquet$/,
    );
    expect(k15).toMatch(/^processed\/readings\/y=2025\/m=08\/d=15\//);
    const rows = await readParquet(sink.objects.get(k14 as string) as Buffer);
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      const e = day1.find((x) => x.event_id === row.event_id) as ReadingEvent;
      expect((row.ts as Date).toISOString()).toBe(e.ts);
      expect(row.value).toBe(e.value);
      expect(row.ts_type).toBe('TIMESTAMP');
      expect({ ...row, ts: e.ts, ts_type: undefined }).toEqual({ ...e, ts_type: undefined });
    }
    // everything written: the one record is safe to checkpoint
    expect(out.commits).toEqual([
      { shardId: 'shardId-000000000000', sequenceNumber: records[0]?.sequenceNumber, records: 1 },
    ]);
  });

  it('sends records that fail conversion to processed-errors with the reason, and keeps the good readings around them', async () => {
    const sink = new MemorySink();
    const d = new LakeDelivery({ writer, sink, buffering: { sizeBytes: 1 << 20, intervalMs: 60_000 } });
    const bad = { ...(day1[0] as ReadingEvent), value: 'NaN' };
    const records = aggregated('LV1', [
      day1[1] as ReadingEvent,
      '{"not json',
      JSON.stringify(bad),
      day1[2] as ReadingEvent,
    ]);
    // a KPL aggregate whose checksum no longer matches its body
    const [intact] = aggregated('LV1', [day2[0] as ReadingEvent]);
    const damaged = Buffer.from(intact?.data ?? []);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] as number) ^ 0xff;
    const corrupt: SourceRecord = {
      sequenceNumber: String(++seq),
      partitionKey: 'LV1',
      data: damaged,
      arrival: new Date('2025-09-02T01:00:00Z'),
    };
    expect(d.accept('s', [...records, corrupt])).toEqual({ records: 2, readings: 2, errors: 3 });
    await d.flushAll();

    const conv = sink.keys(`processed-errors/${ERROR_OUTPUT_TYPES.conversion}/y=2025/m=09/d=01/`);
    expect(conv).toHaveLength(1);
    const lines = (sink.objects.get(conv[0] as string) as Buffer)
      .toString()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ErrorRecord);
    expect(lines.map((l) => l.lastErrorCode)).toEqual([CONVERSION_ERRORS.malformed, CONVERSION_ERRORS.schema]);
    expect(lines[0]?.lastErrorMessage).toMatch(/not valid JSON/);
    expect(lines[1]?.lastErrorMessage).toMatch(/value: must be a finite number, got "NaN"/);
    expect(Buffer.from(lines[0]?.rawData ?? '', 'base64').toString()).toBe('{"not json');
    expect(lines[1]).toMatchObject({
      shardId: 's',
      partitionKey: 'LV1',
      subSequenceNumber: 2,
      dataCatalogTable: { databaseName: 'dubegrid', tableName: 'readings_delivered' },
    });

    const proc = sink.keys(`processed-errors/${ERROR_OUTPUT_TYPES.processing}/y=2025/m=09/d=02/`);
    expect(proc).toHaveLength(1);
    const procLine = JSON.parse((sink.objects.get(proc[0] as string) as Buffer).toString()) as ErrorRecord;
    expect(procLine.lastErrorCode).toBe(DEAGGREGATION_ERROR);
    expect(procLine.lastErrorMessage).toMatch(/Invalid record checksum/);
    expect(Buffer.from(procLine.rawData, 'base64').equals(damaged)).toBe(true);

    const good = sink.keys('processed/readings/');
    expect(good).toHaveLength(1);
    expect((await readParquet(sink.objects.get(good[0] as string) as Buffer)).map((r) => r.value).sort()).toEqual([
      10.25, 20.25,
    ]);
  });

  it('flushes a partition by size and by age, and checkpoints only past records whose every partition is written', async () => {
    let now = 0;
    const sink = new MemorySink();
    const d = new LakeDelivery({ writer, sink, buffering: { sizeBytes: 2_000, intervalMs: 1_000 }, now: () => now });
    // record A spans two days; record B only the second
    const a = aggregated('LV1', [day1[0] as ReadingEvent, day2[0] as ReadingEvent]);
    const b = aggregated('LV1', [
      reading({
        substation: 'LV1',
        feeder: '01',
        measurement: 'l2_voltage',
        ts: '2025-08-15T00:00:00.000Z',
        value: 240,
      }),
    ]);
    d.accept('s', [...a, ...b]);
    expect(d.hasDue()).toBe(false);

    // d=14 fills up: written alone; A is still partly buffered (d=15), so nothing is committed
    const filler = Array.from({ length: 6 }, (_, i) =>
      reading({
        substation: 'LV1',
        feeder: '01',
        measurement: 'l1_current',
        ts: `2025-08-14T0${i}:00:00.000Z`,
        value: i,
      }),
    );
    const c = aggregated('LV1', filler);
    d.accept('s', c);
    expect(d.hasDue()).toBe(true);
    const first = await d.flushDue();
    expect(first.objects.map((o) => o.key.slice(0, 36))).toEqual(['processed/readings/y=2025/m=08/d=14/']);
    expect(first.commits).toEqual([]);
    expect(d.outstanding('s')).toBe(3);

    // d=15 ages out: A, B and C are now all written
    now = 1_000;
    expect(d.hasDue()).toBe(true);
    const second = await d.flushDue();
    expect(second.objects.map((o) => o.key.slice(0, 36))).toEqual(['processed/readings/y=2025/m=08/d=15/']);
    expect(second.commits).toEqual([{ shardId: 's', sequenceNumber: c[0]?.sequenceNumber, records: 3 }]);
    expect(d.outstanding('s')).toBe(0);
  });

  it('keeps a buffer that could not be written and commits nothing until it is', async () => {
    const sink = new MemorySink();
    const d = new LakeDelivery({ writer, sink, buffering: { sizeBytes: 1 << 20, intervalMs: 60_000 } });
    const recs = aggregated('LV1', day1);
    d.accept('s', recs);
    sink.failNext = 1;
    const failed = await d.flushAll();
    expect(failed.failures.map((f) => f.message)).toEqual(['SlowDown: the store is unavailable']);
    expect(failed.commits).toEqual([]);
    expect(sink.keys()).toEqual([]);
    // more readings for the same partition arrive meanwhile; the next write carries both
    d.accept(
      's',
      aggregated('LV1', [
        reading({ substation: 'LV2', measurement: 'total_apparent_power', ts: '2025-08-14T12:00:00.000Z', value: 1 }),
      ]),
    );
    const ok = await d.flushAll();
    expect(ok.failures).toEqual([]);
    expect(ok.objects).toHaveLength(1);
    expect(ok.objects[0]?.rows).toBe(4);
    expect(ok.commits[0]?.records).toBe(2);
  });

  it('keeps one row per event inside a buffer: the winning emission', async () => {
    const sink = new MemorySink();
    const d = new LakeDelivery({ writer, sink, buffering: { sizeBytes: 1 << 20, intervalMs: 60_000 } });
    const base = { substation: 'LV1', feeder: '01', measurement: 'total_active_power', ts: '2025-08-14T10:00:00.000Z' };
    const later = reading({ ...base, value: 2, ingestedAt: '2025-09-02T00:00:00.000Z' });
    const earlier = reading({ ...base, value: 1, ingestedAt: '2025-09-01T00:00:00.000Z' });
    d.accept('s', aggregated('LV1', [later, earlier, earlier]));
    const out = await d.flushAll();
    expect(out.objects[0]?.rows).toBe(1);
    expect(d.stats.duplicates_in_buffer).toBe(2);
    const rows = await readParquet(sink.objects.get(out.objects[0]?.key as string) as Buffer);
    expect(rows.map((r) => r.value)).toEqual([2]);
  });

  it('writes a reading in a unit a mapping declared when given the registry that holds it; without, a conversion error', async () => {
    const km = {
      ...reading({ substation: 'EV1', measurement: 'odometer', ts: '2025-08-14T10:00:00.000Z', value: 12_345 }),
      unit: 'km',
    };
    const units = BUILTIN_UNITS.with({ km: { max_abs: 10_000_000, negative_is_abnormal: true } }, 'probe');
    const sink = new MemorySink();
    const d = new LakeDelivery({ writer, sink, buffering: { sizeBytes: 1 << 20, intervalMs: 60_000 } });
    expect(d.accept('s', aggregated('EV1', [km]), units)).toEqual({ records: 1, readings: 1, errors: 0 });
    expect(d.accept('s', aggregated('EV1', [km]))).toEqual({ records: 1, readings: 0, errors: 1 });
    const out = await d.flushAll();
    const rows = await readParquet(sink.objects.get(out.objects[0]?.key as string) as Buffer);
    expect(rows.map((r) => [r.unit, r.value])).toEqual([['km', 12_345]]);
  });
});
