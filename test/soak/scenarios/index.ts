/** Every soak scenario, in the order `npm run soak` runs them (test/soak/scenario.ts). */
import type { Scenario } from '../scenario.ts';
import { corruptState } from './corrupt-state.ts';
import { diskFull } from './disk-full.ts';
import { emulatorDeath } from './emulator-death.ts';
import { faultProxy } from './fault-proxy.ts';
import { killLoop } from './kill-loop.ts';
import { longRun } from './long-run.ts';
import { manyFiles } from './many-files.ts';
import { peakMemory } from './peak-memory.ts';
import { poison } from './poison.ts';
import { apiFuzz, dataDirRace, splitterFuzz } from './vitest-specs.ts';

export const SCENARIOS: readonly Scenario[] = [
  killLoop,
  emulatorDeath,
  manyFiles,
  faultProxy,
  poison,
  diskFull,
  corruptState,
  peakMemory,
  longRun,
  dataDirRace,
  splitterFuzz,
  apiFuzz,
];
