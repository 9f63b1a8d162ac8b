import { stderrLog } from '../../local/service.ts';
import { opsEnvironment, type OpsEnvironment } from '../../ops/replay/environment.ts';
import { ReplayOptionError } from '../../ops/replay/errors.ts';
import { parseInstant, parseProjections } from '../../ops/replay/options.ts';
import type { ProjectionFigures } from '../../ops/replay/projections.ts';
import { replay, type ReplaySummary } from '../../ops/replay/replay.ts';
import type { Action } from '../command.ts';
import { withContext, type CommandContext } from '../context.ts';
import { meter, progress, table, UsageError } from '../output.ts';

interface ReplayFlags {
  from: string;
  to?: string;
  projection: string;
}

export const runReplay: Action<ReplayFlags> = async (_args, opts) => {
  const now = new Date();
  const range = usage(() => ({
    from: parseInstant(opts.from, '--from', now),
    to: opts.to === undefined ? now : parseInstant(opts.to, '--to', now),
  }));
  if (range.from > range.to)
    throw new UsageError(`--from (${range.from.toISOString()}) is after --to (${range.to.toISOString()})`);
  const projections = usage(() => parseProjections(opts.projection));
  return withOps(opts, async (envt) => {
    const summary = await replay(envt, { range, projections, progress, meter });
    await envt.flush();
    return { json: summary, human: renderReplay(summary), exitCode: summary.failures.length > 0 ? 1 : 0 };
  });
};

/** Runs `fn` with an ops environment of a stack-only context, always released. */
export function withOps<T>(
  opts: Parameters<typeof withContext>[0],
  fn: (envt: OpsEnvironment, ctx: CommandContext) => Promise<T>,
): Promise<T> {
  return withContext(opts, 'stack', async (ctx) => {
    const envt = await opsEnvironment(ctx, stderrLog);
    try {
      return await fn(envt, ctx);
    } finally {
      await envt.close();
    }
  });
}

/** A flag the ops layer refuses is the user's to fix: exit 2. */
export function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ReplayOptionError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

export function renderReplay(s: ReplaySummary): string {
  const n = (x: number): string => x.toLocaleString('en-GB');
  const rows = Object.entries(s.by_projection).map(([name, f]) => {
    const figures = f as ProjectionFigures;
    return [
      name,
      n(figures.records),
      n(figures.readings),
      n(figures.invocations),
      n(figures.retries),
      n(figures.failed_records),
      Object.entries(figures.detail)
        .map(([k, v]) => `${k}=${n(v)}`)
        .join(' '),
    ];
  });
  const lines = [
    `replayed arrivals ${s.from} … ${s.to}: ${n(s.records)} records, ${n(s.readings)} readings from ${s.shards.length} shard(s) in ${(s.elapsed_ms / 1000).toFixed(1)} s (${n(s.readings_per_s)} readings/s)`,
    '',
    table(['projection', 'records', 'readings', 'invocations', 'retries', 'failed', 'details'], rows),
  ];
  if (s.failures.length > 0) {
    lines.push(
      '',
      `${s.failures.length} range(s) could not be applied after their retries (replay them again once the cause is fixed):`,
    );
    for (const f of s.failures)
      lines.push(
        `  ${f.projection} ${f.shard_id} ${f.first_sequence_number}…${f.last_sequence_number} (${f.records} record(s)): ${f.error}`,
      );
  }
  return lines.join('\n');
}
