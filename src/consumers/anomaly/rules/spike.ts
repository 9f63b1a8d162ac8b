/**
 * `spike`: a reading whose rolling z-score over the previous `window` readings is
 * beyond `z`, confirmed by the next reading coming back (within `return_fraction` of
 * the jump from the mean). The
 * confirmation is what tells a transient spike from a step that stays (an overload,
 * a voltage excursion, a stuck sensor let go): those belong to other rules. So a
 * spike is reported one reading late, with the time of the spike itself. A reading
 * whose oddness another rule already explains is never a spike candidate.
 */
import { normal, type SeriesRule } from './rule.ts';
import type { Finding } from './types.ts';

export interface SpikeState extends Record<string, unknown> {
  /** The previous readings' values, oldest first (confirmed spikes left out). */
  readonly w: readonly number[];
  /** A candidate awaiting the next reading: time, value, the mean and std it was judged against, its z. */
  readonly p?: { readonly t: number; readonly v: number; readonly m: number; readonly s: number; readonly z: number };
}

export const spike: SeriesRule<SpikeState | undefined> = {
  id: 'spike',
  appliesTo: (s, config) => config.spike.units.includes(s.unit),
  evaluate(state, { t, value }, { config, series, explained }) {
    const c = config.spike;
    let w = state?.w ?? [];
    const findings: Finding[] = [];
    const p = state?.p;
    if (p) {
      if (Math.abs(value - p.m) <= c.return_fraction * Math.abs(p.v - p.m)) {
        findings.push({
          rule: 'spike',
          kind: 'breach',
          t: p.t,
          severity: c.severity,
          value: round(p.z),
          threshold: c.z,
          unit: 'z',
          detail: `${series.measurement} jumped to ${p.v} ${series.unit}, ${round(p.z)} σ from the mean ${round(p.m)} ${series.unit} of the previous ${w.length} readings, and came back`,
        });
      } else {
        w = [...w, p.v]; // a level change: the candidate is data like any other
      }
    }
    if (w.length >= c.min_samples && !explained) {
      const { mean, std } = stats(w);
      const s = Math.max(std, c.rel_std_floor * Math.abs(mean));
      const z = s > 0 ? Math.abs(value - mean) / s : 0;
      if (z >= c.z) return { state: { w: w.slice(-c.window), p: { t, v: value, m: mean, s, z } }, findings };
    }
    if (w.length >= c.min_samples) findings.push(normal('spike', t));
    return { state: { w: [...w, value].slice(-c.window) }, findings };
  },
};

function stats(xs: readonly number[]): { mean: number; std: number } {
  let sum = 0;
  for (const x of xs) sum += x;
  const mean = sum / xs.length;
  let sq = 0;
  for (const x of xs) sq += (x - mean) ** 2;
  return { mean, std: Math.sqrt(sq / xs.length) };
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
