import { backfill, type BackfillSummary } from '../../ops/replay/backfill.ts';
import { catchUpProjections, describeCatchUp, type CatchUp } from '../../ops/replay/catch-up.ts';
import { parseRate } from '../../ops/replay/options.ts';
import { readSettings } from '../../shared/settings.ts';
import type { Action } from '../command.ts';
import { withContext } from '../context.ts';
import { meter, progress, table, UsageError } from '../output.ts';
import { usage } from './replay.ts';

interface BackfillFlags {
  prefix: string;
  rate?: string;
  wait?: boolean;
  timeout: string;
}

export const runBackfill: Action<BackfillFlags> = async (_args, opts) => {
  const rate = usage(() => parseRate(opts.rate));
  const timeoutS = Number(opts.timeout);
  if (!Number.isFinite(timeoutS) || timeoutS <= 0)
    throw new UsageError(`--timeout must be a positive number of seconds, got ${opts.timeout}`);
  if (!opts.prefix.startsWith('raw/'))
    throw new UsageError(`--prefix must be under raw/ (the raw zone), got ${JSON.stringify(opts.prefix)}`);
  return withContext(opts, 'pipeline', async (ctx) => {
    const summary = await backfill(ctx.clients, {
      prefix: opts.prefix,
      rate,
      sourceTimeZone: readSettings().sourceTimeZone,
      progress,
      meter,
    });
    // a stack started for this command stops when it returns: its projections must catch up first
    const caughtUp =
      opts.wait === true || ctx.ownStack !== undefined
        ? await catchUpProjections(ctx, summary.shards, {
            timeoutMs: timeoutS * 1000,
            progress,
            meter,
            readings: summary.readings,
          })
        : undefined;
    const failed = summary.objects.filter((o) => o.status === 'failed').length;
    const { manifests: _manifests, ...json } = summary;
    return {
      json: { ...json, ...(caughtUp ? { caught_up: caughtUp } : {}) },
      human: render(summary, caughtUp),
      exitCode: failed > 0 ? 1 : 0,
    };
  });
};

function render(s: BackfillSummary, caughtUp: CatchUp | undefined): string {
  const n = (x: number): string => x.toLocaleString('en-GB');
  if (s.objects.length === 0) return `no raw object under ${s.prefix}`;
  const rows = s.objects.map((o) => [
    o.key,
    o.status,
    n(o.readings),
    n(o.kinesis_records),
    o.status === 'split'
      ? o.same_emission
        ? `as first ingested at ${o.ingested_at}`
        : 'never split before'
      : (o.error ?? ''),
  ]);
  const lines = [
    `backfilled ${s.objects.length} raw object(s) under ${s.prefix}: ${n(s.readings)} readings in ${n(s.kinesis_records)} records, ${(s.elapsed_ms / 1000).toFixed(1)} s (${n(s.readings_per_s)} readings/s${s.rate_limit ? `, limit ${n(s.rate_limit)}` : ''})`,
    '',
    table(['object', 'status', 'readings', 'records', ''], rows),
  ];
  if (caughtUp) lines.push('', describeCatchUp(caughtUp));
  return lines.join('\n');
}
