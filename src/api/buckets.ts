/**
 * The bucket grid of a downsampled series: `maxPoints / 2` buckets, each keeping its min
 * and max. When a bucket spans an hour or more, its edges are snapped to whole hours (a
 * day or more: whole days), so each bucket is a union of rollup periods and its min and
 * max are exactly the min of the periods' mins and the max of their maxes: the rollups
 * (`readings_hourly`, `readings_daily`) can answer it, and a raw read answers the same.
 * The grid depends on the request alone, never on the store that answers.
 */
import type { RollupGrain } from '../shared/glue.ts';

export const PERIOD_MS: Readonly<Record<RollupGrain, number>> = { hourly: 3_600_000, daily: 86_400_000 };

export interface SeriesGrid {
  /** Bucket edges, ascending: `edges[0]` is the range's start, the last its end (exclusive). */
  readonly edges: readonly number[];
  /** The rollup whose periods the inner edges fall on; absent when buckets are shorter than an hour. */
  readonly grain?: RollupGrain | undefined;
}

export function bucketCount(maxPoints: number): number {
  return Math.max(1, Math.floor(maxPoints / 2));
}

export function seriesGrid(fromMs: number, toMs: number, maxPoints: number): SeriesGrid {
  const buckets = bucketCount(maxPoints);
  const width = (toMs - fromMs) / buckets;
  const grain = (['daily', 'hourly'] as const).find((g) => width >= PERIOD_MS[g]);
  if (!grain) {
    const edges = Array.from({ length: buckets + 1 }, (_, b) => (b === buckets ? toMs : fromMs + b * width));
    return { edges };
  }
  // The periods the range touches, spread over the buckets as evenly as whole periods go:
  // width ≥ one period means there are at least as many periods as buckets, so every bucket
  // gets one or more, and the partial periods at the two ends fall in the first and last.
  const p = PERIOD_MS[grain];
  const first = Math.floor(fromMs / p) * p;
  const periods = Math.ceil((toMs - first) / p);
  const edges = [fromMs];
  for (let b = 1; b < buckets; b++) edges.push(first + Math.floor((b * periods) / buckets) * p);
  edges.push(toMs);
  return { edges, grain };
}

/** The index of the bucket holding `t` (edges ascending, `t` within them), by bisection. */
export function bucketOf(edges: readonly number[], t: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((edges[mid] as number) <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
