/**
 * A compact set of reading times: arithmetic runs `[start, step, count]`, sorted and
 * non-overlapping. A series read every 10 minutes for a year is one run, so a window
 * can remember every reading it has handled beyond its lateness horizon — which is
 * how a replayed reading is told apart from a genuinely late one.
 */
export type Run = readonly [start: number, step: number, count: number];

/** At most this many runs are kept; the oldest go first (a reading before them counts as late). */
export const MAX_RUNS = 256;

function endOf(r: Run): number {
  return r[0] + r[1] * (r[2] - 1);
}

function onRun(r: Run, t: number): boolean {
  if (t < r[0] || t > endOf(r)) return false;
  return r[1] === 0 ? t === r[0] : (t - r[0]) % r[1] === 0;
}

/** Index of the last run starting at or before `t`, or -1. */
function lastStartingBy(runs: readonly Run[], t: number): number {
  let lo = 0;
  let hi = runs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((runs[mid] as Run)[0] <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

export function runsHas(runs: readonly Run[], t: number): boolean {
  const i = lastStartingBy(runs, t);
  return i >= 0 && onRun(runs[i] as Run, t);
}

/** The set with `t` added (the input is not changed). */
export function runsAdd(runs: readonly Run[], t: number, maxRuns = MAX_RUNS): Run[] {
  if (runsHas(runs, t)) return [...runs];
  const out = [...runs];
  const i = lastStartingBy(out, t);
  const prev = i >= 0 ? (out[i] as Run) : undefined;
  if (prev && t < endOf(prev)) {
    // Inside a run's span but off its grid: split the run around t.
    const k = Math.floor((t - prev[0]) / prev[1]);
    const left: Run = [prev[0], prev[1], k + 1];
    const right: Run = [prev[0] + (k + 1) * prev[1], prev[1], prev[2] - k - 1];
    out.splice(i, 1, ...normalise(left), [t, 0, 1], ...normalise(right));
  } else if (prev && prev[2] === 1) {
    out[i] = [prev[0], t - prev[0], 2];
  } else if (prev && t === endOf(prev) + prev[1]) {
    out[i] = [prev[0], prev[1], prev[2] + 1];
  } else {
    out.splice(i + 1, 0, [t, 0, 1]);
  }
  mergeAround(out, Math.max(0, i));
  return out.length > maxRuns ? out.slice(out.length - maxRuns) : out;
}

/** A run of one has no step; keep that form so it can take any step later. */
function normalise(r: Run): Run[] {
  if (r[2] <= 0) return [];
  return r[2] === 1 ? [[r[0], 0, 1]] : [r];
}

/** Joins a run with its successor where the successor continues its grid. */
function mergeAround(runs: Run[], from: number): void {
  for (let j = from; j < runs.length - 1 && j <= from + 2;) {
    const a = runs[j] as Run;
    const b = runs[j + 1] as Run;
    const step = a[2] === 1 ? b[0] - a[0] : a[1];
    const continues = b[0] === endOf(a) + step && (b[2] === 1 || b[1] === step) && step > 0;
    if (continues) runs.splice(j, 2, [a[0], step, a[2] + b[2]]);
    else j++;
  }
}

/** How many times the set holds (for tests and status). */
export function runsSize(runs: readonly Run[]): number {
  return runs.reduce((n, r) => n + r[2], 0);
}
