import { isProjectionName, PROJECTIONS } from '../../ops/replay/environment.ts';
import { parseRate } from '../../ops/replay/options.ts';
import { rebuild, type RebuildSummary } from '../../ops/replay/rebuild.ts';
import { renderVerify } from '../../ops/replay/verify/report.ts';
import type { Action } from '../command.ts';
import { meter, progress, UsageError } from '../output.ts';
import { renderReplay, usage, withOps } from './replay.ts';

interface RebuildFlags {
  projection: string;
  fromRaw?: boolean;
  rate?: string;
}

export const runRebuild: Action<RebuildFlags> = async (_args, opts) => {
  const projection = opts.projection.trim().toLowerCase();
  if (!isProjectionName(projection))
    throw new UsageError(
      `--projection must be one of ${PROJECTIONS.join(', ')}, got ${JSON.stringify(opts.projection)}`,
    );
  const rate = usage(() => parseRate(opts.rate));
  if (rate !== undefined && !opts.fromRaw) throw new UsageError('--rate applies to --from-raw only');
  return withOps(opts, async (envt) => {
    const summary = await rebuild(envt, { projection, fromRaw: opts.fromRaw === true, rate, progress, meter });
    const ok = summary.verify.ok && summary.replay.failures.length === 0;
    return { json: summary, human: render(summary), exitCode: ok ? 0 : 1 };
  });
};

function render(s: RebuildSummary): string {
  const wiped =
    [
      ...Object.entries(s.wiped.items).map(([t, n]) => `${n} item(s) of ${t}`),
      ...Object.entries(s.wiped.objects).map(([p, n]) => `${n} object(s) under ${p}`),
    ].join(', ') || 'nothing';
  return [
    `rebuilt the ${s.projection} projection from ${s.from_raw ? 'the raw zone' : 'the stream'} (emptied ${wiped})`,
    ...(s.backfill
      ? [
          `backfilled ${s.backfill.objects.length} raw object(s): ${s.backfill.readings.toLocaleString('en-GB')} readings`,
        ]
      : []),
    ...(s.not_announced_again > 0
      ? [`${s.not_announced_again} notification(s) published before were stored again without being announced again`]
      : []),
    '',
    renderReplay(s.replay),
    '',
    renderVerify(s.verify),
  ].join('\n');
}
