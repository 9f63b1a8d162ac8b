/**
 * Series as charts want them: several measurements' points on one time axis (the union
 * of their timestamps, null where one has no reading), and the asset's load as a share
 * of its rating. Pure.
 */
/** A series as the API returns it: epoch milliseconds and values, in step. */
export interface Columns {
  readonly t: readonly number[];
  readonly v: readonly number[];
}

export interface Aligned {
  /** Epoch seconds, ascending. */
  readonly xs: number[];
  readonly columns: (number | null)[][];
}

export function align(series: readonly Columns[]): Aligned {
  const times = new Set<number>();
  for (const s of series) for (const t of s.t) times.add(t);
  const sorted = [...times].sort((a, b) => a - b);
  const index = new Map(sorted.map((t, i) => [t, i]));
  const columns = series.map((s) => {
    const col: (number | null)[] = new Array<number | null>(sorted.length).fill(null);
    s.t.forEach((t, i) => (col[index.get(t) ?? 0] = s.v[i] ?? null));
    return col;
  });
  return { xs: sorted.map((t) => t / 1000), columns };
}

/** Per timestamp, the largest of the columns as a percentage of `rating` (a feeder's most loaded phase). */
export function loadPct(columns: readonly (number | null)[][], rating: number): (number | null)[] {
  const n = columns[0]?.length ?? 0;
  const out: (number | null)[] = [];
  for (let i = 0; i < n; i++) {
    let max: number | null = null;
    for (const c of columns) {
      const v = c[i];
      if (v !== null && v !== undefined && (max === null || v > max)) max = v;
    }
    out.push(max === null ? null : (max / rating) * 100);
  }
  return out;
}

export type RangeName = 'day' | 'week' | 'month';

export const RANGE_DAYS: Record<RangeName, number> = { day: 1, week: 7, month: 31 };

/**
 * The range `days` long ending just after `end` (ISO): the API's `to` is exclusive, and the
 * newest reading (and an alert it raised) belongs in the picture.
 */
export function rangeEnding(end: string, days: number): { from: string; to: string } {
  const to = Date.parse(end) + 1_000;
  return { from: new Date(to - days * 86_400_000).toISOString(), to: new Date(to).toISOString() };
}
