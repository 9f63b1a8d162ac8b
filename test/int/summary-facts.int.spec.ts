/**
 * The performance summaries composed from the interval facts equal the summaries read
 * from `readings`, every row and every column, on the real embedded stack (s3rver through
 * the real S3 client, the real rollup build, DuckDB over the mirrored lake).
 *
 * Random readings of every measurement the summary reads, with duplicate deliveries and
 * corrections: feeders and transformers with their own readings (S1), a substation made
 * of its feeders' sums (S2), a feeder whose cadence changes and which is silent for a
 * whole day (so the month's most common gap needs the gaps across day boundaries), a
 * feeder with a single reading (no cadence), readings under a second apart (a 0 s gap,
 * not counted), voltages outside the band, export, an unrated asset, a registry interval.
 * Then: a late reading makes the month's facts stale (the runner takes the readings form)
 * until the next build; a rating change shows at once (ratings are read at query time).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import { buildRollups } from '../../src/lake/rollups/build.ts';
import { monthFactsCurrent } from '../../src/lake/rollups/built.ts';
import { mulberry32 } from '../../src/generate/prng.ts';
import { syncPrefix } from '../../src/ops/query/cache.ts';
import { LocalSqlEngine } from '../../src/ops/query/local-engine.ts';
import { formToRun } from '../../src/ops/query/named.ts';
import { assetRowOf, type AssetRow } from '../../src/ops/query/registry.ts';
import { rowObjects, type Cell } from '../../src/ops/query/result.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { partitionOf, partitionPrefix } from '../../src/shared/glue.ts';
import { bindValues, NAMED_QUERIES, SUMMARY_MEASUREMENTS } from '../../src/shared/queries.ts';
import { PREFIXES } from '../../src/shared/resources.ts';
import { useBareStack } from '../support/bare-stack.ts';
import { reading, summaryFixture, writeAlerts } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

const stack = useBareStack();
const rng = mulberry32(2026);
const AUG = { year: '2025', month: '08' };
const DAY = 86_400_000;
const START = Date.parse('2025-08-01T00:00:00Z');
const DAYS = 5;
const M = SUMMARY_MEASUREMENTS;
const EVERY = [M.activePower, M.reactivePower, M.apparentPower, ...M.current, ...M.voltage];

interface Feed {
  readonly substation: string;
  readonly feeder: string;
  /** Minutes between readings at `ms`. */
  readonly everyMin: (ms: number) => number;
  readonly silent?: (ms: number) => boolean;
  readonly measurements?: readonly string[];
}

const FEEDS: readonly Feed[] = [
  { substation: 'S1', feeder: '01', everyMin: () => 10 },
  { substation: 'S1', feeder: '02', everyMin: () => 10 },
  // the transformer's own readings: P, Q and S only
  { substation: 'S1', feeder: '', everyMin: () => 10, measurements: [M.activePower, M.reactivePower, M.apparentPower] },
  { substation: 'S2', feeder: '01', everyMin: () => 15 },
  // 30-minute readings for two days, then 10-minute ones; silent on day 3
  {
    substation: 'S2',
    feeder: '02',
    everyMin: (ms) => (ms < START + 2 * DAY ? 30 : 10),
    silent: (ms) => ms >= START + 2 * DAY && ms < START + 3 * DAY,
  },
];

/** One decimal, as the LV monitors send: means then often sit exactly on a rounding boundary. */
function value(measurement: string): number {
  const tenths = (x: number): number => Math.round(x * 10) / 10;
  if (measurement.endsWith('voltage')) return tenths(212 + rng() * 44); // now and then outside 216.2–253 V
  if (measurement.endsWith('current')) return tenths(rng() * 300);
  if (measurement === M.activePower) return tenths(-15 + rng() * 120); // some export
  return tenths(rng() * 150);
}

/** Random readings: ~8 % of intervals dropped, ~4 % of measurements missing from an interval. */
function randomReadings(): ReadingEvent[] {
  const out: ReadingEvent[] = [];
  for (const f of FEEDS) {
    for (let t = START; t < START + DAYS * DAY; t += f.everyMin(t) * 60_000) {
      if (f.silent?.(t) || rng() < 0.08) continue;
      for (const measurement of f.measurements ?? EVERY) {
        if (rng() < 0.04) continue;
        out.push(reading({ ...f, measurement, ts: new Date(t).toISOString(), value: value(measurement) }));
      }
    }
  }
  // a feeder seen once (no cadence), and two readings 400 ms apart (a 0 s gap)
  out.push(
    reading({ substation: 'S3', feeder: '01', measurement: M.activePower, ts: '2025-08-02T12:00:00Z', value: 7 }),
  );
  for (const ts of ['2025-08-03T06:00:00.000Z', '2025-08-03T06:00:00.400Z', '2025-08-03T06:10:00.000Z'])
    out.push(reading({ substation: 'S3', feeder: '02', measurement: M.activePower, ts, value: 3 }));
  // S4:01 once a day: every gap crosses a day boundary (1440 minutes)
  for (let d = 0; d < DAYS; d++)
    out.push(
      reading({
        substation: 'S4',
        feeder: '01',
        measurement: M.activePower,
        ts: new Date(START + d * DAY + 12 * 3_600_000).toISOString(),
        value: 5,
      }),
    );
  // S4:02: 600 s twice on 08-01, 900 s twice on 08-02 (a tie the shorter would win), and the
  // 900 s across midnight decides it
  for (const ts of [
    '2025-08-01T23:25:00Z',
    '2025-08-01T23:35:00Z',
    '2025-08-01T23:45:00Z',
    '2025-08-02T00:00:00Z',
    '2025-08-02T00:15:00Z',
    '2025-08-02T00:30:00Z',
  ])
    out.push(reading({ substation: 'S4', feeder: '02', measurement: M.activePower, ts, value: 4 }));
  // outside the month read
  out.push(
    reading({ substation: 'S1', feeder: '01', measurement: M.activePower, ts: '2025-07-31T23:50:00Z', value: 999 }),
  );
  return out;
}

let writer: DuckDbParquetWriter;
let mirror: { dir: string; cleanup: () => Promise<void> };
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

const registry = (s1Rating: number): AssetRow[] => [
  assetRowOf({
    substation_id: 'S1',
    feeder_id: '01',
    transformer_kva: 250,
    rated_current_a: s1Rating,
    has_generation: false,
  }),
  assetRowOf({
    substation_id: 'S1',
    feeder_id: '02',
    transformer_kva: 250,
    rated_current_a: 200,
    has_generation: true,
  }),
  // S2:01 unrated; S2 a transformer rating and a registry interval for feeder 02
  assetRowOf({ substation_id: 'S2', feeder_id: '01', transformer_kva: 160, has_generation: false }),
  assetRowOf({
    substation_id: 'S2',
    feeder_id: '02',
    transformer_kva: 160,
    rated_current_a: 150,
    has_generation: false,
    interval_minutes: 10,
  }),
];

/** Both forms of a summary on a fresh mirror: from the facts, and from `readings`. */
async function bothForms(
  name: 'asset_summary_monthly' | 'asset_summary_daily',
  assets: readonly AssetRow[],
): Promise<{ facts: Record<string, Cell>[]; readings: Record<string, Cell>[] }> {
  const { s3, names } = stack().clients;
  for (const prefix of [PREFIXES.processed, PREFIXES.processedRollups])
    await syncPrefix(s3, names.bucket, prefix, mirror.dir);
  const engine = await LocalSqlEngine.open({ lakeDir: mirror.dir, assets });
  try {
    const q = NAMED_QUERIES[name];
    const readings = q.fallback!;
    return {
      facts: rowObjects(await engine.run(q.sql, bindValues(q, AUG))),
      readings: rowObjects(await engine.run(readings.sql, bindValues(readings, AUG))),
    };
  } finally {
    await engine.close();
  }
}

const store = () => ({ s3: stack().clients.s3, bucket: stack().clients.names.bucket });

beforeAll(async () => {
  writer = await DuckDbParquetWriter.open();
  mirror = await tempDir('dubegrid-summary-facts-');
  await writeAlerts(mirror.dir, summaryFixture().notifications); // incidents on S1:01, S2 (and July's on S1)
  const all = randomReadings();
  await deliver(all);
  // duplicate deliveries of ~10 %, corrections of ~5 % (a later emission with another value)
  await deliver(all.filter(() => rng() < 0.1));
  await deliver(
    all
      .filter(() => rng() < 0.05)
      .map((e) => ({ ...e, value: value(e.measurement), ingested_at: '2025-09-02T00:00:00.000Z' })),
  );
  await buildRollups(store());
}, 120_000);
afterAll(async () => {
  await writer.close();
  await mirror.cleanup();
});

describe('the summaries from the interval facts', () => {
  it.each(['asset_summary_monthly', 'asset_summary_daily'] as const)(
    '%s equals the summary from readings, every row and column',
    async (name) => {
      const { facts, readings } = await bothForms(name, registry(300));
      expect(facts).toEqual(readings);
      // the data exercises what the facts compose
      const assets = new Set(facts.map((r) => r.asset_id));
      expect([...assets].sort()).toEqual([
        'S1',
        'S1:01',
        'S1:02',
        'S2',
        'S2:01',
        'S2:02',
        'S3',
        'S3:01',
        'S3:02',
        'S4',
        'S4:01',
        'S4:02',
      ]);
      const some = (col: string, test: (v: Cell) => boolean): boolean => facts.some((r) => test(r[col] ?? null));
      expect(some('minutes_outside_voltage_band', (v) => Number(v) > 0)).toBe(true);
      expect(some('reverse_power_minutes', (v) => Number(v) > 0)).toBe(true);
      expect(some('mean_utilisation_pct', (v) => v !== null)).toBe(true);
      expect(some('mean_phase_imbalance_pct', (v) => v !== null)).toBe(true);
      expect(some('alerts', (v) => Number(v) > 0)).toBe(true);
      expect(some('interval_minutes', (v) => v === null)).toBe(true); // S3:01, one reading
    },
  );

  it('compose the cadence with the gaps across day boundaries, the registry interval winning', async () => {
    const { facts } = await bothForms('asset_summary_monthly', registry(300));
    const byAsset = new Map(facts.map((r) => [r.asset_id, r]));
    expect(byAsset.get('S2:02')?.interval_minutes).toBe(10);
    expect(byAsset.get('S2:01')?.interval_minutes).toBe(15);
    expect(byAsset.get('S3:02')?.interval_minutes).toBe(10); // the 0 s gap is not counted
    expect(byAsset.get('S4:01')?.interval_minutes).toBe(1440); // only gaps across midnight
    expect(byAsset.get('S4:02')?.interval_minutes).toBe(15); // decided by the gap across midnight
    expect(byAsset.get('S2:01')?.rating).toBeNull();
  });

  it('a rating change shows at once: ratings are read at query time, not frozen in the facts', async () => {
    const before = await bothForms('asset_summary_monthly', registry(300));
    const after = await bothForms('asset_summary_monthly', registry(600));
    expect(after.facts).toEqual(after.readings);
    const s101 = (rows: Record<string, Cell>[]) => rows.find((r) => r.asset_id === 'S1:01');
    expect(s101(after.facts)?.rating).toBe(600);
    expect(s101(after.facts)?.peak_utilisation_pct).not.toEqual(s101(before.facts)?.peak_utilisation_pct);
  });

  it('a late reading makes the month stale (the readings form runs) until the next build', async () => {
    expect(await monthFactsCurrent(store(), '2025', '08')).toBe(true);
    const q = NAMED_QUERIES.asset_summary_monthly;
    const check = () => monthFactsCurrent(store(), '2025', '08');
    expect(await formToRun(q, AUG, check)).toBe(q);
    await deliver([
      reading({ substation: 'S2', feeder: '02', measurement: M.activePower, ts: '2025-08-03T12:00:00Z', value: -42 }),
    ]);
    expect(await monthFactsCurrent(store(), '2025', '08')).toBe(false);
    expect(await formToRun(q, AUG, check)).toBe(q.fallback);
    expect(await formToRun(q, AUG)).toBe(q.fallback); // nothing known: readings
    const outcome = await buildRollups(store());
    expect(outcome.rebuilt).toContain('2025-08-03');
    expect(await monthFactsCurrent(store(), '2025', '08')).toBe(true);
    for (const name of ['asset_summary_monthly', 'asset_summary_daily'] as const) {
      const { facts, readings } = await bothForms(name, registry(300));
      expect(facts).toEqual(readings);
    }
  });
});
