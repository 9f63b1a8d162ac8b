/**
 * A benchmark measures its figures side by side in one run (these machines are
 * noisy, so only ratios of figures measured together mean anything) and reports
 * the ratio against its target plus the absolute numbers, with units in the keys.
 */
export interface BenchResult {
  readonly name: string;
  readonly ratio: number;
  /** Human form of the target, e.g. `>= 0.7`. */
  readonly target: string;
  readonly met: boolean;
  readonly figures: Record<string, number | string>;
}

export interface Benchmark {
  readonly name: string;
  readonly description: string;
  /** Flags this benchmark reads, for --help. */
  readonly flags?: Record<string, string>;
  run(flags: Record<string, string | boolean | undefined>): Promise<BenchResult[]>;
}

/** A result whose ratio must be at least `min`. */
export function atLeast(name: string, ratio: number, min: number, figures: BenchResult['figures']): BenchResult {
  return { name, ratio: round(ratio), target: `>= ${min}`, met: ratio >= min, figures };
}

/** A result whose ratio must be at most `max`. */
export function atMost(name: string, ratio: number, max: number, figures: BenchResult['figures']): BenchResult {
  return { name, ratio: round(ratio), target: `<= ${max}`, met: ratio <= max, figures };
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
