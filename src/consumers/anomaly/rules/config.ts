/**
 * Every threshold of the anomaly rules, with its default and the reason for it: the
 * one place a reader looks. Overrides come as a JSON object of the same shape (only
 * the keys to change), e.g. `{"spike": {"z": 6}, "lateness": {"horizon_minutes": 120}}`,
 * from `DUBEGRID_ANOMALY_RULES` (read where the application is assembled).
 *
 * Replays evaluate with the configuration in force when they run.
 */
import { STATUTORY_VOLTAGE } from '../../../shared/network.ts';
import { RULE_IDS, type RuleId, type Severity } from './types.ts';

/** Units whose values normally move from one reading to the next (`count` does not). */
const VARYING_UNITS: readonly string[] = ['V', 'A', 'kW', 'kVAr', 'kVA', 'Wh', 'VArh', 'pf'];

export const RULE_DEFAULTS = {
  voltage_out_of_range: {
    enabled: true,
    // Outside the statutory band (ESQCR: 230 V +10 % / −6 %, src/shared/network.ts).
    warning_low_v: STATUTORY_VOLTAGE.minV as number,
    warning_high_v: STATUTORY_VOLTAGE.maxV as number,
    // ±15 % of nominal: beyond this equipment damage is likely, so it is urgent.
    critical_low_v: STATUTORY_VOLTAGE.nominalV * 0.85,
    critical_high_v: STATUTORY_VOLTAGE.nominalV * 1.15,
  },
  loss_of_supply: {
    enabled: true,
    // A supplied phase never reads this low; metering offsets on a dead phase read a few volts.
    max_v: 10,
    severity: 'critical' as Severity,
  },
  overload: {
    enabled: true,
    // Share of the rating: a feeder's per-phase rated current, a transformer's kVA.
    warning_ratio: 1.0,
    critical_ratio: 1.2,
    /** The substation-wide reading compared with the transformer's rating. */
    transformer_measurement: 'total_apparent_power',
  },
  reverse_power: {
    enabled: true,
    measurement: 'total_active_power',
    // Metering noise around zero is not export; a real reverse flow is more than this.
    deadband_kw: 0.5,
    severity: 'warning' as Severity,
  },
  negative_value: {
    enabled: true,
    // Which units cannot be negative is decided by the bounds table (src/shared/bounds.ts).
    severity: 'warning' as Severity,
  },
  flatline: {
    enabled: true,
    // Identical consecutive values before a sensor counts as stuck: an hour at 10-minute readings.
    count: 6,
    units: VARYING_UNITS,
    // A run of zeros is a dead circuit (loss_of_supply's business), not a stuck sensor.
    ignore_zero: true,
    severity: 'warning' as Severity,
  },
  data_gap: {
    enabled: true,
    // A gap is more than this many expected intervals between readings.
    factor: 3,
    // The expected interval is the median of the series' last deltas, once it has this many.
    min_deltas: 3,
    delta_history: 8,
    severity: 'warning' as Severity,
  },
  spike: {
    enabled: true,
    // |value − mean| / std of the previous `window` readings (4 h at 10-minute readings) …
    // Clean generated data peaks at z ≈ 5–6 (PV feeders under passing cloud), so 9 leaves
    // a margin of half as much again.
    z: 9,
    // … and the next reading back: within this share of the jump from that mean. A spike is a
    // transient; a step that stays is a level change (and other rules' business).
    return_fraction: 0.5,
    window: 24,
    min_samples: 12,
    // std is at least this share of |mean|, so a very quiet series does not make noise a spike.
    rel_std_floor: 0.05,
    units: VARYING_UNITS,
    severity: 'warning' as Severity,
  },
  phase_imbalance: {
    enabled: true,
    // max |I_phase − mean| / mean of a feeder's three phase currents at one time.
    warning_ratio: 0.3,
    critical_ratio: 0.5,
    // Below this mean current the ratio is dominated by metering resolution.
    min_mean_current_a: 10,
  },
  stale_feed: {
    enabled: true,
    // An asset is stale from last(A) + periods × interval(A), once the network's low watermark
    // passes that instant (docs/anomaly.md → "stale_feed"); the same factor as data_gap's.
    periods: 3,
    // interval(A) is the asset's cadence (src/shared/expected.ts: the most common gap) over its
    // last this many distinct reading times.
    history: 12,
    // A shard with no records for this long (wall clock) leaves the low watermark, as Flink's idle
    // sources do: otherwise a shard without traffic would hold every stale incident back for ever.
    idle_minutes: 15,
    severity: 'warning' as Severity,
  },
  incidents: {
    // An open incident closes after this many consecutive normal readings.
    close_after_normal: 3,
  },
  lateness: {
    // Per series: a reading older than (newest reading applied − horizon) is late:
    // counted, not evaluated. Within it, out-of-order readings are applied in time order.
    horizon_minutes: 60,
  },
};

export type RulesConfig = typeof RULE_DEFAULTS;

export class RulesConfigError extends Error {
  override name = 'RulesConfigError';
}

/** The defaults with `overrides` (parsed JSON) applied; every key and type checked. */
export function resolveRulesConfig(overrides: unknown = {}): RulesConfig {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides)) {
    throw new RulesConfigError('rule overrides must be a JSON object, e.g. {"spike": {"z": 6}}');
  }
  const out = structuredClone(RULE_DEFAULTS) as Record<string, Record<string, unknown>>;
  for (const [section, values] of Object.entries(overrides)) {
    const defaults = (RULE_DEFAULTS as Record<string, Record<string, unknown>>)[section];
    if (!defaults)
      throw new RulesConfigError(
        `unknown rule settings section "${section}" (known: ${Object.keys(RULE_DEFAULTS).join(', ')})`,
      );
    if (typeof values !== 'object' || values === null || Array.isArray(values))
      throw new RulesConfigError(`${section} must be an object`);
    for (const [key, value] of Object.entries(values)) {
      if (!(key in defaults))
        throw new RulesConfigError(`unknown setting ${section}.${key} (known: ${Object.keys(defaults).join(', ')})`);
      const d = defaults[key];
      const ok = Array.isArray(d)
        ? Array.isArray(value) && value.every((v) => typeof v === 'string')
        : typeof value === typeof d && (typeof value !== 'number' || Number.isFinite(value));
      if (!ok)
        throw new RulesConfigError(
          `${section}.${key} must be ${Array.isArray(d) ? 'an array of strings' : `a ${typeof d}`}, got ${JSON.stringify(value)}`,
        );
      if (key === 'severity' && value !== 'warning' && value !== 'critical')
        throw new RulesConfigError(`${section}.severity must be warning or critical`);
      (out[section] as Record<string, unknown>)[key] = value;
    }
  }
  const config = out as unknown as RulesConfig;
  checkOrder(config);
  return config;
}

/** Parses the environment's JSON text (undefined or empty: the defaults). */
export function rulesConfigFromText(text: string | undefined, source = 'rule overrides'): RulesConfig {
  if (text === undefined || text.trim() === '') return resolveRulesConfig();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new RulesConfigError(`${source} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  return resolveRulesConfig(parsed);
}

export function ruleEnabled(config: RulesConfig, rule: RuleId): boolean {
  return config[rule].enabled;
}

export function horizonMs(config: RulesConfig): number {
  return config.lateness.horizon_minutes * 60_000;
}

function checkOrder(c: RulesConfig): void {
  const v = c.voltage_out_of_range;
  const fail = (what: string): never => {
    throw new RulesConfigError(what);
  };
  if (!(
    v.critical_low_v <= v.warning_low_v &&
    v.warning_low_v < v.warning_high_v &&
    v.warning_high_v <= v.critical_high_v
  )) {
    fail('voltage_out_of_range: need critical_low_v ≤ warning_low_v < warning_high_v ≤ critical_high_v');
  }
  if (c.loss_of_supply.max_v >= v.critical_low_v)
    fail('loss_of_supply.max_v must be below voltage_out_of_range.critical_low_v');
  if (!(c.overload.warning_ratio > 0 && c.overload.warning_ratio <= c.overload.critical_ratio))
    fail('overload: need 0 < warning_ratio ≤ critical_ratio');
  if (!(c.phase_imbalance.warning_ratio > 0 && c.phase_imbalance.warning_ratio <= c.phase_imbalance.critical_ratio)) {
    fail('phase_imbalance: need 0 < warning_ratio ≤ critical_ratio');
  }
  if (!(Number.isInteger(c.flatline.count) && c.flatline.count >= 2)) fail('flatline.count must be a whole number ≥ 2');
  if (!(c.data_gap.factor > 1)) fail('data_gap.factor must be above 1');
  if (!(
    Number.isInteger(c.data_gap.min_deltas) &&
    c.data_gap.min_deltas >= 1 &&
    c.data_gap.delta_history >= c.data_gap.min_deltas
  )) {
    fail('data_gap: need 1 ≤ min_deltas ≤ delta_history');
  }
  if (!(c.spike.z > 0 && c.spike.return_fraction > 0 && c.spike.return_fraction < 1))
    fail('spike: need z > 0 and 0 < return_fraction < 1');
  if (!(Number.isInteger(c.spike.window) && c.spike.min_samples >= 2 && c.spike.min_samples <= c.spike.window))
    fail('spike: need 2 ≤ min_samples ≤ window');
  if (!(Number.isInteger(c.incidents.close_after_normal) && c.incidents.close_after_normal >= 1))
    fail('incidents.close_after_normal must be a whole number ≥ 1');
  if (!(c.lateness.horizon_minutes >= 0)) fail('lateness.horizon_minutes must be ≥ 0');
  if (!(c.stale_feed.periods > 1)) fail('stale_feed.periods must be above 1');
  if (!(Number.isInteger(c.stale_feed.history) && c.stale_feed.history >= 3))
    fail('stale_feed.history must be a whole number ≥ 3');
  if (!(c.stale_feed.idle_minutes >= 0)) fail('stale_feed.idle_minutes must be ≥ 0');
  for (const id of RULE_IDS) if (typeof c[id].enabled !== 'boolean') fail(`${id}.enabled must be true or false`);
}
