/**
 * The smoke size of the fault scenarios of the soak suite (issue #18 item 3,
 * `test/soak/scenarios/`): each runs through the real `dubegrid` binary on a sample of
 * one substation-day and must pass. `npm run soak` runs them at full size.
 */
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../soak/scenario.ts';
import { corruptState } from '../soak/scenarios/corrupt-state.ts';
import { diskFull } from '../soak/scenarios/disk-full.ts';
import { faultProxy } from '../soak/scenarios/fault-proxy.ts';
import { poison } from '../soak/scenarios/poison.ts';
import { smokeRuns } from '../soak/scale.ts';
import { runSmoke } from '../soak/smoke.ts';

async function smoke(scenario: Scenario): Promise<void> {
  const result = await runSmoke(scenario);
  // the notes say why, when a figure misses its target
  expect(
    { unmet: result.figures.filter((f) => f.met === false), passed: result.passed },
    result.notes.join('\n'),
  ).toEqual({
    unmet: [],
    passed: true,
  });
}

// Which of these run in `npm test` and which only under `npm run soak`: SMOKE_IN_NPM_TEST.
describe('soak fault scenarios, smoke size', () => {
  it.runIf(smokeRuns(faultProxy.name))(
    'fault-proxy: 20 % of requests faulted loses and duplicates nothing',
    () => smoke(faultProxy),
    300_000,
  );
  it.runIf(smokeRuns(poison.name))(
    'poison: bisected to its record, retried, sent to the DLQ, redriven once after the fix',
    () => smoke(poison),
    300_000,
  );
  it.runIf(smokeRuns(diskFull.name))(
    'disk-full: one clear line per command, then the stack resumes and verify passes',
    () => smoke(diskFull),
    300_000,
  );
  it.runIf(smokeRuns(corruptState.name))(
    'corrupt-state: truncated checkpoints and a half-written runtime.json are explained and recovered from',
    () => smoke(corruptState),
    300_000,
  );
});
