/**
 * The report core on the hand-checked summary fixture (figures in
 * query-named.unit.spec.ts), alert notifications included: ordering, alert counts,
 * outputs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportCsv, renderTerminal } from '../../src/cli/commands/report.ts';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import { LocalSqlEngine } from '../../src/ops/query/local-engine.ts';
import { renderReportHtml } from '../../src/ops/query/report-html.ts';
import { buildReport, type Report } from '../../src/ops/query/report.ts';
import type { Clients } from '../../src/shared/clients.ts';
import { LOCAL_NAMES } from '../../src/shared/resources.ts';
import { summaryFixture, writeAlerts, writeLake } from '../support/lake-fixture.ts';
import { tempDir } from '../support/tmp.ts';

const clients = { target: 'local', names: LOCAL_NAMES } as unknown as Clients;

let engine: LocalSqlEngine;
let report: Report;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  const t = await tempDir('dubegrid-report-');
  cleanup = t.cleanup;
  const f = summaryFixture();
  const writer = await DuckDbParquetWriter.open();
  await writeLake(t.dir, [...f.firstDelivery, ...f.redelivered, f.correction], writer);
  await writer.close();
  await writeAlerts(t.dir, f.notifications);
  engine = await LocalSqlEngine.open({ lakeDir: t.dir, assets: f.assets });
  report = await buildReport(engine, clients, {
    month: '2025-08',
    top: 2,
    now: () => new Date('2025-09-05T00:00:00Z'),
  });
});
afterAll(async () => {
  await engine.close();
  await cleanup();
});

describe('the asset performance report', () => {
  it("carries the summaries' alert counts per asset and per day", () => {
    expect(report.assets.map((a) => [a.asset_id, a.peak_utilisation_pct, a.alerts, a.critical_alerts])).toEqual([
      // highest peak utilisation first, unrated last
      ['S1', 80, 0, 0],
      ['S1:01', 60, 2, 1],
      ['S2:01', 30, 0, 0],
      ['S2', 12, 1, 1],
      ['S2:02', null, 0, 0],
    ]);
    const daily = report.daily
      .filter((r) => r.asset_id === 'S1:01')
      .map((r) => [r.period, r.alerts, r.critical_alerts]);
    expect(daily).toEqual([
      ['2025-08-01', 1, 0],
      ['2025-08-02', 1, 1],
    ]);
  });

  it('charts the top assets hour by hour', () => {
    expect(report.charts.map((c) => [c.asset_id, c.rating, c.rating_unit, c.hours.length])).toEqual([
      ['S1', 100, 'kVA', 2],
      ['S1:01', 200, 'A', 2],
    ]);
    // the substation's load is its own apparent power: 80 kVA in the first hour
    expect(report.charts[0]?.hours[0]).toMatchObject({
      hour: '2025-08-01T00:00:00.000Z',
      max_load: 80,
      v_min: 215,
      v_max: 254,
    });
  });

  it('writes CSV, HTML and the terminal table', () => {
    const csv = reportCsv(report).trim().split('\n');
    expect(csv[0]).toBe(
      'asset_id,substation_id,feeder_id,period,interval_minutes,intervals_expected,intervals_present,completeness_pct,peak_demand_kw,mean_demand_kw,load_factor,rating,rating_unit,peak_utilisation_pct,mean_utilisation_pct,minutes_outside_voltage_band,mean_phase_imbalance_pct,max_phase_imbalance_pct,reverse_power_minutes,alerts,critical_alerts',
    );
    expect(csv[2]).toBe('S1:01,S1,01,2025-08,10,145,4,2.76,30,13.75,0.458,200,A,60,37.5,20,10,20,10,2,1');
    expect(csv).toHaveLength(6);

    const html = renderReportHtml(report);
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).toContain('<h3>S1:01</h3>');
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org)/);

    const text = renderTerminal(report, 2).split('\n');
    expect(text[0]).toBe('Asset performance 2025-08: 5 assets, highest peak utilisation first');
    expect(text[5]).toMatch(/^S1:01 +30 +13\.75 +0\.458 +60 +200 A +20 +10 +10 +2\.76 +2$/);
    expect(text[2]).toContain('complete % (covered period)');
    expect(text.at(-1)).toBe('… 3 more assets (all of them with --out FILE.csv or FILE.html)');
  });
});
