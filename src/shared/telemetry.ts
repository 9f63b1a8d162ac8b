/**
 * Logs and metrics of the deployed functions, through Powertools for AWS Lambda:
 * JSON log lines with the request id, and per-invocation counts as CloudWatch
 * embedded-metric-format lines in the `METRICS_NAMESPACE` namespace with a `service`
 * dimension (the function's key). The handlers only see `HandlerLog` and `Counter`;
 * the embedded stack gives them console logging and no counter, so Powertools is
 * assembled only in the Lambda entries (`lambdaTelemetry`).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE, type FunctionKey } from './functions.ts';

export interface HandlerLog {
  info(message: string): void;
  warn(message: string): void;
}

/** Every metric a handler publishes (all counts; the `service` dimension says which function). */
export const METRIC = {
  objectsSplit: 'ObjectsSplit',
  /** Objects not split: superseded by a newer version, or deleted before the splitter read them. */
  objectsSkipped: 'ObjectsSkipped',
  objectsFailed: 'ObjectsFailed',
  /** Objects whose split ran short of time and went on in a fresh invocation (a Step Functions execution on AWS). */
  objectsContinued: 'ObjectsContinued',
  rowsRead: 'RowsRead',
  rowsAccepted: 'RowsAccepted',
  rowsQuarantined: 'RowsQuarantined',
  eventsEmitted: 'EventsEmitted',
  kinesisRecords: 'KinesisRecords',
  recordsReceived: 'RecordsReceived',
  /** Records reported back as batch item failures (retried by the mapping). */
  recordsFailed: 'RecordsFailed',
  readings: 'Readings',
  readingsQuarantined: 'ReadingsQuarantined',
  readingsLate: 'ReadingsLate',
  readingsCorrected: 'ReadingsCorrected',
  notificationsStored: 'NotificationsStored',
  notificationsPending: 'NotificationsPending',
  notificationsPublished: 'NotificationsPublished',
  publishFailures: 'PublishFailures',
  assetFilesLoaded: 'AssetFilesLoaded',
  assetFilesFailed: 'AssetFilesFailed',
  assetsLoaded: 'AssetsLoaded',
  assetRowsRejected: 'AssetRowsRejected',
  partitionsCompacted: 'PartitionsCompacted',
  /** Lake day partitions whose compaction failed (the next run completes them); the alarm on failed runs. */
  partitionsFailed: 'PartitionsFailed',
  rowsCompacted: 'RowsCompacted',
  /** Lake days whose fact tables (rollups and interval facts) a run (re)built. */
  rollupDaysRebuilt: 'RollupDaysRebuilt',
  /** Lake days whose readings are gone, so their rollups were deleted. */
  rollupDaysRemoved: 'RollupDaysRemoved',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];

const KINESIS_BATCH_METRICS = [
  METRIC.recordsReceived,
  METRIC.readings,
  METRIC.readingsQuarantined,
  METRIC.recordsFailed,
] as const;

/**
 * What each function publishes (each name is one CloudWatch custom metric per
 * service): the handlers' tests check their counts against it, the cost model prices it.
 */
export const PUBLISHED_METRICS = {
  splitter: [
    METRIC.objectsSplit,
    METRIC.objectsSkipped,
    METRIC.objectsFailed,
    METRIC.rowsRead,
    METRIC.rowsAccepted,
    METRIC.rowsQuarantined,
    METRIC.eventsEmitted,
    METRIC.kinesisRecords,
  ],
  state: KINESIS_BATCH_METRICS,
  anomaly: [
    ...KINESIS_BATCH_METRICS,
    METRIC.readingsLate,
    METRIC.readingsCorrected,
    METRIC.notificationsStored,
    METRIC.notificationsPublished,
    METRIC.publishFailures,
  ],
  outbox: [METRIC.notificationsPending, METRIC.notificationsPublished, METRIC.publishFailures],
  compaction: [METRIC.partitionsCompacted, METRIC.partitionsFailed, METRIC.rowsCompacted],
  rollups: [METRIC.rollupDaysRebuilt, METRIC.rollupDaysRemoved],
  watchdog: [METRIC.notificationsStored, METRIC.notificationsPublished, METRIC.publishFailures],
  registry: [METRIC.assetFilesLoaded, METRIC.assetFilesFailed, METRIC.assetsLoaded, METRIC.assetRowsRejected],
} as const satisfies Record<FunctionKey, readonly MetricName[]>;

/** Where a handler counts what it did; summed per invocation. */
export interface Counter {
  add(name: MetricName, value: number): void;
}

/**
 * Sums what is added, per metric: one value per metric and invocation, however many
 * objects or batches it saw (the Lambda entries publish `sums`; tests read them).
 */
export class SummingCounter implements Counter {
  readonly sums = new Map<MetricName, number>();

  add(name: MetricName, value: number): void {
    this.sums.set(name, (this.sums.get(name) ?? 0) + value);
  }
}

/** The counts both Kinesis consumers publish for a batch. */
export function countKinesisBatch(
  metrics: Counter,
  batch: { records: number; readings: number; quarantined: number; failed: number },
): void {
  metrics.add(METRIC.recordsReceived, batch.records);
  metrics.add(METRIC.readings, batch.readings);
  metrics.add(METRIC.readingsQuarantined, batch.quarantined);
  metrics.add(METRIC.recordsFailed, batch.failed);
}

export interface LambdaTelemetry {
  readonly log: HandlerLog;
  readonly metrics: Counter;
  /**
   * Wraps a Lambda entry: log lines carry the invocation's context, and the counts it
   * added are published once when it ends, whether it returned or threw.
   */
  instrument<E, R>(entry: (event: E, context?: Context) => Promise<R>): (event: E, context?: Context) => Promise<R>;
}

export function lambdaTelemetry(service: FunctionKey): LambdaTelemetry {
  const logger = new Logger({ serviceName: service });
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
  const counter = new SummingCounter();
  const flush = (): void => {
    if (counter.sums.size === 0) return; // nothing counted (it failed while being assembled): no empty EMF line
    for (const [name, value] of counter.sums) metrics.addMetric(name, MetricUnit.Count, value);
    counter.sums.clear();
    metrics.publishStoredMetrics();
  };
  return {
    log: { info: (m) => logger.info(m), warn: (m) => logger.warn(m) },
    metrics: counter,
    instrument: (entry) => async (event, context) => {
      if (context) logger.addContext(context);
      try {
        return await entry(event, context);
      } catch (err) {
        logger.error('invocation failed', err as Error);
        throw err;
      } finally {
        flush();
      }
    },
  };
}
