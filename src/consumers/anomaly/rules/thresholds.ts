/**
 * The stateless rules: each judges one reading against fixed bounds or the asset's
 * rating.
 */
import { boundsOf, checkBounds } from '../../../shared/bounds.ts';
import { normal, SILENT, type SeriesRule } from './rule.ts';
import type { Finding, RuleId, RuleResult, SeriesMeta, Severity } from './types.ts';

const PHASE_CONDUCTORS = new Set(['L1', 'L2', 'L3']);

/** A phase-to-neutral voltage of L1, L2 or L3 (the neutral's own voltage is not a supply voltage). */
export function isPhaseVoltage(s: SeriesMeta): boolean {
  return s.unit === 'V' && s.phase !== null && PHASE_CONDUCTORS.has(s.phase);
}

/** A phase current of L1, L2 or L3. */
export function isPhaseCurrent(s: SeriesMeta): boolean {
  return s.unit === 'A' && s.phase !== null && PHASE_CONDUCTORS.has(s.phase);
}

function breach(
  rule: RuleId,
  t: number,
  severity: Severity,
  value: number,
  threshold: number,
  unit: string,
  detail: string,
): RuleResult<undefined> {
  const finding: Finding = { rule, kind: 'breach', t, severity, value, threshold, unit, detail };
  return { state: undefined, findings: [finding] };
}

function ok(rule: RuleId, t: number): RuleResult<undefined> {
  return { state: undefined, findings: [normal(rule, t)] };
}

export const voltageOutOfRange: SeriesRule<undefined> = {
  id: 'voltage_out_of_range',
  appliesTo: isPhaseVoltage,
  evaluate(_state, { t, value }, { config, series }) {
    const c = config.voltage_out_of_range;
    // At or near zero the supply is lost, below zero the meter is wrong: other rules judge those.
    if (value <= config.loss_of_supply.max_v) return SILENT;
    const say = (bound: number, sev: Severity): RuleResult<undefined> =>
      breach(
        'voltage_out_of_range',
        t,
        sev,
        value,
        bound,
        'V',
        `${series.measurement} ${value} V is ${value < bound ? 'below' : 'above'} ${bound} V`,
      );
    if (value < c.critical_low_v) return say(c.critical_low_v, 'critical');
    if (value > c.critical_high_v) return say(c.critical_high_v, 'critical');
    if (value < c.warning_low_v) return say(c.warning_low_v, 'warning');
    if (value > c.warning_high_v) return say(c.warning_high_v, 'warning');
    return ok('voltage_out_of_range', t);
  },
};

export const lossOfSupply: SeriesRule<undefined> = {
  id: 'loss_of_supply',
  appliesTo: isPhaseVoltage,
  evaluate(_state, { t, value }, { config, series }) {
    const c = config.loss_of_supply;
    if (value < 0) return SILENT;
    if (value <= c.max_v)
      return breach(
        'loss_of_supply',
        t,
        c.severity,
        value,
        c.max_v,
        'V',
        `${series.measurement} reads ${value} V: no supply`,
      );
    return ok('loss_of_supply', t);
  },
};

export const overload: SeriesRule<undefined> = {
  id: 'overload',
  appliesTo(s, config) {
    return (
      (isPhaseCurrent(s) && s.feederId !== '') ||
      (s.feederId === '' && s.unit === 'kVA' && s.measurement === config.overload.transformer_measurement)
    );
  },
  evaluate(_state, { t, value }, { config, series, asset }) {
    const c = config.overload;
    const rating = series.unit === 'A' ? asset?.ratedCurrentA : asset?.transformerKva;
    // No rating in the registry: nothing to compare with.
    if (rating === undefined || !(rating > 0) || value < 0) return SILENT;
    const ratio = value / rating;
    const what = series.unit === 'A' ? `rated ${rating} A` : `transformer rating ${rating} kVA`;
    const say = (bound: number, sev: Severity): RuleResult<undefined> =>
      breach(
        'overload',
        t,
        sev,
        value,
        round(rating * bound),
        series.unit,
        `${series.measurement} ${value} ${series.unit} is ${Math.round(ratio * 100)} % of the ${what}`,
      );
    if (ratio >= c.critical_ratio) return say(c.critical_ratio, 'critical');
    if (ratio >= c.warning_ratio) return say(c.warning_ratio, 'warning');
    return ok('overload', t);
  },
};

export const reversePower: SeriesRule<undefined> = {
  id: 'reverse_power',
  appliesTo: (s, config) => s.measurement === config.reverse_power.measurement,
  evaluate(_state, { t, value }, { config, series, asset }) {
    const c = config.reverse_power;
    // Export is normal behind generation. An asset the registry does not know is taken
    // to have none: the flag is what says otherwise.
    if (asset?.hasGeneration) return SILENT;
    if (value < -c.deadband_kw) {
      return breach(
        'reverse_power',
        t,
        c.severity,
        value,
        -c.deadband_kw,
        series.unit,
        `${series.measurement} ${value} ${series.unit}: power flows back on an asset without generation`,
      );
    }
    return ok('reverse_power', t);
  },
};

export const negativeValue: SeriesRule<undefined> = {
  id: 'negative_value',
  // The bounds table alone (a declared unit's own, from its mapping) says which units cannot be negative.
  appliesTo: (s, _config, units) => boundsOf(s.unit, units)?.negativeIsAbnormal === true,
  evaluate(_state, { t, value }, { config, series, units }) {
    const verdict = checkBounds(series.unit, value, units);
    // zero_is_abnormal is a declared unit's flag too, but negative_value judges only signs
    if (verdict.ok && verdict.abnormal && value < 0) {
      return breach(
        'negative_value',
        t,
        config.negative_value.severity,
        value,
        0,
        series.unit,
        `${series.measurement} reads ${value} ${series.unit}, which cannot be negative`,
      );
    }
    return ok('negative_value', t);
  },
};

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
