/** Timing helpers of the API benchmark: the nearest-rank percentile and a timed call. */
import { round } from '../../types.ts';

/** Nearest-rank percentile (`q` in 0..1); NaN for no samples. */
export function percentile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
}

/** Milliseconds `f` takes, to 0.1 ms. */
export async function timed(f: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await f();
  return round(performance.now() - t, 1);
}

export interface Paired {
  readonly httpMs: number[];
  readonly directMs: number[];
}

/**
 * `runs` pairs, each the HTTP call and the direct one back to back, their order
 * alternating so neither always runs on the caches the other warmed; one unmeasured
 * warm-up pair first (module and connection set-up belong to neither side).
 */
export async function paired(
  runs: number,
  http: () => Promise<unknown>,
  direct: () => Promise<unknown>,
): Promise<Paired> {
  await http();
  await direct();
  const out: Paired = { httpMs: [], directMs: [] };
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      out.httpMs.push(await timed(http));
      out.directMs.push(await timed(direct));
    } else {
      out.directMs.push(await timed(direct));
      out.httpMs.push(await timed(http));
    }
  }
  return out;
}

/** p50/p95 of both sides, with a prefix per figure. */
export function pairedFigures(prefix: string, p: Paired): Record<string, number> {
  return {
    [`${prefix}_http_p50_ms`]: percentile(p.httpMs, 0.5),
    [`${prefix}_http_p95_ms`]: percentile(p.httpMs, 0.95),
    [`${prefix}_direct_p50_ms`]: percentile(p.directMs, 0.5),
    [`${prefix}_direct_p95_ms`]: percentile(p.directMs, 0.95),
  };
}
