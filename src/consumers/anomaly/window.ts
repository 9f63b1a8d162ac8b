/**
 * A window: the rolling state of one series (or one group of series) and the
 * machinery that applies each reading exactly once, in time order.
 *
 * - `hist` holds the readings within the lateness horizon of the newest one (`wm`);
 *   `base` is the rule state just before the oldest of them. The current state is
 *   `base` folded over `hist`, so a reading that arrives out of order but within
 *   the horizon is inserted where it belongs and everything after it is judged again.
 * - A reading already in `hist` is a duplicate (a correction if its value differs and
 *   its emission is later, docs/architecture.md → "Corrections"). One older than the horizon is in
 *   `seen` (handled before: a duplicate) or late: counted, remembered, not evaluated.
 * - Notifications are deterministic per incident and kind, so judging a reading again
 *   re-derives the same ones; an incident that a late reading makes disappear is
 *   closed (`reason: superseded`) so that no incident is left open for ever.
 */
import { compareEmission, type ReadingEvent } from '../../shared/event.ts';
import type { Transition } from './incidents.ts';
import { EMPTY_STATE, type EvalState, type StepResult } from './rules/index.ts';
import { runsAdd, runsHas, type Run } from './time-runs.ts';

/** One reading in a window: value and emission (for corrections). */
export type Entry = readonly [value: number, ingestedAt: string, sourceKey: string, sourceLine: number];

/** The readings of one time, one per component (a series has the one component `v`). */
export interface Sample {
  readonly t: number;
  readonly c: Readonly<Record<string, Entry>>;
}

export interface WindowData {
  readonly base: EvalState;
  readonly hist: readonly Sample[];
  /** Per component, the times handled and trimmed out of `hist` (applied or late). */
  readonly seen: Readonly<Record<string, readonly Run[]>>;
  /** Readings counted late. */
  readonly late: number;
  /** Newest reading time applied, epoch ms. */
  readonly wm: number | null;
}

export const EMPTY_WINDOW: WindowData = { base: EMPTY_STATE, hist: [], seen: {}, late: 0, wm: null };

export type Emission = Pick<ReadingEvent, 'ingested_at' | 'source_key' | 'source_line'>;

export interface Incoming {
  readonly component: string;
  readonly t: number;
  readonly value: number;
  readonly emission: Emission;
}

export type Outcome = 'applied' | 'corrected' | 'duplicate' | 'late';

/** How a window judges a complete sample. */
export interface WindowEvaluator {
  /** Components a sample needs before it is judged. */
  readonly components: readonly string[];
  step(state: EvalState, sample: Sample): StepResult;
}

export interface ApplyResult {
  readonly data: WindowData;
  readonly transitions: readonly Transition[];
  /** Parallel to the incoming readings. */
  readonly outcomes: readonly Outcome[];
  /** False when nothing changed: nothing needs writing. */
  readonly changed: boolean;
}

interface MutableSample {
  readonly t: number;
  c: Record<string, Entry>;
}

export function applyReadings(
  prev: WindowData | undefined,
  incoming: readonly Incoming[],
  evaluator: WindowEvaluator,
  horizonMs: number,
): ApplyResult {
  const data = prev ?? EMPTY_WINDOW;
  const hist: MutableSample[] = data.hist.map((s) => ({ t: s.t, c: { ...s.c } }));
  const seen: Record<string, readonly Run[]> = { ...data.seen };
  let { late, wm } = data;
  let dirtyFrom = Number.POSITIVE_INFINITY;
  const outcomes: Outcome[] = new Array<Outcome>(incoming.length);

  // Time order (then emission order, so the winning correction comes last).
  const order = incoming
    .map((_, i) => i)
    .sort((a, b) => {
      const x = incoming[a] as Incoming;
      const y = incoming[b] as Incoming;
      return x.t - y.t || compareEmission(x.emission, y.emission);
    });
  for (const idx of order) {
    const r = incoming[idx] as Incoming;
    const at = search(hist, r.t);
    const existing = at.found ? (hist[at.index] as MutableSample).c[r.component] : undefined;
    if (existing) {
      if (existing[0] === r.value || compareEmission(r.emission, emissionOf(existing)) <= 0) {
        outcomes[idx] = 'duplicate';
        continue;
      }
      (hist[at.index] as MutableSample).c[r.component] = entryOf(r);
      dirtyFrom = Math.min(dirtyFrom, r.t);
      outcomes[idx] = 'corrected';
      continue;
    }
    const runs = seen[r.component] ?? [];
    if (runsHas(runs, r.t)) {
      outcomes[idx] = 'duplicate';
      continue;
    }
    if (wm !== null && r.t < wm - horizonMs) {
      seen[r.component] = runsAdd(runs, r.t);
      late++;
      outcomes[idx] = 'late';
      continue;
    }
    if (at.found) (hist[at.index] as MutableSample).c[r.component] = entryOf(r);
    else hist.splice(at.index, 0, { t: r.t, c: { [r.component]: entryOf(r) } });
    dirtyFrom = Math.min(dirtyFrom, r.t);
    wm = wm === null ? r.t : Math.max(wm, r.t);
    outcomes[idx] = 'applied';
  }
  if (late === data.late && dirtyFrom === Number.POSITIVE_INFINITY) {
    return { data, transitions: [], outcomes, changed: false };
  }
  if (dirtyFrom === Number.POSITIVE_INFINITY || wm === null) {
    // Only late readings: the judged state is as it was.
    return { data: { ...data, seen, late }, transitions: [], outcomes, changed: true };
  }

  const cutoff = wm - horizonMs;
  const ready = (s: Sample): boolean => evaluator.components.every((c) => c in s.c);
  let state = data.base;
  let base = data.base;
  const transitions: Transition[] = [];
  for (const s of hist) {
    if (ready(s)) {
      const step = evaluator.step(state, s);
      state = step.state;
      if (s.t >= dirtyFrom) transitions.push(...step.transitions);
    }
    if (s.t < cutoff) base = state;
  }

  const lastOld = data.hist.length ? (data.hist[data.hist.length - 1] as Sample).t : Number.NEGATIVE_INFINITY;
  if (dirtyFrom <= lastOld) transitions.push(...superseded(foldAll(data, evaluator, ready), state, transitions, wm));

  // Readings beyond the horizon leave `hist`: their effect is in `base`, their times in `seen`.
  const keep: Sample[] = [];
  for (const s of hist) {
    if (s.t >= cutoff) keep.push(s);
    else for (const component of Object.keys(s.c)) seen[component] = runsAdd(seen[component] ?? [], s.t);
  }
  return { data: { base, hist: keep, seen, late, wm }, transitions, outcomes, changed: true };
}

/** The state the window had before this batch. */
function foldAll(data: WindowData, evaluator: WindowEvaluator, ready: (s: Sample) => boolean): EvalState {
  let state = data.base;
  for (const s of data.hist) if (ready(s)) state = evaluator.step(state, s).state;
  return state;
}

/** Closes for incidents that were open before and, judged again, never existed. */
function superseded(before: EvalState, after: EvalState, emitted: readonly Transition[], t: number): Transition[] {
  const out: Transition[] = [];
  for (const [rule, inc] of Object.entries(before.i)) {
    if (!inc) continue;
    if (after.i[rule as keyof EvalState['i']]?.o === inc.o) continue;
    if (emitted.some((x) => x.kind === 'close' && x.rule === rule && x.openedAt === inc.o)) continue;
    out.push({
      kind: 'close',
      rule: rule as Transition['rule'],
      openedAt: inc.o,
      t,
      severity: inc.s,
      value: inc.v,
      threshold: inc.th,
      unit: inc.u,
      detail: `superseded: judged again with a reading that arrived late, ${inc.d} no longer holds`,
      reason: 'superseded',
    });
  }
  return out;
}

function search(hist: readonly MutableSample[], t: number): { found: boolean; index: number } {
  let lo = 0;
  let hi = hist.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((hist[mid] as MutableSample).t < t) lo = mid + 1;
    else hi = mid;
  }
  return { found: lo < hist.length && (hist[lo] as MutableSample).t === t, index: lo };
}

function entryOf(r: Incoming): Entry {
  return [r.value, r.emission.ingested_at, r.emission.source_key, r.emission.source_line];
}

function emissionOf(e: Entry): Emission {
  return { ingested_at: e[1], source_key: e[2], source_line: e[3] };
}
