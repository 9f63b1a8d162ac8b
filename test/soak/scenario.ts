/**
 * One soak scenario (issue #18 item 3): a fault or a load put on the embedded stack,
 * ending with `dubegrid verify` and the scenario's own exact counts. `npm run soak`
 * (test/soak/main.ts) runs every scenario in `scenarios/index.ts` at full size, prints
 * a table (or `--json`) and writes the figures into docs/reliability.md. Each scenario
 * also has a smoke spec in the int tier that calls `run` with `size: 'smoke'`.
 */
export type ScenarioSize = 'smoke' | 'full';

export interface ScenarioContext {
  readonly size: ScenarioSize;
  /** A fresh scratch directory the scenario owns (data dirs, inputs). */
  readonly scratch: string;
  /** One progress line on stderr; the runner prefixes the scenario's name. */
  log(line: string): void;
  /** Flags the user passed after `npm run soak --` (e.g. `--readings 5000000`). */
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
}

export interface ScenarioFigure {
  readonly name: string;
  readonly value: number | string;
  readonly unit?: string;
  /** The target as written in the issue, e.g. "= 0" or "≤ 512 MB"; absent for a report-only figure. */
  readonly target?: string;
  readonly met?: boolean;
}

export interface ScenarioResult {
  readonly passed: boolean;
  readonly figures: readonly ScenarioFigure[];
  /** Why it failed, or what a reader should know about this run; one line each. */
  readonly notes: readonly string[];
}

export interface Scenario {
  readonly name: string;
  /** What it checks, one sentence: it heads the scenario's row in docs/reliability.md. */
  readonly checks: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
