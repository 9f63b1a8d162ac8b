/**
 * The owner's fixtures in `../shared/fixtures/` beside the project root (tests may read
 * them; the product never does). A clone elsewhere finds them through
 * `DUBEGRID_SHARED_DIR`, else at `/work/shared`, where this machine keeps them.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

function sharedDir(): string {
  const candidates = [process.env.DUBEGRID_SHARED_DIR, join(PROJECT_ROOT, '..', 'shared'), '/work/shared'].filter(
    (d): d is string => Boolean(d),
  );
  return candidates.find((d) => existsSync(join(d, 'fixtures'))) ?? (candidates[0] as string);
}

export const FIXTURES = join(sharedDir(), 'fixtures');
/** The long-format LV load monitor sample. */
export const LV_SAMPLE = join(FIXTURES, 'lv-monitor-sample.csv');
/** The head of a real NGED LV-feeder smart-meter aggregate file (wide format). */
export const NGED_HEAD = join(FIXTURES, 'real', 'nged-lv-feeder-2024-01-head.csv');
