/**
 * `npm run bench -- lake-ops`: lake operations over one month of generated substations
 * (default the 100 substations × 31 days, ~10 M readings), built once as
 * Firehose leaves it (`dataset.ts`), then each part of `parts.ts` in turn.
 * `--parts=a,b` runs only some (the month is built only for parts that read it);
 * `--substations`, `--days` size the dataset.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Benchmark, BenchResult } from '../../types.ts';
import { whole, type LakeOpsDataset } from './context.ts';
import { buildDataset } from './dataset.ts';
import { LAKE_OPS_PARTS } from './parts.ts';

const DEFAULTS = { substations: 100, days: 31 } as const;

export const lakeOpsBenchmark: Benchmark = {
  name: 'lake-ops',
  description:
    'lake operations: one-asset bytes read compacted ÷ uncompacted (<= 0.1), compaction rows/s ÷ ingest (>= 10), the named monthly summary from the interval facts ÷ from readings (<= 0.2), stale_feed precision and recall (>= 0.95)',
  flags: {
    substations: `substations of the month (default ${DEFAULTS.substations})`,
    days: `days of the month (default ${DEFAULTS.days})`,
    parts: `comma-separated parts to run (default all: ${LAKE_OPS_PARTS.map((p) => p.name).join(', ')})`,
    ...Object.assign({}, ...LAKE_OPS_PARTS.map((p) => p.flags ?? {})),
  },
  async run(flags) {
    const wanted = typeof flags.parts === 'string' ? flags.parts.split(',').map((s) => s.trim()) : undefined;
    const unknown = (wanted ?? []).filter((w) => !LAKE_OPS_PARTS.some((p) => p.name === w));
    if (unknown.length) throw new RangeError(`lake-ops has no part ${unknown.join(', ')}`);
    const dir = await mkdtemp(join(tmpdir(), 'dubegrid-bench-lake-ops-'));
    try {
      const parts = LAKE_OPS_PARTS.filter((p) => !wanted || wanted.includes(p.name));
      const dataset = parts.every((p) => p.standalone)
        ? undefined
        : await buildDataset(dir, whole(flags.substations, DEFAULTS.substations), whole(flags.days, DEFAULTS.days));
      const results: BenchResult[] = [];
      for (const part of parts) {
        process.stderr.write(`lake-ops: ${part.name}…\n`);
        results.push(...(await part.run({ dir, flags, dataset: dataset as LakeOpsDataset })));
      }
      return results;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};
