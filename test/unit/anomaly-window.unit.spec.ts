import { describe, expect, it } from 'vitest';
import { notificationIdOf, notificationOf } from '../../src/consumers/anomaly/alerts.ts';
import { track, type IncidentState } from '../../src/consumers/anomaly/incidents.ts';
import { resolveRulesConfig } from '../../src/consumers/anomaly/rules/config.ts';
import { stepPhaseGroup, stepSeries } from '../../src/consumers/anomaly/rules/index.ts';
import type { Finding, SeriesMeta } from '../../src/consumers/anomaly/rules/types.ts';
import { MAX_RUNS, runsAdd, runsHas, runsSize, type Run } from '../../src/consumers/anomaly/time-runs.ts';
import {
  applyReadings,
  type Incoming,
  type WindowData,
  type WindowEvaluator,
} from '../../src/consumers/anomaly/window.ts';

const config = resolveRulesConfig();
const T = Date.parse('2025-08-14T00:00:00.000Z');
const MIN = 60_000;
const HORIZON = config.lateness.horizon_minutes * MIN;

const volts: SeriesMeta = {
  assetId: 'LV1:01',
  substationId: 'LV1',
  feederId: '01',
  measurement: 'l1_voltage',
  unit: 'V',
  phase: 'L1',
};
const seriesEval: WindowEvaluator = {
  components: ['v'],
  step: (s, x) => stepSeries(s, { t: x.t, value: x.c.v?.[0] ?? 0 }, volts, undefined, config),
};
const groupEval: WindowEvaluator = {
  components: ['L1', 'L2', 'L3'],
  step: (s, x) => stepPhaseGroup(s, x.t, [x.c.L1?.[0] ?? 0, x.c.L2?.[0] ?? 0, x.c.L3?.[0] ?? 0], config),
};

const reading = (minute: number, value: number, component = 'v', ingested = '2025-08-15T00:00:00.000Z'): Incoming => ({
  component,
  t: T + minute * MIN,
  value,
  emission: { ingested_at: ingested, source_key: 'raw/a.csv', source_line: minute + 2 },
});
/** A clean voltage series with a dip at 50–60 min. */
const series = (from: number, to: number): Incoming[] =>
  Array.from({ length: (to - from) / 10 + 1 }, (_, i) => from + i * 10).map((m) =>
    reading(m, m === 50 || m === 60 ? 0 : 240 + ((m / 10) % 3) * 0.3),
  );

const kinds = (r: { transitions: readonly { kind: string; rule: string; t: number }[] }) =>
  r.transitions.map((t) => `${t.kind}:${t.rule}@${(t.t - T) / MIN}`);

describe('incident lifecycle', () => {
  const breach = (t: number, severity: 'warning' | 'critical'): Finding => ({
    rule: 'overload',
    kind: 'breach',
    t,
    severity,
    value: 1,
    threshold: 1,
    unit: 'A',
    detail: 'x',
  });
  const ok = (t: number): Finding => ({ rule: 'overload', kind: 'normal', t });

  it('opens, escalates once, stays open while breaching, closes after M normal readings, and reopens as a new incident', () => {
    const M = config.incidents.close_after_normal;
    const findings = [
      breach(1, 'warning'),
      breach(2, 'critical'),
      breach(3, 'warning'),
      ok(4),
      breach(5, 'warning'),
      ...Array.from({ length: M }, (_, i) => ok(6 + i)),
      breach(20, 'warning'),
    ];
    let incident: IncidentState | undefined;
    const out: string[] = [];
    for (const f of findings) {
      const r = track(incident, f, M);
      incident = r.incident;
      if (r.transition) out.push(`${r.transition.kind}@${r.transition.t}/${r.transition.openedAt}`);
    }
    expect(out).toEqual(['open@1/1', 'escalate@2/1', `close@${5 + M}/1`, 'open@20/20']);
  });

  it('gives each notification its own deterministic id: incident identity plus kind', () => {
    const w = { assetId: 'LV1:01', substationId: 'LV1', subject: 'l1_current' };
    const a = notificationIdOf(w, 'overload', '2025-08-14T00:00:00.000Z', 'open');
    expect(notificationIdOf(w, 'overload', '2025-08-14T00:00:00.000Z', 'open')).toBe(a);
    expect(notificationIdOf(w, 'overload', '2025-08-14T00:00:00.000Z', 'close')).not.toBe(a);
    expect(notificationIdOf({ ...w, subject: 'l2_current' }, 'overload', '2025-08-14T00:00:00.000Z', 'open')).not.toBe(
      a,
    );
    const n = notificationOf(w, {
      kind: 'close',
      rule: 'overload',
      openedAt: T,
      t: T + 30 * MIN,
      severity: 'warning',
      value: 1,
      threshold: 1,
      unit: 'A',
      detail: 'x',
    });
    expect(n).toMatchObject({
      opened_at: '2025-08-14T00:00:00.000Z',
      closed_at: '2025-08-14T00:30:00.000Z',
      kind: 'close',
    });
  });
});

describe('window: exactly once, in time order, within a lateness horizon', () => {
  it('applies a series, raising and closing the incident once', () => {
    const r = applyReadings(undefined, series(0, 120), seriesEval, HORIZON);
    expect(kinds(r)).toEqual(['open:loss_of_supply@50', 'close:loss_of_supply@90']);
    expect(r.outcomes.every((o) => o === 'applied')).toBe(true);
  });

  it('changes nothing when the same readings come again (retry, replay, re-ingest with a new ingested_at)', () => {
    const first = applyReadings(undefined, series(0, 120), seriesEval, HORIZON);
    const again = applyReadings(first.data, series(0, 120), seriesEval, HORIZON);
    expect(again.changed).toBe(false);
    expect(again.transitions).toEqual([]);
    expect(again.outcomes.every((o) => o === 'duplicate')).toBe(true);
    const reingested = applyReadings(
      first.data,
      series(0, 120).map((x) => ({ ...x, emission: { ...x.emission, ingested_at: '2025-09-01T00:00:00.000Z' } })),
      seriesEval,
      HORIZON,
    );
    expect(reingested.changed).toBe(false);
  });

  it('applies readings that arrive out of order within the horizon in time order: same incidents as in order', () => {
    const all = series(0, 120);
    const inOrder = applyReadings(undefined, all, seriesEval, HORIZON);
    // 60, 80 and 100 arrive after 120: still within the hour's horizon of it.
    const held = (x: Incoming) => [60, 80, 100].includes((x.t - T) / MIN);
    const a = applyReadings(
      undefined,
      all.filter((x) => !held(x)),
      seriesEval,
      HORIZON,
    );
    expect(kinds(a)).toEqual(['open:loss_of_supply@50', 'close:loss_of_supply@110']);
    const b = applyReadings(a.data, all.filter(held), seriesEval, HORIZON);
    expect(b.outcomes.every((o) => o === 'applied')).toBe(true);
    // Stored-once semantics: the union of ids emitted equals the in-order run's.
    const ids = (xs: readonly { kind: string; openedAt: number }[]) =>
      new Set(xs.map((x) => `${x.kind}@${x.openedAt}`));
    expect(new Set([...ids(a.transitions), ...ids(b.transitions)])).toEqual(ids(inOrder.transitions));
    expect(b.data.base).toEqual(inOrder.data.base);
    expect(b.data.hist).toEqual(inOrder.data.hist);
  });

  it('counts a reading older than the horizon as late, once, and does not evaluate it', () => {
    const first = applyReadings(undefined, series(100, 300), seriesEval, HORIZON);
    const late = applyReadings(first.data, [reading(30, 0)], seriesEval, HORIZON);
    expect(late.outcomes).toEqual(['late']);
    expect(late.transitions).toEqual([]);
    expect(late.data.late).toBe(1);
    const replay = applyReadings(late.data, [reading(30, 0)], seriesEval, HORIZON);
    expect(replay.outcomes).toEqual(['duplicate']);
    expect(replay.changed).toBe(false);
  });

  it('tells a replayed old reading (handled before) from a late one', () => {
    const first = applyReadings(undefined, series(0, 600), seriesEval, HORIZON);
    const replay = applyReadings(first.data, series(0, 100), seriesEval, HORIZON);
    expect(replay.outcomes.every((o) => o === 'duplicate')).toBe(true);
    expect(replay.changed).toBe(false);
    expect(first.data.late).toBe(0);
  });

  it('applies a correction (same reading, different value, later emission) within the horizon and judges again', () => {
    const first = applyReadings(undefined, series(0, 40), seriesEval, HORIZON);
    const fix = applyReadings(first.data, [reading(40, 0, 'v', '2025-08-16T00:00:00.000Z')], seriesEval, HORIZON);
    expect(fix.outcomes).toEqual(['corrected']);
    expect(kinds(fix)).toEqual(['open:loss_of_supply@40']);
    const older = applyReadings(fix.data, [reading(40, 240, 'v', '2025-08-14T00:00:00.000Z')], seriesEval, HORIZON);
    expect(older.outcomes).toEqual(['duplicate']); // an earlier emission never wins
  });

  it('closes an incident that a late reading shows never existed', () => {
    // 0 V at 30 opens loss of supply; a correction of 30 to 240 V removes that incident.
    const first = applyReadings(
      undefined,
      [reading(0, 240), reading(10, 240.3), reading(20, 240.6), reading(30, 0)],
      seriesEval,
      HORIZON,
    );
    expect(kinds(first)).toEqual(['open:loss_of_supply@30']);
    const fix = applyReadings(first.data, [reading(30, 240, 'v', '2025-08-16T00:00:00.000Z')], seriesEval, HORIZON);
    expect(fix.transitions).toMatchObject([
      { kind: 'close', rule: 'loss_of_supply', reason: 'superseded', openedAt: T + 30 * MIN },
    ]);
  });

  it('round-trips its state through JSON (as stored) without changing what follows', () => {
    const a = applyReadings(undefined, series(0, 60), seriesEval, HORIZON);
    const stored = JSON.parse(JSON.stringify(a.data)) as WindowData;
    const direct = applyReadings(a.data, series(70, 200), seriesEval, HORIZON);
    const viaStore = applyReadings(stored, series(70, 200), seriesEval, HORIZON);
    expect(viaStore.transitions).toEqual(direct.transitions);
    expect(JSON.parse(JSON.stringify(viaStore.data))).toEqual(JSON.parse(JSON.stringify(direct.data)));
  });

  it('keeps only the horizon in hist', () => {
    const r = applyReadings(undefined, series(0, 600), seriesEval, HORIZON);
    expect(r.data.hist.length).toBe(HORIZON / (10 * MIN) + 1);
    expect(runsSize(r.data.seen.v ?? [])).toBe(61 - r.data.hist.length);
  });

  it('judges a phase group only once all three currents of a time are in', () => {
    const one = applyReadings(undefined, [reading(0, 150, 'L1'), reading(0, 100, 'L2')], groupEval, HORIZON);
    expect(one.transitions).toEqual([]);
    const two = applyReadings(one.data, [reading(0, 50, 'L3')], groupEval, HORIZON);
    expect(kinds(two)).toEqual(['open:phase_imbalance@0']);
  });
});

describe('time runs', () => {
  it('holds a regular series as one run and answers membership', () => {
    let runs: Run[] = [];
    for (let i = 0; i < 100; i++) runs = runsAdd(runs, 1000 + i * 10);
    expect(runs).toEqual([[1000, 10, 100]]);
    expect(runsHas(runs, 1990)).toBe(true);
    expect(runsHas(runs, 1995)).toBe(false);
    expect(runsHas(runs, 2000)).toBe(false);
  });

  it('handles gaps, out-of-order times and times inside a run off its grid', () => {
    const times = [0, 10, 20, 50, 60, 30, 5, 40, 100];
    let runs: Run[] = [];
    for (const t of times) runs = runsAdd(runs, t);
    for (const t of times) expect(runsHas(runs, t)).toBe(true);
    for (const t of [15, 25, 45, 70, 99]) expect(runsHas(runs, t)).toBe(false);
    expect(runsSize(runs)).toBe(times.length);
  });

  it('keeps at most MAX_RUNS runs, forgetting the oldest', () => {
    let runs: Run[] = [];
    // Quadratic spacing: no three times in a row form a run.
    const n = 3 * MAX_RUNS;
    for (let i = 0; i < n; i++) runs = runsAdd(runs, i * i);
    expect(runs.length).toBe(MAX_RUNS);
    expect(runsHas(runs, (n - 1) * (n - 1))).toBe(true);
    expect(runsHas(runs, 0)).toBe(false);
  });
});
