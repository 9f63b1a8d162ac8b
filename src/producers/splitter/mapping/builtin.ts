/**
 * The mappings shipped with the package (`src/producers/splitter/mappings/*.yaml`):
 * read from disk next to this module, and copied next to the Lambda bundle by its
 * bundling hook (infra/bundling/options.ts), so the same files serve both targets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseMapping } from '../../../shared/sources/load.ts';
import type { LoadedMapping } from '../../../shared/sources/mapping.ts';

/** The folder of the built-in mapping files, in the sources and in a bundle. */
export const BUILTIN_MAPPINGS_DIR = 'mappings';

let cached: LoadedMapping[] | undefined;

/** Every built-in mapping, parsed and schema-checked (once per process). */
export function builtinMappings(): readonly LoadedMapping[] {
  cached ??= readBuiltins();
  return cached;
}

function readBuiltins(): LoadedMapping[] {
  const dir = builtinDir();
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => {
      const loaded = parseMapping(readFileSync(`${dir}/${f}`, 'utf8'), `builtin:${f.replace(/\.ya?ml$/, '')}`);
      return loaded;
    });
}

function builtinDir(): string {
  // In the sources this module sits in mapping/, the files in ../mappings; in a bundle both sit beside index.mjs.
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const candidate of [`${here}../${BUILTIN_MAPPINGS_DIR}`, `${here}${BUILTIN_MAPPINGS_DIR}`]) {
    try {
      readdirSync(candidate);
      return candidate;
    } catch {
      // not this layout
    }
  }
  throw new Error(`the built-in mappings are missing: no ${BUILTIN_MAPPINGS_DIR}/ folder beside ${here}`);
}
