/**
 * Labelled anomalies for `dubegrid generate --anomalies`: every anomaly rule class
 * injected at known assets and times through the generator's per-reading transform,
 * and the ground truth as CSV (`asset_id,rule,start,end`).
 *
 * Placement: each substation's timeline is cut into slots of `SLOT_READINGS`
 * readings; the first slot is left clean (the rules learn intervals and spreads from
 * it), every later slot gets one anomaly on one of the substation's assets, the rule
 * classes taken in turn across the run so that each appears about equally often. An
 * anomaly lasts a few readings and ends well before its slot does, so every incident
 * can close before the next one starts. Seeded: one seed, the same anomalies.
 *
 * Each injection changes only what its fault would change, chosen so that it is that
 * rule's anomaly and no other's (an overload scales all three phases, so it is not
 * also an imbalance; a stuck sensor sticks a voltage, whose spread hides the release).
 */
import { LABEL_COLUMNS } from '../shared/labels.ts';
import type { FeederAsset, SubstationAsset } from './assets.ts';
import { hash32, mulberry32, pick, type Rng } from './prng.ts';
import { RULE_IDS, type RuleId } from '../consumers/anomaly/rules/types.ts';
import type { Reading, ReadingTransform } from './readings.ts';

/** The generator injects one class per rule the anomaly consumer knows: its ids are the labels' `rule`. */
export const ANOMALY_RULES = RULE_IDS;
export type AnomalyRule = RuleId;

export interface AnomalyLabel {
  readonly asset_id: string;
  readonly rule: AnomalyRule;
  /** First reading affected, canonical UTC time. */
  readonly start: string;
  /** Last reading affected (for a gap: the first reading after it). */
  readonly end: string;
}

/** Readings per slot: 12 h at 10-minute readings. */
export const SLOT_READINGS = 72;
/** An anomaly starts this many readings into its slot, or up to `START_SPREAD` more. */
const START_OFFSET = 12;
const START_SPREAD = 30;
/** How long each lasts, in readings (a gap: readings left out). */
const LENGTH: Readonly<Record<AnomalyRule, number>> = {
  voltage_out_of_range: 4,
  loss_of_supply: 4,
  overload: 4,
  reverse_power: 4,
  negative_value: 3,
  flatline: 9, // the rule fires at the 6th identical reading
  data_gap: 6, // 7 intervals between one series' readings, beyond 3 × the interval
  spike: 1,
  phase_imbalance: 4,
  stale_feed: 18, // the whole feeder silent for 3 h
};
/** A spike is this many spreads of the previous readings above their mean (the rule fires at 9). */
const SPIKE_SIGMAS = 15;
/** The spike rule's spread floor (5 % of |mean|) and window, mirrored so a spike's size is known. */
const SPIKE_FLOOR = 0.05;
const SPIKE_WINDOW = 24;

const SALT = 0xa40a1;

export interface Injection {
  readonly rule: AnomalyRule;
  readonly substation: SubstationAsset;
  /** Undefined: the substation's transformer. */
  readonly feeder: FeederAsset | undefined;
  /** Epoch ms of the first and last reading affected. */
  readonly fromMs: number;
  readonly toMs: number;
  /** Per-injection parameters drawn from the seed. */
  readonly level: number;
  readonly escalate: boolean;
  readonly high: boolean;
}

export interface AnomalyPlan {
  readonly injections: readonly Injection[];
  readonly labels: readonly AnomalyLabel[];
}

/** Where and when every anomaly goes, for a run of `intervals` readings every `stepMs` from `startMs`. */
export function planAnomalies(
  assets: readonly SubstationAsset[],
  seed: number,
  startMs: number,
  stepMs: number,
  intervals: number,
): AnomalyPlan {
  const slots = Math.floor(intervals / SLOT_READINGS);
  const injections: Injection[] = [];
  // Rules in turn; one that does not fit a substation (reverse power where every feeder
  // has PV) waits at the head of the queue for the next one that fits.
  const queue: AnomalyRule[] = [];
  let turn = 0;
  for (let slot = 1; slot < slots; slot++) {
    for (const s of assets) {
      const rng = mulberry32(hash32(seed, SALT, s.index, slot));
      queue.push(ANOMALY_RULES[turn++ % ANOMALY_RULES.length] as AnomalyRule);
      for (const [q, rule] of queue.entries()) {
        const feeder = assetFor(rule, s, rng, injections.length);
        if (feeder === null) continue;
        queue.splice(q, 1);
        const first = slot * SLOT_READINGS + START_OFFSET + Math.floor(rng() * START_SPREAD);
        const fromMs = startMs + first * stepMs;
        injections.push({
          rule,
          substation: s,
          feeder,
          fromMs,
          toMs: fromMs + (LENGTH[rule] - 1) * stepMs,
          level: rng(),
          escalate: rng() < 0.5,
          high: rng() < 0.5,
        });
        break;
      }
    }
  }
  return { injections, labels: injections.flatMap((i) => labelsOf(i, stepMs)) };
}

/** The asset an anomaly of `rule` goes on at this substation; null when none fits. */
function assetFor(rule: AnomalyRule, s: SubstationAsset, rng: Rng, nth: number): FeederAsset | undefined | null {
  const withoutGeneration = s.feeders.filter((f) => !f.hasGeneration);
  switch (rule) {
    case 'reverse_power':
      // Export is normal behind PV: only a feeder without generation has reverse power.
      return withoutGeneration.length ? pick(rng, withoutGeneration) : null;
    case 'phase_imbalance':
      // PV can cancel a feeder's daytime load to a few amps, below the rule's minimum current.
      return withoutGeneration.length ? pick(rng, withoutGeneration) : null;
    case 'overload':
      // About every other overload is the transformer's.
      return nth % 2 === 0 ? undefined : pick(rng, s.feeders);
    default:
      return pick(rng, s.feeders);
  }
}

/**
 * An injection's labels. A gap is seen at the first reading after it. A silent feeder is
 * `stale_feed` while it is silent and, once it resumes, `data_gap` in each of its series
 * (docs/anomaly.md → "stale_feed and data_gap"): both rules' alerts are right, so both are labelled.
 */
function labelsOf(i: Injection, stepMs: number): AnomalyLabel[] {
  const assetId = i.feeder ? `${i.substation.substationNumber}:${i.feeder.feederId}` : i.substation.substationNumber;
  const gap = i.rule === 'data_gap' || i.rule === 'stale_feed';
  const end = gap ? i.toMs + stepMs : i.toMs;
  const label = (rule: AnomalyRule): AnomalyLabel => ({
    asset_id: assetId,
    rule,
    start: new Date(i.fromMs).toISOString(),
    end: new Date(end).toISOString(),
  });
  return i.rule === 'stale_feed' ? [label('stale_feed'), label('data_gap')] : [label(i.rule)];
}

/** The ground truth as CSV. */
export function labelsCsv(labels: readonly AnomalyLabel[]): string {
  const rows = [...labels].sort((a, b) => a.start.localeCompare(b.start) || a.asset_id.localeCompare(b.asset_id));
  return `${[LABEL_COLUMNS.join(','), ...rows.map((l) => LABEL_COLUMNS.map((c) => l[c]).join(','))].join('\n')}\n`;
}

/**
 * The transform that injects the plan. Readings arrive in time order (the generator's
 * loop), which the spike injection relies on: it sizes a spike from the series'
 * previous readings as the rule will see them.
 */
export function anomalyTransform(plan: AnomalyPlan): ReadingTransform {
  const byAsset = new Map<string, Injection[]>();
  for (const i of plan.injections) {
    const key = assetKey(i.substation, i.feeder);
    byAsset.set(key, [...(byAsset.get(key) ?? []), i]);
  }
  const history = new Map<string, number[]>();
  const stuck = new Map<Injection, number>();
  return (r) => {
    const key = assetKey(r.substation, r.feeder);
    const injection = byAsset.get(key)?.find((i) => r.ts >= i.fromMs && r.ts <= i.toMs);
    const out = injection ? inject(injection, r, history.get(`${key}|${r.measure.description}`) ?? [], stuck) : r;
    if (out) {
      const h = history.get(`${key}|${r.measure.description}`) ?? [];
      h.push(out.value);
      if (h.length > SPIKE_WINDOW) h.shift();
      history.set(`${key}|${r.measure.description}`, h);
    }
    return out;
  };
}

function assetKey(s: SubstationAsset, f: FeederAsset | undefined): string {
  return `${s.index}|${f ? f.index : 'T'}`;
}

function inject(i: Injection, r: Reading, recent: readonly number[], stuck: Map<Injection, number>): Reading | null {
  const d = r.measure.description;
  const with_ = (value: number): Reading => ({ ...r, value: Math.round(value * 10) / 10 });
  const wiggle = (r.ts / 60_000) % 7; // deterministic variety between readings: 0…6
  switch (i.rule) {
    case 'voltage_out_of_range':
      // Over: 255–258 V (warning); under: 205–212 V, and the escalating ones sink below 195.5 V.
      if (!d.endsWith('Voltage')) return r;
      if (i.high) return with_(255 + i.level * 3 + wiggle * 0.1);
      return with_(i.escalate && r.ts === i.toMs ? 190 - i.level * 5 : 205 + i.level * 7 + wiggle * 0.1);
    case 'loss_of_supply':
      // A dead feeder: a few volts of metering offset, no current, no power.
      if (d.endsWith('Voltage')) return with_(((wiggle + i.level * 7) % 7) * 0.3);
      return with_(0);
    case 'overload': {
      if (!i.feeder) {
        if (d !== 'Total Apparent Power') return r;
        const ratio = i.escalate && r.ts === i.toMs ? 1.25 : 1.04 + i.level * 0.1;
        return with_(i.substation.transformerKva * (ratio + wiggle * 0.002));
      }
      if (!d.endsWith('Current')) return r;
      // All three phases scale alike (so the shares, and the balance, stay as they were).
      const ratio = i.escalate && r.ts === i.toMs ? 1.3 : 1.08 + i.level * 0.1;
      const target = i.feeder.ratedCurrentA * ratio * Math.max(...i.feeder.phaseShares);
      const share = i.feeder.phaseShares[Number(d[1]) - 1] as number;
      return with_((target * share) / Math.max(...i.feeder.phaseShares) + wiggle * 0.1);
    }
    case 'reverse_power':
      return d === 'Total Active Power' ? with_(-(5 + i.level * 15 + wiggle * 0.3)) : r;
    case 'negative_value':
      return d === 'L2 Current' ? with_(-(1 + i.level * 9 + wiggle * 0.2)) : r;
    case 'flatline': {
      if (d !== 'L1 Voltage') return r;
      if (!stuck.has(i)) stuck.set(i, r.value);
      return with_(stuck.get(i) as number);
    }
    case 'data_gap':
      // One series stops for a while; the asset's other series go on (so the feed is not stale).
      return d === 'Total Reactive Power' ? null : r;
    case 'stale_feed':
      // The whole feeder falls silent while the rest of the network keeps reporting.
      return null;
    case 'spike': {
      if (d !== 'Total Reactive Power' || recent.length < SPIKE_WINDOW) return r;
      const mean = recent.reduce((s, x) => s + x, 0) / recent.length;
      const std = Math.sqrt(recent.reduce((s, x) => s + (x - mean) ** 2, 0) / recent.length);
      return with_(mean + SPIKE_SIGMAS * Math.max(std, SPIKE_FLOOR * Math.abs(mean), 0.5));
    }
    case 'phase_imbalance': {
      // Load moves off L3 onto L1 and L2: ~40 % from the mean (warning) or ~60 % (critical),
      // while the heaviest phase stays well inside the feeder's rating.
      const [low, up] = i.high ? [0.35, 1.2] : [0.55, 1.15];
      if (d === 'L3 Current') return with_(r.value * low);
      if (d === 'L1 Current' || d === 'L2 Current') return with_(r.value * up);
      return r;
    }
  }
}
