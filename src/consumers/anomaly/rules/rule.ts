/**
 * The shape every rule has: a pure function of (its state, a reading, the series and
 * its asset) → (its new state, findings). Rules never do I/O and never read a clock.
 */
import type { UnitRegistry } from '../../../shared/units.ts';
import type { RulesConfig } from './config.ts';
import type { AssetInfo, Finding, RuleId, RuleReading, RuleResult, RuleState, SeriesMeta } from './types.ts';

export interface RuleInput {
  readonly series: SeriesMeta;
  /** The registry entry, or undefined for an asset the registry does not know. */
  readonly asset: AssetInfo | undefined;
  readonly config: RulesConfig;
  /**
   * Another rule breaches on this reading, or another incident of the series is open:
   * the reading's oddness is already explained (the spike rule stands back).
   */
  readonly explained: boolean;
  /** The units of the batch (built-in plus declared): a declared unit's bounds say what is abnormal. @default the built-in units */
  readonly units?: UnitRegistry | undefined;
}

export interface SeriesRule<S extends RuleState = RuleState> {
  readonly id: RuleId;
  /** Whether the rule judges this series at all (a rule that needs a rating still applies; it judges nothing without one). */
  appliesTo(series: SeriesMeta, config: RulesConfig, units?: UnitRegistry): boolean;
  evaluate(state: S, reading: RuleReading, input: RuleInput): RuleResult<S>;
}

/** A finding-free, state-free result: the rule has nothing to say about this reading. */
export const SILENT: RuleResult<undefined> = { state: undefined, findings: [] };

export function normal(rule: RuleId, t: number): Finding {
  return { rule, kind: 'normal', t };
}
