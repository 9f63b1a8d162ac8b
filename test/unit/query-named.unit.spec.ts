/**
 * Every named query on a small fixture whose figures are worked out by hand below
 * (not by the code under test). The fixture goes through the lake writer and the
 * local engine, with a duplicate delivery and a correction, so the `readings` view's
 * deduplication is exercised by every query.
 *
 * Month 2025-08, readings every 10 minutes. The data covers 08-01 00:00 → 08-02 00:00
 * network-wide (the July reading is outside the month read), so the month expects the
 * covered part only: 24 h 10 min (the watermark's own interval included) = 145 intervals.
 *   S1 "Alpha Rd": feeder 01 (rated 200 A), transformer 100 kVA with its own apparent power.
 *     01  08-01 00:00  P 10  Q 2  I 40/50/60    V 230/231/232
 *         08-01 00:10  P 20  Q 4  I 100/100/100 V 250/254/240   (254 > 253: out of band)
 *         08-01 00:20  P -5  Q 0  I 20/20/20    V 215/230/230   (215 < 216.2: out; P < 0: reverse)
 *         08-02 00:00  P 30  Q 6  I 90/120/90   V 230/230/230   (first delivered as P 25, corrected to 30)
 *     S1 transformer S: 50, 80, 20, 60 kVA at the same four times.
 *     A July reading (P 999, 07-31 23:50) must stay out of August.
 *   S2 "Beta St": transformer 200 kVA (no own readings), feeder 01 (100 A), feeder 02 (no rating).
 *     01  08-01 00:00 P 5 Q 0 I 10/10/10, 00:10 P 15 Q 0 I 30/30/30, V 240 throughout
 *     02  08-01 00:00 P 7 Q 0,            00:10 P 9 Q 0,            V 240 throughout
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import { LocalSqlEngine } from '../../src/ops/query/local-engine.ts';
import { runNamed } from '../../src/ops/query/named.ts';
import { rowObjects, type Cell } from '../../src/ops/query/result.ts';
import { writeIntervalFacts } from '../support/interval-facts.ts';
import { summaryFixture, writeAlerts, writeLake } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

const { firstDelivery, redelivered, correction, assets, notifications } = summaryFixture();
const B = 'Beta St';
const A = 'Alpha Rd';

let engine: LocalSqlEngine;
let lakeDir: string;
let cleanup: () => Promise<void>;
const AUG = { year: '2025', month: '08' };

beforeAll(async () => {
  const t = await tempDir('dubegrid-named-');
  cleanup = t.cleanup;
  lakeDir = t.dir;
  const writer = await DuckDbParquetWriter.open();
  await writeLake(t.dir, firstDelivery, writer, 'first');
  await writeLake(t.dir, [...redelivered, correction], writer, 'again');
  await writer.close();
  await writeAlerts(t.dir, notifications);
  await writeAlerts(t.dir, notifications.slice(0, 2)); // written again (a retry): the same objects
  engine = await LocalSqlEngine.open({ lakeDir: t.dir, assets });
});
afterAll(async () => {
  await engine.close();
  await cleanup();
});

const rows = async (name: string, params: Record<string, string>): Promise<Record<string, Cell>[]> =>
  rowObjects(await runNamed(engine, name, params));

describe('the readings view', () => {
  it('keeps one row per event, the later emission of a corrected one', async () => {
    const raw = rowObjects(await engine.run('SELECT count(*) AS n FROM readings_delivered'));
    const view = rowObjects(await engine.run('SELECT count(*) AS n, count(DISTINCT event_id) AS ids FROM readings'));
    // first: S1:01 4 × 8 (its 08-02 P as the P 25), S1 4, July 1, S2:01 2 × 8, S2:02 2 × 5 = 63;
    // then 10 again and the correction: 74 rows, 63 readings
    expect(firstDelivery).toHaveLength(63);
    expect(raw[0]?.n).toBe(74);
    expect(view[0]).toEqual({ n: 63, ids: 63 });
    const fixed = rowObjects(
      await engine.run(
        "SELECT value FROM readings WHERE asset_id = 'S1:01' AND measurement = 'total_active_power' AND ts = TIMESTAMP '2025-08-02 00:00:00'",
      ),
    );
    expect(fixed).toEqual([{ value: 30 }]);
  });
});

describe('the alerts relation', () => {
  it("holds each notification once, written twice or not, partitioned by its incident's opening day", async () => {
    const all = rowObjects(
      await engine.run('SELECT count(*) AS n, count(DISTINCT notification_id) AS ids FROM alerts'),
    );
    expect(all[0]).toEqual({ n: notifications.length, ids: notifications.length });
    const july = rowObjects(await engine.run("SELECT kind, y, m, d FROM alerts WHERE asset_id = 'S1' ORDER BY kind"));
    expect(july).toEqual([
      { kind: 'close', y: '2025', m: '07', d: '31' },
      { kind: 'open', y: '2025', m: '07', d: '31' },
    ]);
  });
});

describe('named queries on the hand-checked fixture', () => {
  it('avg_load_by_substation: S1 (10+20-5+30)/4 = 13.75 kW, S2 feeder sums (12, 24) → 18 kW', async () => {
    expect(await rows('avg_load_by_substation', AUG)).toEqual([
      { substation_id: 'S2', substation_name: B, avg_load_kw: 18, peak_load_kw: 24, intervals: 2 },
      { substation_id: 'S1', substation_name: A, avg_load_kw: 13.75, peak_load_kw: 30, intervals: 4 },
    ]);
  });

  it('peak_load_by_asset: August only (the July 999 kW is out), first time of the peak', async () => {
    expect(await rows('peak_load_by_asset', AUG)).toEqual([
      { asset_id: 'S1', substation_id: 'S1', feeder_id: '', peak_load_kw: 30, peak_at: '2025-08-02T00:00:00.000Z' },
      {
        asset_id: 'S1:01',
        substation_id: 'S1',
        feeder_id: '01',
        peak_load_kw: 30,
        peak_at: '2025-08-02T00:00:00.000Z',
      },
      { asset_id: 'S2', substation_id: 'S2', feeder_id: '', peak_load_kw: 24, peak_at: '2025-08-01T00:10:00.000Z' },
      {
        asset_id: 'S2:01',
        substation_id: 'S2',
        feeder_id: '01',
        peak_load_kw: 15,
        peak_at: '2025-08-01T00:10:00.000Z',
      },
      { asset_id: 'S2:02', substation_id: 'S2', feeder_id: '02', peak_load_kw: 9, peak_at: '2025-08-01T00:10:00.000Z' },
    ]);
  });

  it('daily_trend_substation: S1 on 08-01 (10+20-5)/3 = 8.33, min -5; on 08-02 30', async () => {
    expect(await rows('daily_trend_substation', { ...AUG, substation_id: 'S1' })).toEqual([
      { reading_date: '2025-08-01', avg_load_kw: 8.33, peak_load_kw: 20, min_load_kw: -5, intervals: 3 },
      { reading_date: '2025-08-02', avg_load_kw: 30, peak_load_kw: 30, min_load_kw: 30, intervals: 1 },
    ]);
  });

  it("asset_summary_monthly (alerts: incidents opened in August, DISTINCT over their notifications; July's S1 incident closed in August is not one)", async () => {
    const base = { period: '2025-08', interval_minutes: 10, intervals_expected: 145 };
    expect(await rows('asset_summary_monthly', AUG)).toEqual([
      // S as sum of feeder P (no own P): 10, 20, -5, 30; utilisation = own kVA / 100: 50, 80, 20, 60
      // imbalance from summed phase currents: 20 %, 0, 0, (120-100)/100 = 20 % → mean 10, max 20
      // 4/145 = 2.76 % present; 2 intervals out of band and 1 reverse, 10 minutes each
      {
        asset_id: 'S1',
        substation_id: 'S1',
        feeder_id: '',
        ...base,
        intervals_present: 4,
        completeness_pct: 2.76,
        peak_demand_kw: 30,
        mean_demand_kw: 13.75,
        load_factor: 0.458,
        rating: 100,
        rating_unit: 'kVA',
        peak_utilisation_pct: 80,
        mean_utilisation_pct: 52.5,
        minutes_outside_voltage_band: 20,
        mean_phase_imbalance_pct: 10,
        max_phase_imbalance_pct: 20,
        reverse_power_minutes: 10,
        alerts: 0,
        critical_alerts: 0,
      },
      // max phase current / 200 A: 30, 50, 10, 60 % → peak 60, mean 37.5
      {
        asset_id: 'S1:01',
        substation_id: 'S1',
        feeder_id: '01',
        ...base,
        intervals_present: 4,
        completeness_pct: 2.76,
        peak_demand_kw: 30,
        mean_demand_kw: 13.75,
        load_factor: 0.458,
        rating: 200,
        rating_unit: 'A',
        peak_utilisation_pct: 60,
        mean_utilisation_pct: 37.5,
        minutes_outside_voltage_band: 20,
        mean_phase_imbalance_pct: 10,
        max_phase_imbalance_pct: 20,
        reverse_power_minutes: 10,
        alerts: 2,
        critical_alerts: 1,
      },
      // P 12, 24 (feeders summed); |P + jQ| = 12, 24 kVA of 200 → 6, 12 %; LF 18/24; 2/145 = 1.38 % complete
      {
        asset_id: 'S2',
        substation_id: 'S2',
        feeder_id: '',
        ...base,
        intervals_present: 2,
        completeness_pct: 1.38,
        peak_demand_kw: 24,
        mean_demand_kw: 18,
        load_factor: 0.75,
        rating: 200,
        rating_unit: 'kVA',
        peak_utilisation_pct: 12,
        mean_utilisation_pct: 9,
        minutes_outside_voltage_band: 0,
        mean_phase_imbalance_pct: 0,
        max_phase_imbalance_pct: 0,
        reverse_power_minutes: 0,
        alerts: 1,
        critical_alerts: 1,
      },
      // 10/100, 30/100 A; LF 10/15 = 0.667
      {
        asset_id: 'S2:01',
        substation_id: 'S2',
        feeder_id: '01',
        ...base,
        intervals_present: 2,
        completeness_pct: 1.38,
        peak_demand_kw: 15,
        mean_demand_kw: 10,
        load_factor: 0.667,
        rating: 100,
        rating_unit: 'A',
        peak_utilisation_pct: 30,
        mean_utilisation_pct: 20,
        minutes_outside_voltage_band: 0,
        mean_phase_imbalance_pct: 0,
        max_phase_imbalance_pct: 0,
        reverse_power_minutes: 0,
        alerts: 0,
        critical_alerts: 0,
      },
      // no rating and no currents: utilisation and imbalance unknown; LF 8/9 = 0.889
      {
        asset_id: 'S2:02',
        substation_id: 'S2',
        feeder_id: '02',
        ...base,
        intervals_present: 2,
        completeness_pct: 1.38,
        peak_demand_kw: 9,
        mean_demand_kw: 8,
        load_factor: 0.889,
        rating: null,
        rating_unit: 'A',
        peak_utilisation_pct: null,
        mean_utilisation_pct: null,
        minutes_outside_voltage_band: 0,
        mean_phase_imbalance_pct: null,
        max_phase_imbalance_pct: null,
        reverse_power_minutes: 0,
        alerts: 0,
        critical_alerts: 0,
      },
    ]);
  });

  it('asset_summary_daily: S1:01 per day (144 intervals a day)', async () => {
    const s101 = (await rows('asset_summary_daily', AUG)).filter((r) => r.asset_id === 'S1:01');
    expect(s101).toEqual([
      // 3/144 = 2.08 %; P 10, 20, -5 → mean 8.33, LF 8.333/20 = 0.417; util 30, 50, 10 → mean 30; imbalance 20, 0, 0 → 6.67
      {
        asset_id: 'S1:01',
        substation_id: 'S1',
        feeder_id: '01',
        period: '2025-08-01',
        interval_minutes: 10,
        intervals_expected: 144,
        intervals_present: 3,
        completeness_pct: 2.08,
        peak_demand_kw: 20,
        mean_demand_kw: 8.33,
        load_factor: 0.417,
        rating: 200,
        rating_unit: 'A',
        peak_utilisation_pct: 50,
        mean_utilisation_pct: 30,
        minutes_outside_voltage_band: 20,
        mean_phase_imbalance_pct: 6.67,
        max_phase_imbalance_pct: 20,
        reverse_power_minutes: 10,
        alerts: 1,
        critical_alerts: 0,
      },
      // 08-02 is covered only up to the watermark 00:00 + one interval: 1 expected, 1 present = 100 %
      {
        asset_id: 'S1:01',
        substation_id: 'S1',
        feeder_id: '01',
        period: '2025-08-02',
        interval_minutes: 10,
        intervals_expected: 1,
        intervals_present: 1,
        completeness_pct: 100,
        peak_demand_kw: 30,
        mean_demand_kw: 30,
        load_factor: 1,
        rating: 200,
        rating_unit: 'A',
        peak_utilisation_pct: 60,
        mean_utilisation_pct: 60,
        minutes_outside_voltage_band: 0,
        mean_phase_imbalance_pct: 20,
        max_phase_imbalance_pct: 20,
        reverse_power_minutes: 0,
        alerts: 1,
        critical_alerts: 1,
      },
    ]);
  });

  it('asset_hourly_profile: S1:01 hour by hour, load in A against 200 A, voltage range', async () => {
    expect(await rows('asset_hourly_profile', { ...AUG, substation_id: 'S1', feeder_id: '01' })).toEqual([
      {
        hour: '2025-08-01T00:00:00.000Z',
        mean_kw: 8.33,
        max_kw: 20,
        max_load: 100,
        rating: 200,
        rating_unit: 'A',
        v_min: 215,
        v_max: 254,
      },
      {
        hour: '2025-08-02T00:00:00.000Z',
        mean_kw: 30,
        max_kw: 30,
        max_load: 120,
        rating: 200,
        rating_unit: 'A',
        v_min: 230,
        v_max: 230,
      },
    ]);
  });

  it('answers an empty month with no rows, and refuses bad parameters', async () => {
    expect(await rows('asset_summary_monthly', { year: '2025', month: '09' })).toEqual([]);
    await expect(rows('asset_summary_monthly', { year: '2025', month: '13' })).rejects.toThrow(
      /month must be month of the readings, MM/,
    );
    await expect(rows('daily_trend_substation', AUG)).rejects.toThrow(/needs --param substation_id=/);
    await expect(rows('peak_load_by_asset', { ...AUG, asset: 'x' })).rejects.toThrow(/unknown: asset/);
  });

  it('reports an SQL error as one line', async () => {
    await expect(engine.run('SELECT nosuch FROM readings')).rejects.toThrow(
      /^Binder Error: Referenced column "nosuch" not found in FROM clause!( .*)?$/,
    );
    await expect(engine.run('SELEC 1')).rejects.toThrow(/^Parser Error: syntax error at or near "SELEC"$/);
  });
});

describe('the summaries composed from the interval facts', () => {
  // the facts as the rollup build writes them, over the same fixture: the same hand-worked rows
  let facts: LocalSqlEngine;
  beforeAll(async () => {
    await writeIntervalFacts(lakeDir);
    facts = await LocalSqlEngine.open({ lakeDir, assets });
  });
  afterAll(async () => {
    await facts.close();
  });

  it.each(['asset_summary_monthly', 'asset_summary_daily'])('%s', async (name) => {
    const composed = rowObjects(await runNamed(facts, name, AUG, async () => true));
    expect(composed.length).toBeGreaterThan(0);
    expect(composed).toEqual(await rows(name, AUG));
  });
});
