import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetView, loadOf } from '../../src/api/asset-view.ts';
import { bearerToken, newToken, tokenMatches } from '../../src/api/auth.ts';
import { seriesGrid } from '../../src/api/buckets.ts';
import { downsampleMinMax } from '../../src/api/downsample.ts';
import { SeriesQuery } from '../../src/api/schemas.ts';
import { planSeries } from '../../src/api/series.ts';
import { staticFile } from '../../src/api/static.ts';
import { assetStatus, STALE_AFTER_MS } from '../../src/api/status.ts';
import { monthsOf } from '../../src/api/store.ts';
import type { IncidentRecord } from '../../src/consumers/anomaly/alerts.ts';
import type { AssetItem } from '../../src/shared/asset-item.ts';
import { tempDir } from '../support/tmp.ts';

describe('downsampleMinMax', () => {
  it('keeps every bucket min and max, so a one-reading spike and dip survive', () => {
    const n = 10_000;
    const t = Array.from({ length: n }, (_, i) => i * 60_000);
    const v = t.map((_, i) => (i === 4321 ? 999 : i === 7777 ? -999 : Math.sin(i / 50)));
    const out = downsampleMinMax({ t, v }, 500, seriesGrid(0, n * 60_000, 500).edges);
    expect(out.t.length).toBeLessThanOrEqual(500);
    expect(out.v).toContain(999);
    expect(out.v).toContain(-999);
    expect([...out.t]).toEqual([...out.t].sort((a, b) => a - b));
  });

  it('returns a series within max_points unchanged', () => {
    const p = { t: [1, 2, 3], v: [3, 1, 2] };
    expect(downsampleMinMax(p, 3, seriesGrid(0, 4, 3).edges)).toBe(p);
  });

  it('never exceeds max_points and keeps the global extremes (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1, maxLength: 2_000 }),
        fc.integer({ min: 2, max: 300 }),
        (values, maxPoints) => {
          const t = values.map((_, i) => i * 1_000);
          const out = downsampleMinMax(
            { t, v: values },
            maxPoints,
            seriesGrid(0, values.length * 1_000, maxPoints).edges,
          );
          expect(out.t.length).toBeLessThanOrEqual(maxPoints);
          expect(Math.max(...out.v)).toBe(Math.max(...values));
          expect(Math.min(...out.v)).toBe(Math.min(...values));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('assetStatus', () => {
  const net = Date.parse('2025-08-31T23:50:00Z');
  const base = { newestMs: net, networkNewestMs: net, openIncidents: 0, staleFeedOpen: false, watchdog: true };
  it('stale comes from an open stale_feed incident, and beats alerting', () => {
    expect(assetStatus({ ...base, openIncidents: 1, staleFeedOpen: true })).toBe('stale');
    expect(assetStatus({ ...base, openIncidents: 3, staleFeedOpen: true })).toBe('stale');
    expect(assetStatus({ ...base, openIncidents: 1 })).toBe('alerting');
    expect(assetStatus({ ...base, newestMs: undefined })).toBe('unknown');
    expect(assetStatus(base)).toBe('ok');
  });
  it('with the watchdog running, lagging the network is not stale (its cadence and watermark decide)', () => {
    expect(assetStatus({ ...base, newestMs: net - 10 * STALE_AFTER_MS })).toBe('ok');
  });
  it('without watchdog data, falls back to the newest reading against the network newest', () => {
    const off = { ...base, watchdog: false };
    expect(assetStatus({ ...off, newestMs: net - STALE_AFTER_MS - 1 })).toBe('stale');
    expect(assetStatus({ ...off, newestMs: net - STALE_AFTER_MS })).toBe('ok');
    expect(assetStatus({ ...off, newestMs: net - STALE_AFTER_MS - 1, openIncidents: 1 })).toBe('alerting');
    expect(assetStatus({ ...off, newestMs: undefined })).toBe('unknown');
  });
});

describe('planSeries: the TTL setting decides the store, not missing rows', () => {
  const day = 86_400_000;
  const now = Date.parse('2025-09-01T00:00:00Z');
  const range = { assetId: 'A', measurements: ['m'], fromMs: now - 30 * day, toMs: now };
  it('without a TTL the table answers everything', () => {
    expect(planSeries(range, undefined, now)).toEqual({ table: range, store: 'table' });
  });
  it('a range older than the TTL goes to the lake, a younger one to the table, a straddling one to both', () => {
    expect(planSeries(range, 60, now).store).toBe('table');
    expect(planSeries({ ...range, toMs: now - 20 * day }, 7, now)).toEqual({
      lake: { ...range, toMs: now - 20 * day },
      store: 'lake',
    });
    const both = planSeries(range, 7, now);
    expect(both.store).toBe('table+lake');
    expect(both.lake?.toMs).toBe(now - 7 * day);
    expect(both.table?.fromMs).toBe(now - 7 * day);
  });
  it('monthsOf lists every month a range touches', () => {
    expect(monthsOf(Date.parse('2025-07-31T23:00:00Z'), Date.parse('2025-09-01T00:00:00Z'))).toEqual([
      { year: '2025', month: '07' },
      { year: '2025', month: '08' },
    ]);
    expect(monthsOf(Date.parse('2025-12-15T00:00:00Z'), Date.parse('2026-01-02T00:00:00Z'))).toEqual([
      { year: '2025', month: '12' },
      { year: '2026', month: '01' },
    ]);
  });
});

describe('SeriesQuery: malformed or oversized bounds are refused with a reason', () => {
  const ok = { measurement: 'l1_voltage', from: '2025-08-01', to: '2025-08-02' };
  const reason = (q: Record<string, string>): string | undefined => SeriesQuery.safeParse(q).error?.issues[0]?.message;
  it.each([
    [{ ...ok, from: 'yesterday' }, /a time is a date/],
    [{ ...ok, from: '2025-13-45' }, /not a real date/],
    [{ ...ok, to: `2025-08-02${'0'.repeat(5_000)}` }, /at most 40/],
    [{ ...ok, from: '2025-08-03' }, /before to/],
    [{ ...ok, from: '1900-01-01' }, /between 1970 and 2100/],
    [{ ...ok, from: '2020-01-01' }, /at most 400 days/],
    [{ ...ok, max_points: '1' }, /from 2 to 20000/],
    [{ ...ok, max_points: '99999999999' }, /whole number/],
    [{ ...ok, max_points: '-5' }, /whole number/],
    [{ ...ok, measurement: 'l1_voltage;drop' }, /slug/],
  ])('%j', (q, message) => {
    expect(reason(q)).toMatch(message);
  });
  it('accepts a good request and defaults max_points', () => {
    expect(SeriesQuery.parse({ ...ok, from: '2025-08-01T00:00:00+01:00' }).max_points).toBeUndefined();
    expect(SeriesQuery.parse({ ...ok, max_points: '500' }).max_points).toBe(500);
  });
});

describe('assetView', () => {
  const reg = (over: Partial<AssetItem>): AssetItem => ({
    asset_id: 'S1',
    kind: 'substation',
    substation_id: 'S1',
    substation_name: 'Mill Road',
    feeder_id: '',
    transformer_kva: 500,
    has_generation: false,
    source_key: 'k',
    loaded_at: 't',
    ...over,
  });
  const point = (asset_id: string, measurement: string, value: number, ts: string) => ({
    asset_id,
    measurement,
    value,
    ts,
    unit: 'A',
    phase: null,
  });
  it('joins the registry, latest and open incidents; an asset only in latest is listed too', () => {
    const view = assetView(
      [reg({}), reg({ asset_id: 'S1:1', kind: 'feeder', feeder_id: '1', rated_current_a: 400 })],
      [
        point('S1:1', 'l1_current', 100, '2025-08-31T23:50:00.000Z'),
        point('S1:1', 'l2_current', 200, '2025-08-31T23:50:00.000Z'),
        point('S1', 'total_apparent_power', 250, '2025-08-31T20:00:00.000Z'),
        point('X9:2', 'l1_current', 5, '2025-08-31T23:50:00.000Z'),
      ],
      [
        { asset_id: 'S1:1', status: 'open', rule: 'voltage_out_of_range' } as IncidentRecord,
        { asset_id: 'S1', status: 'closed', rule: 'stale_feed' } as IncidentRecord,
      ],
      false,
    );
    expect(view.networkNewest).toBe('2025-08-31T23:50:00.000Z');
    const by = Object.fromEntries(view.assets.map((a) => [a.asset_id, a]));
    expect(by['S1:1']).toMatchObject({
      load: 200,
      load_pct: 50,
      rating_unit: 'A',
      open_incidents: 1,
      status: 'alerting',
    });
    expect(by.S1).toMatchObject({ load: 250, load_pct: 50, rating: 500, status: 'stale', open_incidents: 0 });
    expect(by['X9:2']).toMatchObject({
      in_registry: false,
      kind: 'feeder',
      rating: null,
      load_pct: null,
      status: 'ok',
    });
  });
  it('an open stale_feed incident makes its asset stale; with the watchdog on, lagging alone does not', () => {
    const latest = [
      point('S1', 'total_apparent_power', 250, '2025-08-31T20:00:00.000Z'),
      point('S1:1', 'l1_current', 100, '2025-08-31T23:50:00.000Z'),
      point('S1:2', 'l1_current', 100, '2025-08-31T23:50:00.000Z'),
    ];
    const incidents = [
      { asset_id: 'S1:1', status: 'open', rule: 'stale_feed' } as IncidentRecord,
      { asset_id: 'S1:1', status: 'open', rule: 'voltage_out_of_range' } as IncidentRecord,
      { asset_id: 'S1:2', status: 'closed', rule: 'stale_feed' } as IncidentRecord,
    ];
    const by = Object.fromEntries(assetView([reg({})], latest, incidents, true).assets.map((a) => [a.asset_id, a]));
    expect(by['S1:1']).toMatchObject({ status: 'stale', open_incidents: 2 });
    expect(by['S1:2']?.status).toBe('ok');
    expect(by.S1?.status).toBe('ok');
  });
  it('a substation without an apparent-power reading loads |P + jQ|', () => {
    expect(
      loadOf('substation', [point('S', 'total_active_power', 30, 't'), point('S', 'total_reactive_power', 40, 't')]),
    ).toBe(50);
  });
});

describe('auth', () => {
  it('compares tokens exactly and reads only a Bearer header', () => {
    const t = newToken();
    expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokenMatches(t, t)).toBe(true);
    expect(tokenMatches(`${t}x`, t)).toBe(false);
    expect(tokenMatches('', t)).toBe(false);
    expect(bearerToken(`Bearer ${t}`)).toBe(t);
    expect(bearerToken(`Basic ${t}`)).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
});

describe('staticFile: nothing outside the console directory is ever read', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    root = join(t.dir, 'console');
    await mkdir(join(root, 'assets'), { recursive: true });
    await writeFile(join(root, 'index.html'), '<html>');
    await writeFile(join(root, 'assets', 'app.js'), 'js');
    await writeFile(join(t.dir, 'secret.txt'), 'secret');
    await writeFile(join(t.dir, 'console-evil.txt'), 'sibling');
    await symlink(join(t.dir, 'secret.txt'), join(root, 'assets', 'link.txt'));
  });
  afterAll(() => cleanup());

  it('serves files inside', async () => {
    expect((await staticFile(root, '/assets/app.js'))?.type).toMatch(/javascript/);
    expect((await staticFile(root, '/index.html'))?.body.toString()).toBe('<html>');
  });
  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/assets/..%2F..%2Fsecret.txt',
    '/%2e%2e%2fconsole-evil.txt',
    '/assets/link.txt',
    '/assets/app.js%00.html',
    '/%E0%A4%A',
    '/assets',
  ])('refuses %s', async (path) => {
    expect(await staticFile(root, path)).toBeUndefined();
  });
});
