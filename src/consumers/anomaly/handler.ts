/**
 * The anomaly consumer's Lambda handler (Kinesis event source mapping with
 * `ReportBatchItemFailures`). The same module runs on Lambda and, through the local
 * event source mapping, in the embedded stack; only the injected clients and
 * publisher differ.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { createClients } from '../../shared/clients.ts';
import { CONSUMERS } from '../../shared/consumers.ts';
import { ENV } from '../../shared/functions.ts';
import { countKinesisBatch, lambdaTelemetry, METRIC, type Counter, type HandlerLog } from '../../shared/telemetry.ts';
import { putQuarantine } from '../state/quarantine.ts';
import { S3AlertArchive, type AlertArchive } from './archive.ts';
import { CachedAssetLookup, type AssetLookup } from './asset-lookup.ts';
import { processRecords, type BatchReport } from './processor.ts';
import { SnsPublisher, type AlertPublisher } from './publisher.ts';
import { rulesConfigFromText, type RulesConfig } from './rules/config.ts';
import { AlertStore } from './store/alert-store.ts';
import { WindowStore } from './store/window-store.ts';

export const CONSUMER_NAME = CONSUMERS.anomaly.name;

export interface AnomalyHandlerDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
  /** The data bucket, for the consumer's quarantine objects and the alert lake. */
  readonly bucket: string;
  readonly publisher: AlertPublisher;
  readonly config: RulesConfig;
  /** Shared with whoever loads the registry, so a load can invalidate it. */
  readonly assets?: AssetLookup;
  /** The stores; by default over `doc` and the shared table names. */
  readonly windows?: WindowStore;
  readonly alerts?: AlertStore;
  /** The alert lake; by default objects under `processed/alerts/` of `bucket`. */
  readonly archive?: AlertArchive;
  readonly log?: HandlerLog;
  /** Each batch's figures, counted (Powertools metrics on Lambda). */
  readonly metrics?: Counter;
  /** Sees every batch's report (the embedded service keeps its figures from it). */
  readonly onReport?: (report: BatchReport) => void;
}

export type AnomalyHandler = (event: KinesisStreamEvent, context?: Context) => Promise<KinesisStreamBatchResponse>;

export class AnomalyConfigError extends Error {
  override name = 'AnomalyConfigError';
}

export function createAnomalyHandler(deps: AnomalyHandlerDeps): AnomalyHandler {
  const windows = deps.windows ?? new WindowStore(deps.doc);
  const alerts = deps.alerts ?? new AlertStore(deps.doc);
  const assets = deps.assets ?? new CachedAssetLookup(deps.doc);
  const archive = deps.archive ?? new S3AlertArchive(deps.s3, deps.bucket);
  return async (event, context) => {
    const stream = streamNameOf(event.Records[0]);
    const report = await processRecords(event.Records, {
      windows,
      alerts,
      assets,
      publisher: deps.publisher,
      archive,
      config: deps.config,
      quarantine: (record) => putQuarantine(deps.s3, deps.bucket, record, CONSUMER_NAME, stream),
      ...(deps.log ? { log: deps.log } : {}),
    });
    deps.onReport?.(report);
    const { firstFailed } = report;
    const indexOf = new Map(event.Records.map((r, i) => [r.kinesis.sequenceNumber, i]));
    const firstSeq = firstFailed ? event.Records[firstFailed.index]?.kinesis.sequenceNumber : undefined;
    // In order: everything before the first failed record succeeds; it and all after it fail.
    const settle = async (record: KinesisStreamRecord): Promise<void> => {
      const index = indexOf.get(record.kinesis.sequenceNumber) ?? 0;
      if (!firstFailed || index < firstFailed.index) return;
      if (index === firstFailed.index) throw firstFailed.error;
      throw new Error(`not applied: record ${firstSeq} before it failed`);
    };
    const processor = new BatchProcessor(EventType.KinesisDataStreams);
    const response = await processPartialResponse(event, settle, processor, { ...(context ? { context } : {}), processInParallel: false });
    if (deps.metrics) countReport(deps.metrics, report, response.batchItemFailures.length);
    return response;
  };
}

function countReport(metrics: Counter, { stats }: BatchReport, failed: number): void {
  countKinesisBatch(metrics, { records: stats.records, readings: stats.readings, quarantined: stats.rejected, failed });
  metrics.add(METRIC.readingsLate, stats.late);
  metrics.add(METRIC.readingsCorrected, stats.corrected);
  metrics.add(METRIC.notificationsStored, stats.notifications_stored);
  metrics.add(METRIC.notificationsPublished, stats.notifications_published);
  metrics.add(METRIC.publishFailures, stats.publish_failures);
}

function streamNameOf(record: KinesisStreamRecord | undefined): string {
  const arn = record?.eventSourceARN ?? '';
  return arn.slice(arn.indexOf(':stream/') + ':stream/'.length) || 'unknown-stream';
}

/** The environment variables this handler reads (only here, where it is assembled for Lambda). */
export function anomalyDepsFromEnv(
  clients: { doc: DynamoDBDocumentClient; s3: S3Client; sns: SNSClient },
  env: NodeJS.ProcessEnv,
  telemetry: Pick<AnomalyHandlerDeps, 'log' | 'metrics'> = { log: console },
): AnomalyHandlerDeps {
  const bucket = env[ENV.bucket];
  if (!bucket) throw new AnomalyConfigError(`${ENV.bucket} is not set: the anomaly consumer needs the data bucket for its quarantine`);
  const topicArn = env[ENV.alertsTopicArn];
  if (!topicArn) throw new AnomalyConfigError(`${ENV.alertsTopicArn} is not set: the anomaly consumer publishes alerts to it`);
  return {
    doc: clients.doc,
    s3: clients.s3,
    bucket,
    publisher: new SnsPublisher(clients.sns, topicArn),
    config: rulesConfigFromText(env[ENV.anomalyRules], ENV.anomalyRules),
    ...telemetry,
  };
}

const telemetry = lambdaTelemetry('anomaly');
let lambdaHandler: AnomalyHandler | undefined;

/** The Lambda entry (`FUNCTIONS.anomaly.entry`), built on first use so that importing this module never reaches for AWS. */
export const handler: AnomalyHandler = telemetry.instrument((event: KinesisStreamEvent, context?: Context) => {
  lambdaHandler ??= createAnomalyHandler(anomalyDepsFromEnv(createClients({ target: 'aws' }), process.env, telemetry));
  return lambdaHandler(event, context);
});
