import { compactLake, type CompactionSummary } from '../../lake/compaction/compact.ts';
import { DynamoLeaseStore } from '../../lake/compaction/lease.ts';
import { CompactionError, partitionOfDay } from '../../lake/compaction/objects.ts';
import type { Action } from '../command.ts';
import { withContext } from '../context.ts';
import { meter, table, UsageError } from '../output.ts';

interface CompactFlags {
  readonly day?: string;
  readonly since?: string;
  readonly flush?: boolean;
}

export const runCompact: Action<CompactFlags> = async (_args, opts) => {
  if (opts.day !== undefined && opts.since !== undefined) throw new UsageError('give --day or --since, not both');
  for (const [flag, value] of [
    ['--day', opts.day],
    ['--since', opts.since],
  ] as const) {
    if (value === undefined) continue;
    try {
      partitionOfDay(value);
    } catch (err) {
      if (err instanceof CompactionError) throw new UsageError(`${flag}: ${err.message}`);
      throw err;
    }
  }
  return withContext(opts, 'stack', async (ctx) => {
    if (opts.flush) await ctx.flush();
    const summary = await compactLake(
      { s3: ctx.clients.s3, bucket: ctx.clients.names.bucket, leases: new DynamoLeaseStore(ctx.clients.doc) },
      {
        day: opts.day,
        since: opts.since,
        onProgress: (done, total) => meter({ task: 'compact', done, total, unit: 'partitions' }),
      },
    );
    return { json: summary, human: render(summary), exitCode: summary.failed ? 1 : 0 };
  });
};

function render(s: CompactionSummary): string {
  if (!s.partitions.length) return 'no lake partitions to compact';
  const rows = s.partitions.map((p) => [
    p.day,
    p.status,
    p.status === 'compacted' ? `${p.inputs} → ${p.outputs}` : String(p.inputs),
    p.status === 'compacted' ? `${p.rows_in.toLocaleString('en-GB')} → ${p.rows_out.toLocaleString('en-GB')}` : '',
    p.error ?? '',
  ]);
  const shown = rows.filter((r) => r[1] !== 'already-compacted');
  const settled = rows.length - shown.length;
  return [
    ...(shown.length ? [table(['day', 'status', 'objects', 'rows', 'note'], shown)] : []),
    `${s.compacted_days.length} partition(s) compacted${settled ? `, ${settled} already compacted` : ''}` +
      `${s.failed ? `, ${s.failed} failed (run compact again to complete them)` : ''} in ${(s.elapsed_ms / 1000).toFixed(1)} s`,
  ].join('\n');
}
