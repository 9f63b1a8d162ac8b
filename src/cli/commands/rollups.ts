import { buildRollups, type RollupOutcome } from '../../lake/rollups/build.ts';
import { registryIntervals } from '../../lake/rollups/registry.ts';
import type { Action } from '../command.ts';
import { withContext } from '../context.ts';
import { meter } from '../output.ts';

interface RollupFlags {
  flush: boolean;
  force: boolean;
}

export const runRollups: Action<RollupFlags> = async (_args, opts) =>
  withContext(opts, 'stack', async (ctx) => {
    if (opts.flush) await ctx.flush();
    const outcome = await buildRollups(
      {
        s3: ctx.clients.s3,
        bucket: ctx.clients.names.bucket,
        meter,
        registryIntervals: registryIntervals(ctx.clients.doc, ctx.clients.names.tables.assets),
      },
      {
        force: opts.force,
      },
    );
    return { json: outcome, human: renderRollups(outcome) };
  });

export function renderRollups(o: RollupOutcome): string {
  const lines = [
    `day partitions: ${o.days}; rebuilt: ${o.rebuilt.length ? o.rebuilt.join(', ') : 'none (up to date)'}` +
      (o.removed.length ? `; removed: ${o.removed.join(', ')}` : '') +
      (o.left_for_next_run ? `; left for the next run: ${o.left_for_next_run}` : ''),
  ];
  if (o.coverage) lines.push(`coverage (expected counts): ${o.coverage.first_ts} → ${o.coverage.watermark_ts}`);
  return lines.join('\n');
}
