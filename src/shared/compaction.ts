/**
 * The lake compaction's schedule and lease, read by the CDK stack (the daily rule, the
 * function's timeout), the embedded runtime (the timer in `up`) and the compaction
 * itself (`src/lake/compaction/`). docs/lake.md → "Compaction".
 */
export const COMPACTION = {
  /**
   * How long a partition's lease lasts. Longer than the compaction function's timeout
   * (`FUNCTIONS.compaction.timeoutSeconds`, checked by a test), so a lease found expired
   * belongs to a run that died, never to one still writing.
   */
  leaseSeconds: 20 * 60,
  /** The daily EventBridge rule on AWS: at this UTC hour, after the night's deliveries. */
  dailyAtUtcHour: 3,
  /** How often the embedded stack's timer looks for quiet partitions. */
  localCheckMinutes: 10,
  /** A partition is compacted once no object landed in it for this long (`DUBEGRID_COMPACT_QUIET_MINUTES`). */
  defaultQuietMinutes: 60,
  /** Name prefix of the objects a compaction writes: `compacted-<run id>-<n>.parquet`. */
  objectPrefix: 'compacted-',
} as const;

/** `compacted-<run id>-<n>.parquet`, the run id sortable by time. */
export function compactedObjectName(runId: string, n: number): string {
  return `${COMPACTION.objectPrefix}${runId}-${String(n).padStart(4, '0')}.parquet`;
}

/** The run that wrote a compacted object; undefined for any other object (a delivery). */
export function compactionRunOf(objectName: string): string | undefined {
  const m = /^compacted-([0-9TZ]+-[0-9a-f]{8})-\d{4}\.parquet$/.exec(objectName);
  return m?.[1];
}
