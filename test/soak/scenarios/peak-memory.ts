/**
 * Scenario `peak-memory` (issue #18 item 3): the file that took `up` to 800 MB, 95,616
 * readings of 3 substations × 8 days, ingested on a fresh data dir with the RSS of `up`
 * and its emulator host sampled every second. Target: ≤ 512 MiB for the two together.
 */
import type { Scenario, ScenarioContext, ScenarioResult } from '../scenario.ts';
import { countFigures, memoryRun, peakFigures } from '../memory/memory-run.ts';

const SIZES = {
  smoke: { substations: 1, days: 1 },
  full: { substations: 3, days: 8 },
} as const;

export const peakMemory: Scenario = {
  name: 'peak-memory',
  checks: 'peak RSS of the whole stack (up + emulator host) ingesting the 96 k-reading file, and every reading in',
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const size = SIZES[ctx.size];
    const run = await memoryRun(ctx, [{ ...size, start: '2025-08-11' }], 1_000);
    const counts = countFigures(run);
    // a smoke run is too small to say anything about the target: its peak is reported, not judged
    const peak = peakFigures(run, ctx.size === 'full');
    return {
      passed: counts.exact && (ctx.size === 'smoke' || peak.met),
      figures: [
        ...counts.figures,
        ...peak.figures,
        { name: 'ingest time', value: Math.round(run.elapsedMs / 1000), unit: 's' },
      ],
      notes: counts.notes,
    };
  },
};
