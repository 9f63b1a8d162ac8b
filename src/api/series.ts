/**
 * A series request: which store holds which part of the range, read, grouped by
 * measurement, downsampled.
 *
 * - Readings: the split between the time-series table and the lake is decided by the
 *   readings TTL setting, never by missing rows: dynalite never expires items and
 *   DynamoDB's TTL deletes lazily, so an expired reading may or may not still be there.
 * - Rollups: when the buckets are whole hours or days (`buckets.ts`), the answer is
 *   downsampled anyway and each bucket's min and max are those of its periods, so the
 *   rollups answer every whole period of a day whose rollups are current (built from
 *   the lake's readings as they are now; a day within the delivery buffer of now is
 *   still filling, so it never is). The partial periods at the range's ends and the
 *   other days are read as readings. A series that turns out to have no more readings
 *   than `max_points` is not downsampled, so it is read as readings after all.
 */
import type { z } from '@hono/zod-openapi';
import { FIREHOSE_CONVERSION, ROLLUP_GRAINS, type RollupGrain } from '../shared/glue.ts';
import { PERIOD_MS, seriesGrid, type SeriesGrid } from './buckets.ts';
import type { ApiStores, RollupPoint, SeriesPoint, SeriesRange } from './deps.ts';
import { downsampleMinMax, extremesByBucket, type Extremes } from './downsample.ts';
import type { AssetSeries } from './schemas.ts';

export type Store = z.infer<typeof AssetSeries>['store'];

export interface SeriesPlan {
  readonly table?: SeriesRange | undefined;
  readonly lake?: SeriesRange | undefined;
  readonly store: 'table' | 'lake' | 'table+lake';
}

const DAY_MS = 86_400_000;
/** A day ending less than this ago may still have readings on their way to the lake. */
const LAKE_DELIVERY_MS = FIREHOSE_CONVERSION.buffering.intervalSeconds * 1000;

/** Readings older than now − TTL come from the lake; the rest from the table. */
export function planSeries(range: SeriesRange, ttlDays: number | undefined, nowMs: number): SeriesPlan {
  if (ttlDays === undefined) return { table: range, store: 'table' };
  const cutoff = nowMs - ttlDays * DAY_MS;
  if (range.toMs <= cutoff) return { lake: range, store: 'lake' };
  if (range.fromMs >= cutoff) return { table: range, store: 'table' };
  return { lake: { ...range, toMs: cutoff }, table: { ...range, fromMs: cutoff }, store: 'table+lake' };
}

/** The UTC days (`YYYY-MM-DD`) holding a whole period of the grain inside the range. */
export function rollupCandidateDays(range: SeriesRange, grain: RollupGrain): string[] {
  const p = PERIOD_MS[grain];
  const start = Math.ceil(range.fromMs / p) * p;
  const end = Math.floor(range.toMs / p) * p;
  const days: string[] = [];
  for (let d = Math.floor(start / DAY_MS) * DAY_MS; d < end; d += DAY_MS) days.push(dayText(d));
  return days;
}

export interface RollupPlan {
  /** Runs of whole periods the rollups answer. */
  readonly rollups: readonly SeriesRange[];
  /** The rest of the range, read as readings. */
  readonly readings: readonly SeriesRange[];
}

/** Splits the range between the rollups (whole periods of current, finished days) and the readings. */
export function planRollups(
  range: SeriesRange,
  grain: RollupGrain,
  currentDays: ReadonlySet<string>,
  nowMs: number,
): RollupPlan {
  const p = PERIOD_MS[grain];
  const start = Math.ceil(range.fromMs / p) * p;
  const end = Math.floor(range.toMs / p) * p;
  const covered: [number, number][] = [];
  for (let d = Math.floor(start / DAY_MS) * DAY_MS; d < end; d += DAY_MS) {
    if (!currentDays.has(dayText(d)) || d + DAY_MS > nowMs - LAKE_DELIVERY_MS) continue;
    const from = Math.max(d, start);
    const to = Math.min(d + DAY_MS, end);
    if (from >= to) continue;
    const last = covered[covered.length - 1];
    if (last && last[1] === from) last[1] = to;
    else covered.push([from, to]);
  }
  const rollups = covered.map(([fromMs, toMs]) => ({ ...range, fromMs, toMs }));
  const readings: SeriesRange[] = [];
  let at = range.fromMs;
  for (const [from, to] of covered) {
    if (from > at) readings.push({ ...range, fromMs: at, toMs: from });
    at = to;
  }
  if (at < range.toMs) readings.push({ ...range, fromMs: at, toMs: range.toMs });
  return { rollups, readings };
}

/** What the stores gave for one request, before downsampling. */
export interface SeriesReads {
  readonly grid: SeriesGrid;
  readonly readings: readonly SeriesPoint[];
  readonly rollups: readonly RollupPoint[];
  readonly store: Store;
}

/** The store calls of a series request: the rollups where they answer exactly, readings for the rest. */
export async function fetchSeries(
  stores: ApiStores,
  range: SeriesRange,
  maxPoints: number,
  ttlDays: number | undefined,
  nowMs: number,
): Promise<SeriesReads> {
  const grid = seriesGrid(range.fromMs, range.toMs, maxPoints);
  const used = new Set<string>();
  const readRaw = async (parts: readonly SeriesRange[]): Promise<SeriesPoint[]> => {
    const plans = parts.map((r) => planSeries(r, ttlDays, nowMs));
    const reads = await Promise.all(
      plans.flatMap((plan) => [
        plan.lake ? (used.add('lake'), stores.lakeSeries(plan.lake)) : [],
        plan.table ? (used.add('table'), stores.tableSeries(plan.table)) : [],
      ]),
    );
    return reads.flat();
  };
  const grain = grid.grain;
  let plan: RollupPlan = { rollups: [], readings: [range] };
  if (grain) {
    const current = await stores.currentRollupDays(rollupCandidateDays(range, grain));
    plan = planRollups(range, grain, current, nowMs);
  }
  const [readings, periods] = await Promise.all([
    readRaw(plan.readings),
    grain ? Promise.all(plan.rollups.map((r) => stores.rollupSeries(r, grain))).then((x) => x.flat()) : [],
  ]);
  // a measurement with no more readings than max_points is answered reading by reading
  const counts = new Map<string, number>();
  for (const p of readings) counts.set(p.measurement, (counts.get(p.measurement) ?? 0) + 1);
  for (const p of periods) counts.set(p.measurement, (counts.get(p.measurement) ?? 0) + p.count);
  const few = range.measurements.filter(
    (m) => periods.some((p) => p.measurement === m) && (counts.get(m) ?? 0) <= maxPoints,
  );
  let rollups: readonly RollupPoint[] = periods;
  if (few.length) {
    readings.push(...(await readRaw(plan.rollups.map((r) => ({ ...r, measurements: few })))));
    rollups = periods.filter((p) => !few.includes(p.measurement));
  }
  if (grain && rollups.length) used.add(ROLLUP_GRAINS[grain].tableName);
  return { grid, readings, rollups, store: storeName(used) };
}

export async function readSeries(
  stores: ApiStores,
  range: SeriesRange,
  maxPoints: number,
  ttlDays: number | undefined,
  nowMs: number,
): Promise<Omit<z.infer<typeof AssetSeries>, 'from' | 'to'>> {
  const reads = await fetchSeries(stores, range, maxPoints, ttlDays, nowMs);
  let downsampled = false;
  const series = range.measurements.map((measurement) => {
    const points = reads.readings.filter((p) => p.measurement === measurement).sort((a, b) => a.t - b.t);
    const periods = reads.rollups.filter((p) => p.measurement === measurement);
    const unit = points[0]?.unit ?? periods[0]?.unit ?? null;
    const count = points.length + periods.reduce((n, p) => n + p.count, 0);
    const full = { t: points.map((p) => p.t), v: points.map((p) => p.value) };
    const out = periods.length
      ? extremesByBucket(piecesOf(points, periods), reads.grid.edges)
      : downsampleMinMax(full, maxPoints, reads.grid.edges);
    if (out !== full) downsampled = true;
    return { measurement, unit, readings: count, t: [...out.t], v: [...out.v] };
  });
  return { asset_id: range.assetId, max_points: maxPoints, store: reads.store, downsampled, series };
}

/**
 * Readings and rollup periods as one time-ordered list of extremes. A period's min and
 * max are drawn at the middle of its first and last reading: the rollups keep no time
 * of their extremes, and that instant lies inside the period (and so inside its bucket).
 */
function piecesOf(points: readonly SeriesPoint[], periods: readonly RollupPoint[]): Extremes[] {
  const pieces: Extremes[] = points.map((p) => ({ at: p.t, min: p.value, minT: p.t, max: p.value, maxT: p.t }));
  for (const p of periods) {
    const mid = Math.round((p.firstMs + p.lastMs) / 2);
    pieces.push({ at: p.t, min: p.min, minT: mid, max: p.max, maxT: mid });
  }
  return pieces.sort((a, b) => a.at - b.at);
}

/** `readings_hourly+table+lake`: the rollup first, then the readings' stores. */
function storeName(used: ReadonlySet<string>): Store {
  const order = [...Object.values(ROLLUP_GRAINS).map((g) => g.tableName), 'table', 'lake'];
  return order.filter((s) => used.has(s)).join('+') as Store;
}

function dayText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}
