/**
 * The short version of the soak scenarios in `npm test` (issue #18 item 3): each runs at
 * size 'smoke' on the real binary and stack and must pass with its exact counts.
 * `npm run soak` runs them at full size (test/soak/main.ts).
 */
import { describe, expect, it } from 'vitest';
import type { Scenario, ScenarioResult } from '../soak/scenario.ts';
import { emulatorDeath } from '../soak/scenarios/emulator-death.ts';
import { killLoop } from '../soak/scenarios/kill-loop.ts';
import { manyFiles } from '../soak/scenarios/many-files.ts';
import { runSmoke } from '../soak/smoke.ts';

/** Seconds on a quiet machine; minutes when the shared 2-core machine is loaded. */
const SMOKE_TIMEOUT_MS = 600_000;

async function smoke(scenario: Scenario): Promise<ScenarioResult & { figure(name: string): unknown }> {
  const result = await runSmoke(scenario);
  // a failed run names the figures that missed, not only the scenario's notes
  const missed = result.figures
    .filter((f) => f.met === false)
    .map((f) => `missed: ${f.name} = ${f.value} (target ${f.target})`);
  return {
    ...result,
    notes: [...result.notes, ...missed],
    figure: (name) => {
      const found = result.figures.find((f) => f.name === name);
      if (found === undefined) throw new Error(`${scenario.name} reports no figure "${name}"`);
      return found.value;
    },
  };
}

describe('soak scenarios, smoke size', () => {
  it(
    'kill-loop: two SIGKILLs of the whole stack mid-ingest lose and duplicate nothing',
    async () => {
      const r = await smoke(killLoop);
      expect(r.passed, r.notes.join('\n')).toBe(true);
      expect(r.figure('kills')).toBe(2);
      expect(r.figure('readings in')).toBe(1_296);
      expect([r.figure('lost'), r.figure('duplicated'), r.figure('stack traces')]).toEqual([0, 0, 0]);
      expect(r.figure('verify')).toBe('passes');
    },
    SMOKE_TIMEOUT_MS,
  );

  it(
    'emulator-death: up says so in one line, stops cleanly, and the next up finishes the ingest; so does a one-off command',
    async () => {
      const r = await smoke(emulatorDeath);
      expect(r.passed, r.notes.join('\n')).toBe(true);
      expect(r.figure('up exit code')).toBe('1');
      expect(r.figure('said why in one line')).toBe('yes');
      expect(r.figure('service warnings or errors after the kill')).toBe(0);
      expect(r.figure('lock and runtime file released')).toBe('yes');
      expect([r.figure('readings in'), r.figure('lost after restart')]).toEqual([1_296, 0]);
      expect(r.figure('verify')).toBe('passes');
      // a command with a stack of its own
      expect(r.figure('one-off command: exit code')).toBe('1');
      expect(r.figure('one-off command: said why in one line')).toBe('yes');
      expect(r.figure('one-off command: data dir released')).toBe('yes');
    },
    SMOKE_TIMEOUT_MS,
  );

  it(
    'many-files: 50 files in one ingest, every manifest and every total exact',
    async () => {
      const r = await smoke(manyFiles);
      expect(r.passed, r.notes.join('\n')).toBe(true);
      expect(r.figure('manifests')).toBe(50);
      expect([r.figure('rows read'), r.figure('rows accepted'), r.figure('time series items')]).toEqual([
        505, 500, 500,
      ]);
      expect([r.figure('lake readings'), r.figure('rows quarantined'), r.figure('quarantine entries')]).toEqual([
        500, 5, 5,
      ]);
      expect(r.figure('verify')).toBe('passes');
    },
    SMOKE_TIMEOUT_MS,
  );
});
