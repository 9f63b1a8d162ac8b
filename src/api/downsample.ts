/**
 * Downsampling that keeps peaks and dips: the range is cut into buckets (`buckets.ts`)
 * and each bucket keeps its minimum and its maximum (in time order), so a spike or a
 * dip of one reading survives any zoom level. A series already within `maxPoints` is
 * returned as it is.
 *
 * A bucket's min and max are taken over pieces: a reading, or a rollup period with its
 * own min and max. Min and max compose, so a bucket made of whole periods has the same
 * extremes from the rollups as from the readings.
 */
import { bucketOf } from './buckets.ts';

export interface Points {
  /** Epoch ms, ascending. */
  readonly t: readonly number[];
  readonly v: readonly number[];
}

/** A reading, or a rollup period summarised by its extremes. */
export interface Extremes {
  /** Where it falls in the grid: a reading's time, a period's start. */
  readonly at: number;
  readonly min: number;
  /** When the min was read (a period: the time it is drawn at). */
  readonly minT: number;
  readonly max: number;
  readonly maxT: number;
}

export function downsampleMinMax(points: Points, maxPoints: number, edges: readonly number[]): Points {
  if (points.t.length <= maxPoints) return points;
  const pieces = points.t.map((t, i) => {
    const v = points.v[i] as number;
    return { at: t, min: v, minT: t, max: v, maxT: t };
  });
  return extremesByBucket(pieces, edges);
}

/** Each bucket's min and max over its pieces (ascending by `at`); ties keep the earlier piece. */
export function extremesByBucket(pieces: readonly Extremes[], edges: readonly number[]): Points {
  const t: number[] = [];
  const v: number[] = [];
  let i = 0;
  while (i < pieces.length) {
    const bucket = bucketOf(edges, (pieces[i] as Extremes).at);
    const end = edges[bucket + 1] as number;
    let lo = pieces[i] as Extremes;
    let hi = lo;
    for (i++; i < pieces.length && (pieces[i] as Extremes).at < end; i++) {
      const p = pieces[i] as Extremes;
      if (p.min < lo.min) lo = p;
      if (p.max > hi.max) hi = p;
    }
    const low = { t: lo.minT, v: lo.min };
    const high = { t: hi.maxT, v: hi.max };
    if (lo === hi && lo.min === lo.max) {
      t.push(low.t);
      v.push(low.v);
      continue;
    }
    for (const p of high.t < low.t ? [high, low] : [low, high]) {
      t.push(p.t);
      v.push(p.v);
    }
  }
  return { t, v };
}
