/**
 * `phase_imbalance`: a feeder's L1/L2/L3 currents at one time deviating from their
 * mean by more than a share of it. A group rule: it judges a sample of three
 * readings, which the window assembles from three series.
 */
import type { RulesConfig } from './config.ts';
import { normal } from './rule.ts';
import type { Finding, RuleResult, Severity } from './types.ts';

export type PhaseCurrents = readonly [number, number, number];

export function evaluatePhaseImbalance(t: number, currents: PhaseCurrents, config: RulesConfig): RuleResult<undefined> {
  const c = config.phase_imbalance;
  // A negative current is a metering fault (negative_value), not an imbalance.
  if (currents.some((i) => i < 0)) return { state: undefined, findings: [] };
  const mean = (currents[0] + currents[1] + currents[2]) / 3;
  if (mean < c.min_mean_current_a) return { state: undefined, findings: [normal('phase_imbalance', t)] };
  const deviation = Math.max(...currents.map((i) => Math.abs(i - mean))) / mean;
  const severity: Severity | undefined =
    deviation >= c.critical_ratio ? 'critical' : deviation >= c.warning_ratio ? 'warning' : undefined;
  if (!severity) return { state: undefined, findings: [normal('phase_imbalance', t)] };
  const finding: Finding = {
    rule: 'phase_imbalance',
    kind: 'breach',
    t,
    severity,
    value: Math.round(deviation * 1000) / 1000,
    threshold: severity === 'critical' ? c.critical_ratio : c.warning_ratio,
    unit: 'ratio',
    detail: `phase currents ${currents.join(' / ')} A deviate up to ${Math.round(deviation * 100)} % from their mean ${Math.round(mean * 10) / 10} A`,
  };
  return { state: undefined, findings: [finding] };
}
