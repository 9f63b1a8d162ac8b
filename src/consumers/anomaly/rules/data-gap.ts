/**
 * `data_gap`: more than `factor` × the series' expected interval between two
 * readings. The expected interval is learnt from the series itself (the median of
 * its recent intervals), so half-hourly and 10-minute sources need no setting. A gap
 * is seen when the series resumes: the reading after it is the one judged.
 */
import { normal, type SeriesRule } from './rule.ts';
import type { Finding } from './types.ts';

export interface DataGapState extends Record<string, unknown> {
  /** Time of the previous reading, epoch ms. */
  readonly last: number;
  /** Recent intervals, ms, oldest first (gaps excluded). */
  readonly d: readonly number[];
}

export const dataGap: SeriesRule<DataGapState | undefined> = {
  id: 'data_gap',
  appliesTo: () => true,
  evaluate(state, { t }, { config, series }) {
    const c = config.data_gap;
    if (!state) return { state: { last: t, d: [] }, findings: [] };
    const delta = t - state.last;
    const expected = state.d.length >= c.min_deltas ? median(state.d) : undefined;
    if (expected !== undefined && expected > 0 && delta > c.factor * expected) {
      const finding: Finding = {
        rule: 'data_gap',
        kind: 'breach',
        t,
        severity: c.severity,
        value: minutes(delta),
        threshold: minutes(c.factor * expected),
        unit: 'min',
        detail: `${series.measurement} had no reading for ${minutes(delta)} min (expected every ${minutes(expected)} min)`,
      };
      // The gap itself does not teach the expected interval.
      return { state: { last: t, d: state.d }, findings: [finding] };
    }
    const d = [...state.d, delta].slice(-c.delta_history);
    return { state: { last: t, d }, findings: expected === undefined ? [] : [normal('data_gap', t)] };
  },
};

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function minutes(ms: number): number {
  return Math.round((ms / 60_000) * 10) / 10;
}
