/**
 * One step of a window: every applicable rule judges one sample, and the findings
 * drive the incidents. A series window runs the series rules on a reading; a group
 * window runs the group rule (phase imbalance) on a complete sample of its members.
 */
import { track, type IncidentState, type Transition } from '../incidents.ts';
import { ruleEnabled, type RulesConfig } from './config.ts';
import { dataGap } from './data-gap.ts';
import { flatline } from './flatline.ts';
import { evaluatePhaseImbalance, type PhaseCurrents } from './phase-imbalance.ts';
import type { RuleInput, SeriesRule } from './rule.ts';
import { spike } from './spike.ts';
import { lossOfSupply, negativeValue, overload, reversePower, voltageOutOfRange } from './thresholds.ts';
import type { UnitRegistry } from '../../../shared/units.ts';
import type { AssetInfo, Finding, RuleId, RuleReading, RuleState, SeriesMeta } from './types.ts';

export { isPhaseCurrent, isPhaseVoltage } from './thresholds.ts';

/** Rule states and open incidents of one window: plain JSON. */
export interface EvalState {
  readonly r: Readonly<Partial<Record<RuleId, RuleState>>>;
  readonly i: Readonly<Partial<Record<RuleId, IncidentState>>>;
}

export const EMPTY_STATE: EvalState = { r: {}, i: {} };

export interface StepResult {
  readonly state: EvalState;
  readonly transitions: readonly Transition[];
}

/** The series rules, the spike rule last: it needs to know whether the others breached. */
export const SERIES_RULES: readonly SeriesRule<never>[] = [
  voltageOutOfRange,
  lossOfSupply,
  overload,
  reversePower,
  negativeValue,
  flatline,
  dataGap,
  spike,
] as unknown as readonly SeriesRule<never>[];

/** The rules that judge a series, in evaluation order. */
export function rulesFor(series: SeriesMeta, config: RulesConfig, units?: UnitRegistry): readonly SeriesRule<never>[] {
  return SERIES_RULES.filter((r) => ruleEnabled(config, r.id) && r.appliesTo(series, config, units));
}

export function stepSeries(
  state: EvalState,
  reading: RuleReading,
  series: SeriesMeta,
  asset: AssetInfo | undefined,
  config: RulesConfig,
  units?: UnitRegistry,
): StepResult {
  const rules = rulesFor(series, config, units);
  const r: Partial<Record<RuleId, RuleState>> = { ...state.r };
  const findings: Finding[] = [];
  for (const rule of rules) {
    const explained =
      rule.id === 'spike' &&
      (findings.some((f) => f.kind === 'breach') || Object.keys(state.i).some((id) => id !== 'spike'));
    const input: RuleInput = { series, asset, config, explained, units };
    const result = (rule as SeriesRule<RuleState>).evaluate(state.r[rule.id], reading, input);
    if (result.state === undefined) delete r[rule.id];
    else r[rule.id] = result.state;
    findings.push(...result.findings);
  }
  return applyFindings({ r, i: state.i }, findings, config);
}

export function stepPhaseGroup(state: EvalState, t: number, currents: PhaseCurrents, config: RulesConfig): StepResult {
  if (!ruleEnabled(config, 'phase_imbalance')) return { state, transitions: [] };
  return applyFindings(state, evaluatePhaseImbalance(t, currents, config).findings, config);
}

function applyFindings(state: EvalState, findings: readonly Finding[], config: RulesConfig): StepResult {
  const i: Partial<Record<RuleId, IncidentState>> = { ...state.i };
  const transitions: Transition[] = [];
  for (const f of findings) {
    const { incident, transition } = track(i[f.rule], f, config.incidents.close_after_normal);
    if (incident) i[f.rule] = incident;
    else delete i[f.rule];
    if (transition) transitions.push(transition);
  }
  return { state: { r: state.r, i }, transitions };
}
