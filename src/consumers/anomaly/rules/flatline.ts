/**
 * `flatline`: the same value N readings in a row on a measurement that normally
 * varies — a stuck sensor.
 */
import { normal, type SeriesRule } from './rule.ts';
import type { Finding } from './types.ts';

export interface FlatlineState extends Record<string, unknown> {
  /** The last value … */
  readonly v: number;
  /** … and how many readings in a row have had it. */
  readonly n: number;
}

export const flatline: SeriesRule<FlatlineState | undefined> = {
  id: 'flatline',
  appliesTo: (s, config) => config.flatline.units.includes(s.unit),
  evaluate(state, { t, value }, { config, series }) {
    const c = config.flatline;
    const n = state && state.v === value ? state.n + 1 : 1;
    const next: FlatlineState = { v: value, n };
    if (n < c.count || (c.ignore_zero && value === 0)) return { state: next, findings: [normal('flatline', t)] };
    const finding: Finding = {
      rule: 'flatline',
      kind: 'breach',
      t,
      severity: c.severity,
      value: n,
      threshold: c.count,
      unit: 'readings',
      detail: `${series.measurement} has read ${value} ${series.unit} for ${n} readings in a row`,
    };
    return { state: next, findings: [finding] };
  },
};
