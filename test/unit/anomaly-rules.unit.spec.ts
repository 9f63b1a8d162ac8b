import { describe, expect, it } from 'vitest';
import { resolveRulesConfig, RulesConfigError, RULE_DEFAULTS } from '../../src/consumers/anomaly/rules/config.ts';
import { dataGap } from '../../src/consumers/anomaly/rules/data-gap.ts';
import { flatline } from '../../src/consumers/anomaly/rules/flatline.ts';
import { EMPTY_STATE, rulesFor, stepSeries } from '../../src/consumers/anomaly/rules/index.ts';
import { evaluatePhaseImbalance } from '../../src/consumers/anomaly/rules/phase-imbalance.ts';
import type { RuleInput, SeriesRule } from '../../src/consumers/anomaly/rules/rule.ts';
import { spike, type SpikeState } from '../../src/consumers/anomaly/rules/spike.ts';
import {
  lossOfSupply,
  negativeValue,
  overload,
  reversePower,
  voltageOutOfRange,
} from '../../src/consumers/anomaly/rules/thresholds.ts';
import type { AssetInfo, Finding, RuleState, SeriesMeta } from '../../src/consumers/anomaly/rules/types.ts';

const config = resolveRulesConfig();
const T = Date.parse('2025-08-14T15:00:00.000Z');
const MIN = 60_000;

const series = (over: Partial<SeriesMeta> = {}): SeriesMeta => ({
  assetId: 'LV1:01',
  substationId: 'LV1',
  feederId: '01',
  measurement: 'l1_voltage',
  unit: 'V',
  phase: 'L1',
  ...over,
});
const feeder: AssetInfo = {
  assetId: 'LV1:01',
  kind: 'feeder',
  ratedCurrentA: 400,
  transformerKva: 500,
  hasGeneration: false,
};
const substation: AssetInfo = { assetId: 'LV1', kind: 'substation', transformerKva: 500, hasGeneration: false };

function judge<S extends RuleState>(
  rule: SeriesRule<S>,
  value: number,
  input: Partial<RuleInput> = {},
  state?: S,
): Finding[] {
  return rule.evaluate(
    state as S,
    { t: T, value },
    { series: series(), asset: feeder, config, explained: false, ...input },
  ).findings as Finding[];
}
const verdict = (findings: Finding[]): string =>
  findings.map((f) => (f.kind === 'breach' ? f.severity : 'normal')).join(',') || 'silent';

describe('voltage_out_of_range', () => {
  it.each([
    [253, 'normal'],
    [253.1, 'warning'],
    [216.2, 'normal'],
    [216.1, 'warning'],
    [264.5, 'warning'],
    [264.6, 'critical'],
    [195.5, 'warning'],
    [195.4, 'critical'],
    [10.1, 'critical'],
    [10, 'silent'], // loss_of_supply's business
    [-230, 'silent'], // negative_value's business
  ])('%s V → %s', (v, expected) => {
    expect(verdict(judge(voltageOutOfRange, v))).toBe(expected);
  });

  it('names the bound it crossed', () => {
    const [f] = judge(voltageOutOfRange, 254);
    expect(f).toMatchObject({ kind: 'breach', threshold: 253, value: 254, unit: 'V' });
  });

  it('judges phase voltages only', () => {
    expect(voltageOutOfRange.appliesTo(series({ phase: 'N' }), config)).toBe(false);
    expect(voltageOutOfRange.appliesTo(series({ unit: 'A', measurement: 'l1_current' }), config)).toBe(false);
  });
});

describe('loss_of_supply', () => {
  it.each([
    [0, 'critical'],
    [10, 'critical'],
    [10.1, 'normal'],
    [-1, 'silent'],
  ])('%s V → %s', (v, expected) => {
    expect(verdict(judge(lossOfSupply, v))).toBe(expected);
  });
});

describe('overload', () => {
  const current = series({ measurement: 'l1_current', unit: 'A' });
  it.each([
    [399.9, 'normal'],
    [400, 'warning'],
    [479.9, 'warning'],
    [480, 'critical'],
  ])('feeder phase current %s A of a 400 A rating → %s', (v, expected) => {
    expect(verdict(judge(overload, v, { series: current }))).toBe(expected);
  });

  it('compares a substation total apparent power with its transformer', () => {
    const kva = series({ assetId: 'LV1', feederId: '', measurement: 'total_apparent_power', unit: 'kVA', phase: null });
    expect(overload.appliesTo(kva, config)).toBe(true);
    expect(verdict(judge(overload, 499.9, { series: kva, asset: substation }))).toBe('normal');
    expect(verdict(judge(overload, 500, { series: kva, asset: substation }))).toBe('warning');
    expect(verdict(judge(overload, 600, { series: kva, asset: substation }))).toBe('critical');
  });

  it('says nothing without a rating (asset missing from the registry)', () => {
    expect(verdict(judge(overload, 10_000, { series: current, asset: undefined }))).toBe('silent');
  });
});

describe('reverse_power', () => {
  const p = series({ measurement: 'total_active_power', unit: 'kW', phase: null });
  it.each([
    [-0.5, 'normal'],
    [-0.6, 'warning'],
    [12, 'normal'],
  ])('%s kW on an asset without generation → %s', (v, expected) => {
    expect(verdict(judge(reversePower, v, { series: p }))).toBe(expected);
  });

  it('is normal behind generation', () => {
    expect(verdict(judge(reversePower, -40, { series: p, asset: { ...feeder, hasGeneration: true } }))).toBe('silent');
  });

  it('judges an asset missing from the registry as without generation', () => {
    expect(verdict(judge(reversePower, -40, { series: p, asset: undefined }))).toBe('warning');
  });
});

describe('negative_value', () => {
  it('fires for units the bounds table calls abnormal when negative', () => {
    const a = series({ measurement: 'l2_current', unit: 'A', phase: 'L2' });
    expect(negativeValue.appliesTo(a, config)).toBe(true);
    expect(verdict(judge(negativeValue, -0.1, { series: a }))).toBe('warning');
    expect(verdict(judge(negativeValue, 0, { series: a }))).toBe('normal');
  });

  it('does not judge signed quantities', () => {
    expect(
      negativeValue.appliesTo(series({ unit: 'kW', measurement: 'total_active_power', phase: null }), config),
    ).toBe(false);
    expect(
      negativeValue.appliesTo(series({ unit: 'kVAr', measurement: 'total_reactive_power', phase: null }), config),
    ).toBe(false);
  });
});

describe('flatline', () => {
  const run = (values: number[]): Finding[][] => {
    let state: ReturnType<typeof flatline.evaluate>['state'];
    return values.map((value, i) => {
      const r = flatline.evaluate(
        state,
        { t: T + i * 10 * MIN, value },
        { series: series(), asset: feeder, config, explained: false },
      );
      state = r.state;
      return r.findings as Finding[];
    });
  };
  it('fires at the Nth identical reading, not the one before', () => {
    const out = run([231.4, 231.4, 231.4, 231.4, 231.4, 231.4]).map(verdict);
    expect(config.flatline.count).toBe(6);
    expect(out).toEqual(['normal', 'normal', 'normal', 'normal', 'normal', 'warning']);
  });
  it('is reset by a change', () => {
    expect(run([1, 1, 1, 1, 1, 1.1, 1]).map(verdict)).toEqual(Array(7).fill('normal'));
  });
  it('leaves runs of zero to loss_of_supply', () => {
    expect(run([0, 0, 0, 0, 0, 0, 0]).map(verdict)).toEqual(Array(7).fill('normal'));
  });
});

describe('data_gap', () => {
  const run = (minutes: number[]): Finding[][] => {
    let state: ReturnType<typeof dataGap.evaluate>['state'];
    return minutes.map((m) => {
      const r = dataGap.evaluate(
        state,
        { t: T + m * MIN, value: 1 },
        { series: series(), asset: feeder, config, explained: false },
      );
      state = r.state;
      return r.findings as Finding[];
    });
  };
  it('learns the interval, then judges gaps against factor × interval', () => {
    // 3 intervals of 10 min learnt, then exactly 3 × 10 min (not beyond), then beyond
    expect(run([0, 10, 20, 30, 60]).map(verdict)).toEqual(['silent', 'silent', 'silent', 'silent', 'normal']);
    expect(run([0, 10, 20, 30, 60.1]).map(verdict)).toEqual(['silent', 'silent', 'silent', 'silent', 'warning']);
  });
  it('reports the gap in minutes and does not learn from it', () => {
    const out = run([0, 10, 20, 30, 90, 100, 130]);
    expect(out[4]?.[0]).toMatchObject({ kind: 'breach', value: 60, threshold: 30, unit: 'min' });
    expect(verdict(out[5] as Finding[])).toBe('normal');
    expect(verdict(out[6] as Finding[])).toBe('normal'); // 30 min is still not beyond 3 × 10
  });
});

describe('spike', () => {
  // A window alternating 100 ± 1: mean 100, std 1, but the floor is 5 % of 100 = 5.
  const base = Array.from({ length: config.spike.window }, (_, i) => (i % 2 ? 101 : 99));
  const state: SpikeState = { w: base };
  const step = (s: SpikeState | undefined, value: number, i: number, explained = false) =>
    spike.evaluate(
      s,
      { t: T + i * 10 * MIN, value },
      { series: series({ unit: 'A', measurement: 'l1_current' }), asset: feeder, config, explained },
    );

  it('confirms a candidate at z ≥ threshold when the next reading comes back', () => {
    const atThreshold = 100 + config.spike.z * 5; // std floor 5
    const first = step(state, atThreshold, 1);
    expect(first.findings).toEqual([]); // undecided until the next reading
    const second = step(first.state, 100, 2);
    expect(second.findings[0]).toMatchObject({ rule: 'spike', kind: 'breach', t: T + 10 * MIN, value: config.spike.z });
    expect(second.findings[1]).toMatchObject({ kind: 'normal', t: T + 20 * MIN });
  });

  it('ignores a value just below the threshold', () => {
    const below = step(state, 100 + config.spike.z * 5 - 0.1, 1);
    expect(below.findings.map((f) => f.kind)).toEqual(['normal']);
  });

  it('calls a jump that stays a level change, not a spike', () => {
    const first = step(state, 200, 1);
    const second = step(first.state, 201, 2);
    expect(second.findings.some((f) => f.kind === 'breach')).toBe(false);
  });

  it('stands back when another rule explains the reading', () => {
    const first = step(state, 200, 1, true);
    expect(first.state?.p).toBeUndefined();
  });

  it('waits for min_samples readings', () => {
    const few = step({ w: base.slice(0, config.spike.min_samples - 1) }, 1_000, 1);
    expect(few.findings).toEqual([]);
    expect(few.state?.p).toBeUndefined();
  });
});

describe('phase_imbalance', () => {
  it.each([
    [[130, 100, 70], 'warning'], // max deviation exactly 30 % of the mean
    [[129.9, 100, 70.1], 'normal'],
    [[150, 100, 50], 'critical'], // 50 %
    [[5, 1, 3], 'normal'], // mean below the minimum current
    [[100, -1, 100], 'silent'], // a negative current is negative_value's business
  ])('%j A → %s', (currents, expected) => {
    expect(verdict(evaluatePhaseImbalance(T, currents as [number, number, number], config).findings as Finding[])).toBe(
      expected,
    );
  });
});

describe('rules of a series', () => {
  it('applies every rule that needs no rating to an asset missing from the registry', () => {
    const v = series();
    const ids = rulesFor(v, config).map((r) => r.id);
    expect(ids).toEqual(['voltage_out_of_range', 'loss_of_supply', 'negative_value', 'flatline', 'data_gap', 'spike']);
    const r = stepSeries(EMPTY_STATE, { t: T, value: 0 }, v, undefined, config);
    expect(r.transitions.map((t) => [t.kind, t.rule])).toEqual([['open', 'loss_of_supply']]);
  });

  it('can switch a rule off', () => {
    const off = resolveRulesConfig({ loss_of_supply: { enabled: false } });
    expect(rulesFor(series(), off).map((r) => r.id)).not.toContain('loss_of_supply');
  });
});

describe('rule settings', () => {
  it('has every rule id of the issue, each with documented defaults in one place', () => {
    for (const id of [
      'voltage_out_of_range',
      'loss_of_supply',
      'overload',
      'reverse_power',
      'negative_value',
      'flatline',
      'data_gap',
      'spike',
      'phase_imbalance',
    ]) {
      expect(RULE_DEFAULTS).toHaveProperty(id);
    }
  });
  it('takes overrides and refuses unknown or ill-typed ones, saying which', () => {
    expect(resolveRulesConfig({ spike: { z: 12 } }).spike.z).toBe(12);
    expect(() => resolveRulesConfig({ spike: { zz: 1 } })).toThrow(/unknown setting spike\.zz/);
    expect(() => resolveRulesConfig({ spikes: {} })).toThrow(RulesConfigError);
    expect(() => resolveRulesConfig({ overload: { warning_ratio: '1' } })).toThrow(/must be a number/);
    expect(() => resolveRulesConfig({ overload: { warning_ratio: 2 } })).toThrow(/warning_ratio ≤ critical_ratio/);
  });
});
