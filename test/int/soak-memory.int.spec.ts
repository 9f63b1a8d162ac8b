/**
 * The memory scenarios of the soak suite (issue #18 item 3) at smoke size: the whole
 * pipeline under `dubegrid up`, files generated and ingested, RSS sampled, then
 * `verify` and exact counts. RSS targets are judged by the full runs (`npm run soak`);
 * here the samples must only exist, for both processes.
 */
import { describe, expect, it } from 'vitest';
import type { ScenarioResult } from '../soak/scenario.ts';
import { longRun } from '../soak/scenarios/long-run.ts';
import { peakMemory } from '../soak/scenarios/peak-memory.ts';
import { smokeRuns } from '../soak/scale.ts';
import { runSmoke } from '../soak/smoke.ts';

function figure(result: ScenarioResult, name: string): number | string | undefined {
  return result.figures.find((f) => f.name === name)?.value;
}

describe('soak memory scenarios, smoke size', () => {
  // under `npm run soak` only: SMOKE_IN_NPM_TEST
  for (const scenario of [peakMemory, longRun]) {
    it.runIf(smokeRuns(scenario.name))(
      `${scenario.name}: every reading in the time series and the lake, verify ok, RSS sampled`,
      { timeout: 600_000 },
      async () => {
        const result = await runSmoke(scenario);
        const readings = figure(result, 'readings ingested');
        expect(readings).toBeGreaterThan(1_000);
        expect(figure(result, 'time-series items')).toBe(readings);
        expect(figure(result, 'lake readings')).toBe(readings);
        expect(figure(result, 'verify'), result.notes.join('\n')).toBe('ok');
        expect(figure(result, 'peak RSS, up')).toBeGreaterThan(0);
        expect(figure(result, 'peak RSS, emulator host')).toBeGreaterThan(0);
        expect(result.passed).toBe(true);
      },
    );
  }
});
