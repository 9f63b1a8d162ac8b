/**
 * Completeness means what a reader thinks (src/shared/expected.ts): the asset's cadence
 * counted over the part of the period the data covers network-wide. A hand-built week
 * of hourly readings, August 2025 (31 days), substation S with three feeders:
 *   01  every hour 08-04 00:00 → 08-10 23:00         168 of 168 = 100 %
 *   02  dies after day 3: 08-04 00:00 → 08-06 23:00    72 of 168 = 42.86 %
 *   03  every hour except a 12-hour gap on 08-08      156 of 168 = 92.86 %
 *   S   the sum of its feeders at every hour of the week: 168 of 168 = 100 %
 * Coverage 08-04 00:00 → watermark 08-10 23:00 (+ one hour) = 7 days = 168 hourly
 * intervals, not the month's 744 (which would read 22.58 % for a full week).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import { LocalSqlEngine } from '../../src/ops/query/local-engine.ts';
import { runNamed } from '../../src/ops/query/named.ts';
import { assetRowOf } from '../../src/ops/query/registry.ts';
import { rowObjects, type Cell } from '../../src/ops/query/result.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { writeIntervalFacts } from '../support/interval-facts.ts';
import { reading, writeLake } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

const HOUR = 3_600_000;
const FIRST = Date.UTC(2025, 7, 4);
const WEEK_HOURS = 7 * 24;
const GAP_FROM = Date.UTC(2025, 7, 8, 6);

function week(feeder: string, keep: (ms: number) => boolean): ReadingEvent[] {
  const out: ReadingEvent[] = [];
  for (let h = 0; h < WEEK_HOURS; h++) {
    const ms = FIRST + h * HOUR;
    if (keep(ms))
      out.push(
        reading({
          substation: 'S',
          feeder,
          measurement: 'total_active_power',
          ts: new Date(ms).toISOString(),
          value: 10,
        }),
      );
  }
  return out;
}

let engine: LocalSqlEngine;
let lakeDir: string;
let cleanup: () => Promise<void>;
const AUG = { year: '2025', month: '08' };

beforeAll(async () => {
  const t = await tempDir('dubegrid-complete-');
  cleanup = t.cleanup;
  lakeDir = t.dir;
  const writer = await DuckDbParquetWriter.open();
  await writeLake(
    t.dir,
    [
      ...week('01', () => true),
      ...week('02', (ms) => ms < FIRST + 3 * 24 * HOUR),
      ...week('03', (ms) => ms < GAP_FROM || ms >= GAP_FROM + 12 * HOUR),
    ],
    writer,
  );
  await writer.close();
  engine = await LocalSqlEngine.open({ lakeDir: t.dir });
});
afterAll(async () => {
  await engine.close();
  await cleanup();
});

const summary = async (name: string): Promise<Record<string, Cell | undefined>[]> =>
  rowObjects(await runNamed(engine, name, AUG)).map((r) => ({
    asset_id: r.asset_id,
    period: r.period,
    interval_minutes: r.interval_minutes,
    intervals_expected: r.intervals_expected,
    intervals_present: r.intervals_present,
    completeness_pct: r.completeness_pct,
  }));

describe('completeness over the covered part of the period', () => {
  it('monthly: a full week reads 100 %, a feed dead after day 3 of 7 reads 42.86 %, a 12-hour gap shows', async () => {
    const base = { period: '2025-08', interval_minutes: 60, intervals_expected: WEEK_HOURS };
    expect(await summary('asset_summary_monthly')).toEqual([
      { asset_id: 'S', ...base, intervals_present: 168, completeness_pct: 100 },
      { asset_id: 'S:01', ...base, intervals_present: 168, completeness_pct: 100 },
      // 72 / 168 = 0.428571…
      { asset_id: 'S:02', ...base, intervals_present: 72, completeness_pct: 42.86 },
      // 156 / 168 = 0.928571…
      { asset_id: 'S:03', ...base, intervals_present: 156, completeness_pct: 92.86 },
    ]);
  });

  it('daily: days inside the coverage expect 24 intervals; the gap day of 03 reads 12/24', async () => {
    const daily = await summary('asset_summary_daily');
    const of = (asset: string) => daily.filter((r) => r.asset_id === asset);
    expect(of('S:01')).toHaveLength(7);
    expect(of('S:01').every((r) => r.intervals_expected === 24 && r.completeness_pct === 100)).toBe(true);
    // the dead feed has rows for its three live days only, each complete
    expect(of('S:02').map((r) => [r.period, r.completeness_pct])).toEqual([
      ['2025-08-04', 100],
      ['2025-08-05', 100],
      ['2025-08-06', 100],
    ]);
    expect(of('S:03').find((r) => r.period === '2025-08-08')).toEqual({
      asset_id: 'S:03',
      period: '2025-08-08',
      interval_minutes: 60,
      intervals_expected: 24,
      intervals_present: 12,
      completeness_pct: 50,
    });
  });
});

/*
 * The registry's `interval_minutes` wins over the observed cadence (src/shared/expected.ts):
 * the same week, with the registry saying feeder 03 reports every 30 minutes. Coverage is
 * 08-04 00:00 → the watermark 08-10 23:00 plus one (now 30-minute) interval = 167.5 h =
 * 335 intervals. Its hourly readings: 156 of 335 = 46.57 %. The substation takes the
 * shortest interval on any of its rows (30 min): 168 of 335 = 50.15 %. Feeder 01 gives
 * none and keeps its observed hour: 168 of 168.
 */
describe('a registry interval overrides the observed cadence', () => {
  let withRegistry: LocalSqlEngine;
  let withFacts: LocalSqlEngine;
  let done: () => Promise<void>;
  beforeAll(async () => {
    const t = await tempDir('dubegrid-complete-registry-');
    done = t.cleanup;
    const writer = await DuckDbParquetWriter.open();
    await writeLake(
      t.dir,
      [...week('01', () => true), ...week('03', (ms) => ms < GAP_FROM || ms >= GAP_FROM + 12 * HOUR)],
      writer,
    );
    await writer.close();
    const row = (feeder: string, interval?: number) =>
      assetRowOf({
        substation_id: 'S',
        feeder_id: feeder,
        transformer_kva: 500,
        rated_current_a: 400,
        has_generation: false,
        ...(interval === undefined ? {} : { interval_minutes: interval }),
      });
    withRegistry = await LocalSqlEngine.open({ lakeDir: t.dir, assets: [row('01'), row('03', 30)] });
    await writeIntervalFacts(t.dir);
    withFacts = await LocalSqlEngine.open({ lakeDir: t.dir, assets: [row('01'), row('03', 30)] });
  });
  afterAll(async () => {
    await withRegistry.close();
    await withFacts.close();
    await done();
  });

  it.each(['asset_summary_monthly', 'asset_summary_daily'])(
    '%s from the interval facts: the same rows (the registry read at query time)',
    async (name) => {
      const composed = rowObjects(await runNamed(withFacts, name, AUG, async () => true));
      expect(composed.length).toBeGreaterThan(0);
      expect(composed).toEqual(rowObjects(await runNamed(withRegistry, name, AUG)));
    },
  );

  it('monthly: 03 and its substation are counted at 30 minutes, 01 at its observed hour', async () => {
    const rows = rowObjects(await runNamed(withRegistry, 'asset_summary_monthly', AUG)).map((r) => [
      r.asset_id,
      r.interval_minutes,
      r.intervals_expected,
      r.intervals_present,
      r.completeness_pct,
    ]);
    expect(rows).toEqual([
      // 168 / 335 = 0.501492…
      ['S', 30, 335, 168, 50.15],
      ['S:01', 60, WEEK_HOURS, 168, 100],
      // 156 / 335 = 0.465671…
      ['S:03', 30, 335, 156, 46.57],
    ]);
  });
});

describe('completeness from the interval facts', () => {
  let withFacts: LocalSqlEngine;
  beforeAll(async () => {
    await writeIntervalFacts(lakeDir);
    withFacts = await LocalSqlEngine.open({ lakeDir });
  });
  afterAll(async () => {
    await withFacts.close();
  });

  it.each(['asset_summary_monthly', 'asset_summary_daily'])('%s: the same rows as from readings', async (name) => {
    const composed = rowObjects(await runNamed(withFacts, name, AUG, async () => true));
    expect(composed.length).toBeGreaterThan(0);
    expect(composed).toEqual(rowObjects(await runNamed(engine, name, AUG)));
  });
});
