/**
 * The compaction's Lambda handler, invoked daily by EventBridge (and by hand with
 * `{"day": "YYYY-MM-DD"}` or `{"since": …}`): every day partition that is quiet and
 * not yet compacted is rewritten (`compactLake`). It stops starting partitions when
 * less than two minutes remain (what is left waits for the next run) and fails the
 * invocation when a partition failed, so the failed-runs alarm sees it.
 */
import type { Context } from 'aws-lambda';
import { COMPACTION } from '../../shared/compaction.ts';
import { createClients } from '../../shared/clients.ts';
import { readSettings } from '../../shared/settings.ts';
import { lambdaTelemetry, METRIC } from '../../shared/telemetry.ts';
import { compactLake, type CompactionDeps, type CompactionSummary } from './compact.ts';
import { DynamoLeaseStore } from './lease.ts';

const telemetry = lambdaTelemetry('compaction');
/** Time kept in hand when starting a partition: a day of a large network takes a minute or so. */
const RESERVE_MS = 120_000;
let deps: CompactionDeps | undefined;
let quietMs = 0;

export interface CompactionEvent {
  readonly day?: string;
  readonly since?: string;
}

export const handler = telemetry.instrument(
  async (event: CompactionEvent | undefined, context?: Context): Promise<Omit<CompactionSummary, 'partitions'>> => {
    if (!deps) {
      const settings = readSettings();
      const clients = createClients({ target: 'aws' });
      deps = {
        s3: clients.s3,
        bucket: settings.bucket ?? clients.names.bucket,
        leases: new DynamoLeaseStore(clients.doc),
        workDir: '/tmp',
      };
      quietMs = (settings.compactQuietMinutes ?? COMPACTION.defaultQuietMinutes) * 60_000;
    }
    const onDemand = event?.day !== undefined || event?.since !== undefined;
    const summary = await compactLake(deps, {
      day: event?.day,
      since: event?.since,
      quietMs: onDemand ? 0 : quietMs,
      keepGoing: () => !context || context.getRemainingTimeInMillis() > RESERVE_MS,
    });
    telemetry.metrics.add(METRIC.partitionsCompacted, summary.compacted_days.length);
    telemetry.metrics.add(METRIC.partitionsFailed, summary.failed);
    telemetry.metrics.add(METRIC.rowsCompacted, summary.rows_in);
    const { partitions, ...totals } = summary;
    const failures = partitions.filter((p) => p.status === 'failed');
    if (failures.length)
      throw new Error(
        `compaction failed for ${failures.length} partition(s), first ${failures[0]?.day}: ${failures[0]?.error}`,
      );
    telemetry.log.info(
      `compaction: ${summary.compacted_days.length} partition(s) rewritten, ${summary.left_for_next_run} left for the next run`,
    );
    return totals;
  },
);
