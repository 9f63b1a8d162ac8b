/**
 * The summaries' interval facts of a local lake copy (a unit fixture's), written beside
 * its readings as the rollup build writes them: the builder's own functions, day by day,
 * without S3. So a fixture's hand-worked summaries can be checked from the facts too.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdir, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { useDay, useIntervals, writeFactFile } from '../../src/lake/rollups/build.ts';
import { partitionOfKey, rollupObjectKey, type FactTable } from '../../src/shared/glue.ts';
import { PREFIXES } from '../../src/shared/resources.ts';

const INTERVAL_TABLES: readonly FactTable[] = ['asset_intervals', 'asset_gaps'];

export async function writeIntervalFacts(lakeDir: string): Promise<void> {
  const files = (await readdir(join(lakeDir, PREFIXES.processed), { recursive: true }))
    .filter((f) => f.endsWith('.parquet'))
    .map((f) => `${PREFIXES.processed}${f}`);
  const byDay = new Map<string, string[]>();
  for (const key of files) byDay.set(dirname(key), [...(byDay.get(dirname(key)) ?? []), join(lakeDir, key)]);
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    await c.run("SET TimeZone = 'UTC'").catch(() => undefined);
    for (const [dir, dayFiles] of byDay) {
      const partition = partitionOfKey(`${dir}/x.parquet`);
      if (!partition) continue;
      await useDay(c, dayFiles);
      await useIntervals(c);
      for (const kind of INTERVAL_TABLES) {
        const file = join(lakeDir, rollupObjectKey(kind, partition));
        await mkdir(dirname(file), { recursive: true });
        // the interval facts need no coverage (that is the per-measurement rollups' expected count)
        await writeFactFile(c, kind, { firstMs: 0, watermarkMs: 0 }, file);
      }
    }
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}
