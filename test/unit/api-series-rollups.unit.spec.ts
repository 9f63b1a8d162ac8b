/**
 * The long-range series cores: the bucket grid snapped to rollup periods, the split of a
 * range between the rollups and the readings, and that a bucket's min and max from
 * rollup periods equal the same bucket's from the readings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketOf, PERIOD_MS, seriesGrid } from '../../src/api/buckets.ts';
import { downsampleMinMax, extremesByBucket, type Extremes } from '../../src/api/downsample.ts';
import type { ApiStores, RollupPoint, SeriesRange } from '../../src/api/deps.ts';
import { fetchSeries, planRollups, rollupCandidateDays } from '../../src/api/series.ts';

const H = PERIOD_MS.hourly;
const D = PERIOD_MS.daily;
const T0 = Date.parse('2025-08-01T00:00:00Z');

describe('seriesGrid', () => {
  it('keeps equal buckets shorter than an hour', () => {
    const g = seriesGrid(T0, T0 + D, 1000); // 500 buckets of 172.8 s
    expect(g.grain).toBeUndefined();
    expect(g.edges).toHaveLength(501);
    expect((g.edges[1] as number) - (g.edges[0] as number)).toBe(172_800);
  });

  it('snaps inner edges to whole hours, then days; the ends stay the range', () => {
    const from = T0 + 25 * 60_000; // 00:25
    const to = T0 + 31 * D + 7 * 60_000;
    const g = seriesGrid(from, to, 1200);
    expect(g.grain).toBe('hourly');
    expect(g.edges[0]).toBe(from);
    expect(g.edges.at(-1)).toBe(to);
    expect(g.edges).toHaveLength(601);
    for (const e of g.edges.slice(1, -1)) expect(e % H).toBe(0);
    expect(seriesGrid(T0, T0 + 400 * D, 200).grain).toBe('daily');
  });

  it('any range and max_points: at most max_points/2 buckets, ascending, each holding a whole period when snapped (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 * D }),
        fc.integer({ min: 60_000, max: 400 * D }),
        fc.integer({ min: 2, max: 4_000 }),
        (offset, length, maxPoints) => {
          const from = T0 + offset;
          const g = seriesGrid(from, from + length, maxPoints);
          expect(g.edges.length - 1).toBeLessThanOrEqual(Math.max(1, Math.floor(maxPoints / 2)));
          const rising = g.edges.every((e, i) => i === 0 || e > (g.edges[i - 1] as number));
          const snapped = !g.grain || g.edges.slice(1, -1).every((e) => e % PERIOD_MS[g.grain!] === 0);
          expect([rising, snapped]).toEqual([true, true]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('bucketOf finds the bucket of a time', () => {
    const edges = [0, 10, 20, 30];
    expect([0, 9, 10, 29].map((t) => bucketOf(edges, t))).toEqual([0, 0, 1, 2]);
  });
});

describe('planRollups', () => {
  const range = { assetId: 'A', measurements: ['m'], fromMs: T0 + 25 * 60_000, toMs: T0 + 3 * D + 30 * 60_000 };
  const now = T0 + 40 * D;
  it('whole hours of current days from the rollups; partial hours and other days from the readings', () => {
    expect(rollupCandidateDays(range, 'hourly')).toEqual(['2025-08-01', '2025-08-02', '2025-08-03']); // 08-04 has no whole hour
    const all = planRollups(range, 'hourly', new Set(['2025-08-01', '2025-08-02', '2025-08-03', '2025-08-04']), now);
    expect(all.rollups.map((r) => [r.fromMs, r.toMs])).toEqual([[T0 + H, T0 + 3 * D]]);
    expect(all.readings.map((r) => [r.fromMs, r.toMs])).toEqual([
      [range.fromMs, T0 + H],
      [T0 + 3 * D, range.toMs],
    ]);
    const gap = planRollups(range, 'hourly', new Set(['2025-08-01', '2025-08-03']), now);
    expect(gap.rollups.map((r) => [r.fromMs, r.toMs])).toEqual([
      [T0 + H, T0 + D],
      [T0 + 2 * D, T0 + 3 * D],
    ]);
    expect(gap.readings.map((r) => [r.fromMs, r.toMs])).toEqual([
      [range.fromMs, T0 + H],
      [T0 + D, T0 + 2 * D],
      [T0 + 3 * D, range.toMs],
    ]);
  });

  it('a day not yet over (or within the delivery buffer) is read as readings, current or not', () => {
    const days = new Set(['2025-08-01', '2025-08-02', '2025-08-03']);
    const early = planRollups(range, 'hourly', days, T0 + 2 * D + 60_000);
    expect(early.rollups.map((r) => [r.fromMs, r.toMs])).toEqual([[T0 + H, T0 + D]]);
    expect(early.readings.map((r) => [r.fromMs, r.toMs])).toEqual([
      [range.fromMs, T0 + H],
      [T0 + D, range.toMs],
    ]);
  });
});

describe('a bucket of whole periods: the rollups min and max equal the readings', () => {
  it('for any readings and grid (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 10 * D - 1 }), fc.integer({ min: -500, max: 500 })), {
          minLength: 1,
          maxLength: 400,
        }),
        fc.integer({ min: 2, max: 200 }),
        (raw, maxPoints) => {
          const byTime = new Map(raw.map(([t, v]) => [T0 + t, v]));
          const t = [...byTime.keys()].sort((a, b) => a - b);
          const v = t.map((x) => byTime.get(x) as number);
          const from = T0;
          const to = T0 + 10 * D;
          const grid = seriesGrid(from, to, maxPoints);
          if (!grid.grain) return;
          const p = PERIOD_MS[grid.grain];
          // the rollups of these readings, period by period
          const periods = new Map<number, Extremes & { first: number; last: number }>();
          t.forEach((x, i) => {
            const at = Math.floor(x / p) * p;
            const val = v[i] as number;
            const cur = periods.get(at);
            periods.set(at, {
              at,
              min: Math.min(cur?.min ?? val, val),
              max: Math.max(cur?.max ?? val, val),
              first: Math.min(cur?.first ?? x, x),
              last: Math.max(cur?.last ?? x, x),
              minT: 0,
              maxT: 0,
            });
          });
          const pieces = [...periods.values()]
            .map((e) => ({ ...e, minT: (e.first + e.last) / 2, maxT: (e.first + e.last) / 2 }))
            .sort((a, b) => a.at - b.at);
          const fromRollups = extremesByBucket(pieces, grid.edges);
          const fromReadings = downsampleMinMax({ t, v }, 1, grid.edges); // 1: always bucketed
          expect(perBucket(fromRollups, grid.edges)).toEqual(perBucket(fromReadings, grid.edges));
        },
      ),
      { numRuns: 100 },
    );
  });
});

/** Per bucket index: [min, max] of the points in it. */
function perBucket(points: { t: readonly number[]; v: readonly number[] }, edges: readonly number[]) {
  const out = new Map<number, [number, number]>();
  points.t.forEach((t, i) => {
    const b = bucketOf(edges, t);
    const v = points.v[i] as number;
    const cur = out.get(b);
    out.set(b, [Math.min(cur?.[0] ?? v, v), Math.max(cur?.[1] ?? v, v)]);
  });
  return [...out.entries()].sort((a, b) => a[0] - b[0]);
}

describe('fetchSeries', () => {
  const day = '2025-08-01';
  const range = { assetId: 'A', measurements: ['m'], fromMs: T0, toMs: T0 + 2 * D };
  /** Stores over one reading every `every` ms (value i % 97); the rollups current for `day`. */
  const stores = (calls: string[], every = 600_000): ApiStores => {
    const readings = (r: SeriesRange) => {
      calls.push(`table ${r.fromMs - T0}-${r.toMs - T0}`);
      const out = [];
      for (let t = Math.ceil(r.fromMs / every) * every; t < r.toMs; t += every)
        out.push({ measurement: 'm', unit: 'A', t, value: (t / every) % 97 });
      return Promise.resolve(out);
    };
    return {
      tableSeries: readings,
      lakeSeries: () => Promise.reject(new Error('no TTL: never the lake')),
      currentRollupDays: (days) => Promise.resolve(new Set(days.filter((d) => d === day))),
      rollupSeries: async (r, grain) => {
        calls.push(`${grain} ${r.fromMs - T0}-${r.toMs - T0}`);
        const out: RollupPoint[] = [];
        const all = await readings(r);
        calls.pop();
        for (let t = r.fromMs; t < r.toMs; t += H) {
          const vs = all.filter((p) => p.t >= t && p.t < t + H);
          if (!vs.length) continue; // the rollups hold only periods with readings
          const values = vs.map((p) => p.value);
          out.push({
            measurement: 'm',
            unit: 'A',
            t,
            count: vs.length,
            min: Math.min(...values),
            max: Math.max(...values),
            firstMs: vs[0]!.t,
            lastMs: vs.at(-1)!.t,
          });
        }
        return out;
      },
    } as Partial<ApiStores> as ApiStores;
  };

  it('a downsampled answer takes the current day from the rollups and the rest from the table', async () => {
    const calls: string[] = [];
    const reads = await fetchSeries(stores(calls), range, 40, undefined, T0 + 10 * D);
    expect(reads.store).toBe('readings_hourly+table');
    expect(calls.sort()).toEqual([`hourly 0-${D}`, `table ${D}-${2 * D}`]);
    expect(reads.rollups.reduce((n, p) => n + p.count, 0) + reads.readings.length).toBe(288);
  });

  it('a series within max_points is read as readings after all, and not downsampled', async () => {
    const calls: string[] = [];
    const long = { ...range, toMs: T0 + 20 * D }; // one reading every 2 h: 240 readings, 150 buckets of 3.2 h
    const reads = await fetchSeries(stores(calls, 2 * H), long, 300, undefined, T0 + 30 * D);
    expect(seriesGrid(long.fromMs, long.toMs, 300).grain).toBe('hourly');
    expect(calls).toContain(`hourly 0-${D}`);
    expect(reads.store).toBe('table');
    expect(reads.rollups).toEqual([]);
    expect(reads.readings).toHaveLength(240);
    expect(calls).toContain(`table 0-${D}`);
  });
});
