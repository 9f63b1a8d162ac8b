/**
 * The fact layer on the real embedded stack (s3rver through the real S3 client): random
 * readings with duplicate deliveries and corrections go into the readings table as
 * Parquet objects; `buildRollups` builds the hourly and daily rollups; `dubegrid query`'s
 * engine reads them by their Glue names; they equal a recomputation from the readings
 * (deduplicated to the winning correction independently, in TypeScript, with
 * `src/shared/expected.ts`). Then a late reading, a correction and a new day: only the
 * days that changed, and the day whose coverage clip moved, are rebuilt, and the
 * rollups still equal the recomputation.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import { buildRollups } from '../../src/lake/rollups/build.ts';
import { openSqlEngine } from '../../src/ops/query/open.ts';
import { rowObjects } from '../../src/ops/query/result.ts';
import { mulberry32 } from '../../src/generate/prng.ts';
import { compareEmission, type ReadingEvent } from '../../src/shared/event.ts';
import { expectedIntervals, observedCadenceMs } from '../../src/shared/expected.ts';
import { partitionOf, partitionPrefix, ROLLUP_GRAINS, type RollupGrain } from '../../src/shared/glue.ts';
import { useBareStack } from '../support/bare-stack.ts';
import { reading } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

const stack = useBareStack();
let writer: DuckDbParquetWriter;
let cache: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  writer = await DuckDbParquetWriter.open();
  cache = await tempDir();
});
afterAll(async () => {
  await writer.close();
  await cache.cleanup();
});

const rng = mulberry32(17);
const ASSETS = [
  { substation: 'S1', feeder: '01', everyMin: 10 },
  { substation: 'S1', feeder: '', everyMin: 10 },
  { substation: 'S2', feeder: '01', everyMin: 30 },
] as const;
const MEASUREMENTS = ['total_active_power', 'l1_voltage'] as const;
const START = Date.parse('2025-08-01T00:00:00Z');

/** Random readings over `days` days: ~10 % dropped, values random. */
function randomReadings(fromMs: number, days: number, ingestedAt: string): ReadingEvent[] {
  const out: ReadingEvent[] = [];
  for (const a of ASSETS) {
    for (let t = fromMs; t < fromMs + days * 86_400_000; t += a.everyMin * 60_000) {
      if (rng() < 0.1) continue;
      for (const measurement of MEASUREMENTS) {
        if (rng() < 0.05) continue;
        const value = measurement === 'l1_voltage' ? 220 + rng() * 20 : -5 + rng() * 50;
        out.push(reading({ ...a, measurement, ts: new Date(t).toISOString(), value, ingestedAt }));
      }
    }
  }
  return out;
}

let objects = 0;
async function deliver(events: readonly ReadingEvent[]): Promise<void> {
  const byPrefix = new Map<string, ReadingEvent[]>();
  for (const e of events) {
    const prefix = partitionPrefix(partitionOf(e.ts));
    byPrefix.set(prefix, [...(byPrefix.get(prefix) ?? []), e]);
  }
  const { s3, names } = stack().clients;
  for (const [prefix, rows] of byPrefix) {
    await s3.send(
      new PutObjectCommand({
        Bucket: names.bucket,
        Key: `${prefix}part-${++objects}.parquet`,
        Body: await writer.write(rows),
      }),
    );
  }
}

interface Fact {
  asset_id: string;
  measurement: string;
  period_start: string;
  count: number;
  min: number;
  max: number;
  mean: number;
  sum: number;
  stddev: number;
  first_ts: string;
  last_ts: string;
  interval_s: number | null;
  expected_count: number | null;
}

/** The rollups recomputed from everything delivered: winners by `compareEmission`, then the facts. */
function recompute(delivered: readonly ReadingEvent[], grain: RollupGrain): Fact[] {
  const winners = new Map<string, ReadingEvent>();
  for (const e of delivered) {
    const w = winners.get(e.event_id);
    if (!w || compareEmission(e, w) > 0) winners.set(e.event_id, e);
  }
  const all = [...winners.values()];
  const times = all.map((e) => Date.parse(e.ts));
  const coverage = { firstMs: Math.min(...times), watermarkMs: Math.max(...times) };
  const cadence = new Map<string, number | undefined>(); // asset#day → interval ms
  const byAssetDay = new Map<string, number[]>();
  for (const e of all) {
    const k = `${e.asset_id}#${e.ts.slice(0, 10)}`;
    byAssetDay.set(k, [...(byAssetDay.get(k) ?? []), Date.parse(e.ts)]);
  }
  for (const [k, ts] of byAssetDay) cadence.set(k, observedCadenceMs(ts));
  const periodMs = grain === 'hourly' ? 3_600_000 : 86_400_000;
  const groups = new Map<string, ReadingEvent[]>();
  for (const e of all) {
    const start = Math.floor(Date.parse(e.ts) / periodMs) * periodMs;
    const k = `${e.asset_id}|${e.measurement}|${start}`;
    groups.set(k, [...(groups.get(k) ?? []), e]);
  }
  const facts: Fact[] = [];
  for (const [k, rows] of groups) {
    const [asset_id, measurement, start] = k.split('|') as [string, string, string];
    const values = rows.map((r) => r.value);
    const sum = values.reduce((a, b) => a + b, 0);
    const mean = sum / values.length;
    const ts = rows.map((r) => r.ts).sort();
    const interval = cadence.get(`${asset_id}#${ts[0]!.slice(0, 10)}`);
    facts.push({
      asset_id,
      measurement,
      period_start: new Date(Number(start)).toISOString(),
      count: values.length,
      min: Math.min(...values),
      max: Math.max(...values),
      mean,
      sum,
      stddev: Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length),
      first_ts: ts[0]!,
      last_ts: ts[ts.length - 1]!,
      interval_s: interval === undefined ? null : interval / 1000,
      expected_count:
        interval === undefined ? null : expectedIntervals(Number(start), Number(start) + periodMs, coverage, interval),
    });
  }
  return facts.sort(byKey);
}

const byKey = (a: Fact, b: Fact): number =>
  a.asset_id.localeCompare(b.asset_id) ||
  a.measurement.localeCompare(b.measurement) ||
  a.period_start.localeCompare(b.period_start);

async function stored(grain: RollupGrain): Promise<Fact[]> {
  const { engine } = await openSqlEngine(stack().clients, cache.dir);
  try {
    const result = await engine.run(`SELECT * FROM ${ROLLUP_GRAINS[grain].tableName}`);
    return (rowObjects(result) as unknown as Fact[]).sort(byKey);
  } finally {
    await engine.close();
  }
}

function expectEqualFacts(actual: readonly Fact[], expected: readonly Fact[]): void {
  expect(actual.map((f) => `${f.asset_id}|${f.measurement}|${f.period_start}`)).toEqual(
    expected.map((f) => `${f.asset_id}|${f.measurement}|${f.period_start}`),
  );
  actual.forEach((a, i) => {
    const e = expected[i]!;
    expect({ ...a, mean: 0, sum: 0, stddev: 0, min: 0, max: 0 }).toMatchObject({
      ...e,
      mean: 0,
      sum: 0,
      stddev: 0,
      min: 0,
      max: 0,
    });
    for (const k of ['min', 'max', 'mean', 'sum', 'stddev'] as const) expect(a[k]).toBeCloseTo(e[k], 9);
  });
}

describe('the fact layer (rollups)', () => {
  const delivered: ReadingEvent[] = [];

  it('equals a recomputation from the readings, with duplicate deliveries and corrections', async () => {
    const first = randomReadings(START, 3, '2025-09-01T00:00:00.000Z');
    // a fifth delivered twice (a Firehose retry), a tenth corrected by a later emission
    const again = first.filter(() => rng() < 0.2);
    const corrected = first
      .filter(() => rng() < 0.1)
      .map((e) => ({ ...e, value: e.value + 1000, ingested_at: '2025-09-02T00:00:00.000Z' }));
    for (const batch of [first, again, corrected]) {
      await deliver(batch);
      delivered.push(...batch);
    }
    const outcome = await buildRollups({ s3: stack().clients.s3, bucket: stack().clients.names.bucket });
    expect(outcome.rebuilt).toEqual(['2025-08-01', '2025-08-02', '2025-08-03']);
    for (const grain of ['hourly', 'daily'] as const)
      expectEqualFacts(await stored(grain), recompute(delivered, grain));
    // a 10-minute feed with nothing missing in a whole covered day expects 144
    const daily = await stored('daily');
    expect(daily.find((f) => f.asset_id === 'S1:01' && f.period_start.startsWith('2025-08-02'))?.expected_count).toBe(
      144,
    );
  });

  it('rebuilds nothing when nothing changed', async () => {
    const outcome = await buildRollups({ s3: stack().clients.s3, bucket: stack().clients.names.bucket });
    expect(outcome.rebuilt).toEqual([]);
  });

  it('a late reading and a correction rebuild their day; a new day moves the watermark and rebuilds the old last day', async () => {
    const d2 = delivered.filter((e) => e.ts.startsWith('2025-08-02'));
    const present = new Set(d2.map((e) => e.event_id));
    // a reading that was dropped, arriving late; and a correction of one that is there
    let late: ReadingEvent | undefined;
    for (let t = Date.parse('2025-08-02T00:00:00Z'); !late; t += 600_000) {
      const e = reading({
        substation: 'S1',
        feeder: '01',
        measurement: 'total_active_power',
        ts: new Date(t).toISOString(),
        value: 7777,
      });
      if (!present.has(e.event_id)) late = e;
    }
    const fix = { ...d2[5]!, value: -42, ingested_at: '2025-09-03T00:00:00.000Z' };
    await deliver([late, fix]);
    delivered.push(late, fix);
    let outcome = await buildRollups({ s3: stack().clients.s3, bucket: stack().clients.names.bucket });
    expect(outcome.rebuilt).toEqual(['2025-08-02']);
    for (const grain of ['hourly', 'daily'] as const)
      expectEqualFacts(await stored(grain), recompute(delivered, grain));

    const next = randomReadings(Date.parse('2025-08-04T00:00:00Z'), 1, '2025-09-04T00:00:00.000Z').filter(
      (e) => e.ts < '2025-08-04T12:00:00',
    );
    await deliver(next);
    delivered.push(...next);
    outcome = await buildRollups({ s3: stack().clients.s3, bucket: stack().clients.names.bucket });
    // 08-03 ended before the old watermark's interval did; its clip grows to the whole day
    expect(outcome.rebuilt).toEqual(['2025-08-03', '2025-08-04']);
    for (const grain of ['hourly', 'daily'] as const)
      expectEqualFacts(await stored(grain), recompute(delivered, grain));
  });

  it('a run bounded by keepGoing (the Lambda’s remaining time) does one day at a time; successive runs converge', async () => {
    const more = randomReadings(Date.parse('2025-08-04T12:00:00Z'), 3, '2025-09-05T00:00:00.000Z');
    await deliver(more);
    delivered.push(...more);
    const rebuilt: string[] = [];
    let left = Infinity;
    for (let run = 0; left > 0 && run < 10; run++) {
      // no time for a second day in either phase: each run fetches one changed day and rebuilds one day
      const outcome = await buildRollups(
        { s3: stack().clients.s3, bucket: stack().clients.names.bucket },
        { keepGoing: () => false },
      );
      expect(outcome.rebuilt).toHaveLength(1);
      rebuilt.push(...outcome.rebuilt);
      left = outcome.left_for_next_run;
    }
    expect(left).toBe(0);
    // every changed day once; 08-04 again once the watermark moved past it
    expect([...new Set(rebuilt)].sort()).toEqual(['2025-08-04', '2025-08-05', '2025-08-06', '2025-08-07']);
    for (const grain of ['hourly', 'daily'] as const)
      expectEqualFacts(await stored(grain), recompute(delivered, grain));
    const after = await buildRollups({ s3: stack().clients.s3, bucket: stack().clients.names.bucket });
    expect(after.rebuilt).toEqual([]);
  });
});
