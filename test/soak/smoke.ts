/**
 * Runs one soak scenario at size 'smoke' in a scratch dir of its own, removed after:
 * what each smoke spec in the int tier does before its own checks.
 */
import { tempDir } from '../support/tmp.ts';
import type { Scenario, ScenarioResult } from './scenario.ts';

export async function runSmoke(scenario: Scenario): Promise<ScenarioResult> {
  const { dir, cleanup } = await tempDir(`dubegrid-soak-${scenario.name}-`);
  try {
    return await scenario.run({ size: 'smoke', scratch: dir, log: () => undefined, flags: {} });
  } finally {
    await cleanup();
  }
}
