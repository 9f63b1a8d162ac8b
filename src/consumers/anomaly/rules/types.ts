/**
 * The vocabulary of the rules core: rule ids, severities, what a rule sees (a
 * series, a reading, the asset's registry entry) and what it returns (findings).
 */
import type { Phase } from '../../../shared/event.ts';
import type { Unit } from '../../../shared/units.ts';

export const RULE_IDS = [
  'voltage_out_of_range',
  'loss_of_supply',
  'overload',
  'reverse_power',
  'negative_value',
  'flatline',
  'data_gap',
  'spike',
  'phase_imbalance',
  'stale_feed',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export const SEVERITIES = ['warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return s === 'critical' ? 2 : 1;
}

/** One time series: one measurement of one asset. */
export interface SeriesMeta {
  readonly assetId: string;
  readonly substationId: string;
  /** Empty for substation-wide (transformer) readings. */
  readonly feederId: string;
  readonly measurement: string;
  readonly unit: Unit;
  readonly phase: Phase | null;
}

/** What the rules need to know about an asset from the registry. */
export interface AssetInfo {
  readonly assetId: string;
  readonly kind: 'substation' | 'feeder';
  /** Per-phase rated current of a feeder, A. */
  readonly ratedCurrentA?: number;
  /** Rating of the substation's transformer, kVA. */
  readonly transformerKva?: number;
  /** The asset has generation behind it (rooftop PV…): reverse power is normal there. */
  readonly hasGeneration: boolean;
  /** The registry's reporting interval, ms (`interval_minutes`): wins over the observed cadence. */
  readonly intervalMs?: number;
}

/** A reading as the rules see it. */
export interface RuleReading {
  /** Epoch ms of the reading's own time. */
  readonly t: number;
  readonly value: number;
}

/** A rule's judgement of one reading: a breach (with how bad), or normal. */
export type Finding =
  | {
      readonly rule: RuleId;
      readonly kind: 'breach';
      /** The reading judged: a spike is confirmed by the reading after it. */
      readonly t: number;
      readonly severity: Severity;
      readonly value: number;
      /** The bound crossed. */
      readonly threshold: number;
      /** Unit of `value` and `threshold`: the series' unit, or `min` (gap), `ratio` (imbalance), `z` (spike), `readings` (flatline). */
      readonly unit: string;
      /** One sentence a person reads. */
      readonly detail: string;
    }
  | { readonly rule: RuleId; readonly kind: 'normal'; readonly t: number };

/** A rule's state is plain JSON: it is stored in the window item as is. */
export type RuleState = Readonly<Record<string, unknown>> | undefined;

export interface RuleResult<S extends RuleState = RuleState> {
  readonly state: S;
  readonly findings: readonly Finding[];
}
