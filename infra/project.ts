/** Where the project is and what `cdk.json` says: light enough for any test to import. */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is `infra/project.ts`). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The `context` of `cdk.json` (feature flags and defaults), as the CDK CLI would pass it. */
export function cdkJsonContext(projectRoot = PROJECT_ROOT): Record<string, unknown> {
  const json = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return json.context ?? {};
}
