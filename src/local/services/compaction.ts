/**
 * The lake compaction in the embedded stack (service `compaction`): the timer that
 * stands in for the daily EventBridge rule. Every `COMPACTION.localCheckMinutes` it
 * compacts the day partitions that have been quiet (no new object) for
 * `DUBEGRID_COMPACT_QUIET_MINUTES` (default `COMPACTION.defaultQuietMinutes`) — a
 * laptop's day partitions settle within the hour, so a daily run would leave the
 * recent ones small-filed for a day. Same code as the Lambda and `dubegrid compact`.
 */
import { compactLake, type CompactionSummary } from '../../lake/compaction/compact.ts';
import { DynamoLeaseStore } from '../../lake/compaction/lease.ts';
import { COMPACTION } from '../../shared/compaction.ts';
import { readSettings } from '../../shared/settings.ts';
import type { Service, ServiceContext, ServiceFactory } from '../service.ts';

export const COMPACTION_SERVICE = 'compaction';

export interface CompactionService extends Service {
  /** One pass now (what the timer does). */
  runOnce(): Promise<CompactionSummary | undefined>;
}

export function createCompactionService(
  ctx: ServiceContext,
  checkMs = COMPACTION.localCheckMinutes * 60_000,
): CompactionService {
  const quietMs = (readSettings().compactQuietMinutes ?? COMPACTION.defaultQuietMinutes) * 60_000;
  const deps = {
    s3: ctx.clients.s3,
    bucket: ctx.clients.names.bucket,
    leases: new DynamoLeaseStore(ctx.clients.doc),
    threads: 1,
  };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<CompactionSummary | undefined> | undefined;
  let stopping = false;
  let last: Record<string, unknown> | undefined;
  const totals = { runs: 0, partitions_compacted: 0, rows_in: 0, rows_out: 0, failed: 0 };

  const runOnce = (): Promise<CompactionSummary | undefined> =>
    (running ??= compactLake(deps, { quietMs, keepGoing: () => !stopping })
      .then((s) => {
        totals.runs++;
        totals.partitions_compacted += s.compacted_days.length;
        totals.rows_in += s.rows_in;
        totals.rows_out += s.rows_out;
        totals.failed += s.failed;
        last = { at: new Date().toISOString(), compacted: s.compacted_days, failed: s.failed };
        if (s.compacted_days.length) ctx.log.info(`compaction: rewrote ${s.compacted_days.join(', ')}`);
        const failed = s.partitions.find((p) => p.status === 'failed');
        if (failed) ctx.log.warn(`compaction: ${s.failed} partition(s) failed, first ${failed.day}: ${failed.error}`);
        return s;
      })
      .catch((err: Error) => {
        ctx.log.warn(`compaction: run failed: ${err.message}`);
        return undefined;
      })
      .finally(() => (running = undefined)));

  return {
    name: COMPACTION_SERVICE,
    runOnce,
    async start() {
      timer = setInterval(() => void runOnce(), checkMs);
      timer.unref();
    },
    async stop() {
      stopping = true;
      clearInterval(timer);
      await running;
    },
    async status() {
      return {
        every_minutes: checkMs / 60_000,
        quiet_minutes: quietMs / 60_000,
        ...totals,
        ...(last ? { last_run: last } : {}),
      };
    },
  };
}

export const compactionService: ServiceFactory = (ctx) => createCompactionService(ctx);
