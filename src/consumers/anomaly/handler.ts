/**
 * The anomaly consumer's Lambda handler (Kinesis event source mapping with
 * `ReportBatchItemFailures`). The same module runs on Lambda and, through the local
 * event source mapping, in the embedded stack and in replays; only the injected
 * clients and publisher differ. The consumer kit decodes, quarantines, settles and
 * counts; `processRecords` is the consumer's own work.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { readerUnits } from '../../producers/splitter/mapping/stored.ts';
import type { UnitsProvider } from '../../shared/units.ts';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { createClients } from '../../shared/clients.ts';
import { CONSUMERS } from '../../shared/consumers.ts';
import { ENV } from '../../shared/functions.ts';
import { readSettings, requireSetting } from '../../shared/settings.ts';
import { lambdaTelemetry, METRIC, type Counter, type HandlerLog } from '../../shared/telemetry.ts';
import { kinesisConsumer, type BatchOutcome, type KinesisHandler } from '../kit/consumer.ts';
import type { FaultHook } from '../kit/fault.ts';
import { S3AlertArchive, type AlertArchive } from './archive.ts';
import { CachedAssetLookup, type AssetLookup } from './asset-lookup.ts';
import { processRecords, type BatchReport } from './processor.ts';
import { SnsPublisher, type AlertPublisher } from './publisher.ts';
import { rulesConfigFromText, type RulesConfig } from './rules/config.ts';
import { AlertStore } from './store/alert-store.ts';
import { FeedStore } from './store/feed-store.ts';
import { WindowStore } from './store/window-store.ts';

export const CONSUMER_NAME = CONSUMERS.anomaly.name;

export interface AnomalyHandlerDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
  /** The data bucket, for the consumer's quarantine objects and the alert lake. */
  readonly bucket: string;
  /** The units events may carry (built-in plus declared by mappings). @default the built-in units */
  readonly units?: UnitsProvider | undefined;
  readonly publisher: AlertPublisher;
  readonly config: RulesConfig;
  /** Shared with whoever loads the registry, so a load can invalidate it. */
  readonly assets?: AssetLookup;
  /** The stores; by default over `doc` and the shared table names. */
  readonly windows?: WindowStore;
  readonly alerts?: AlertStore;
  /** The stale_feed watchdog's feeds and shard watermarks; by default over `doc`. */
  readonly feeds?: FeedStore;
  /** Wall clock, epoch ms (a shard's idleness). @default Date.now */
  readonly now?: () => number;
  /** The alert lake; by default objects under `processed/alerts/` of `bucket`. */
  readonly archive?: AlertArchive;
  readonly log?: HandlerLog;
  /** Each batch's figures, counted (Powertools metrics on Lambda). */
  readonly metrics?: Counter;
  /** Sees every batch's report (the embedded service keeps its figures from it). */
  readonly onReport?: (report: BatchReport) => void;
  /** Tests only: see `consumers/kit/fault.ts`. */
  readonly fault?: FaultHook | undefined;
}

export type AnomalyHandler = KinesisHandler;

type Outcome = BatchOutcome & { readonly report: BatchReport };

export function createAnomalyHandler(deps: AnomalyHandlerDeps): AnomalyHandler {
  const windows = deps.windows ?? new WindowStore(deps.doc);
  const alerts = deps.alerts ?? new AlertStore(deps.doc);
  const assets = deps.assets ?? new CachedAssetLookup(deps.doc);
  const archive = deps.archive ?? new S3AlertArchive(deps.s3, deps.bucket);
  const feeds = deps.feeds ?? new FeedStore(deps.doc);
  return kinesisConsumer<Outcome>(
    {
      name: CONSUMER_NAME,
      async apply(batch) {
        const report = await processRecords(batch.records, {
          windows,
          alerts,
          assets,
          publisher: deps.publisher,
          archive,
          config: deps.config,
          units: batch.units,
          quarantine: batch.quarantine,
          log: deps.log,
          feeds,
          now: deps.now,
        });
        deps.onReport?.(report);
        return {
          ...(report.firstFailed ? { firstFailed: report.firstFailed } : {}),
          readings: report.stats.readings,
          quarantined: report.stats.rejected,
          report,
        };
      },
      count(metrics, { report: { stats } }) {
        metrics.add(METRIC.readingsLate, stats.late);
        metrics.add(METRIC.readingsCorrected, stats.corrected);
        metrics.add(METRIC.notificationsStored, stats.notifications_stored);
        metrics.add(METRIC.notificationsPublished, stats.notifications_published);
        metrics.add(METRIC.publishFailures, stats.publish_failures);
      },
    },
    deps,
  );
}

/** What the caller wires in; everything else comes from the environment. */
export interface AnomalyWiring extends Pick<AnomalyHandlerDeps, 'log' | 'metrics' | 'onReport' | 'fault'> {
  /** Where alerts go; by default SNS, to the topic `ENV.alertsTopicArn` names (which must then be set). */
  readonly publisher?: AlertPublisher;
  /** A registry cache shared with the registry's loader; by default one of the handler's own. */
  readonly assets?: AssetLookup;
}

/** The handler's dependencies with every default made concrete, so its assembler can share the stores. */
export type AnomalyAssembly = AnomalyHandlerDeps &
  Required<Pick<AnomalyHandlerDeps, 'windows' | 'alerts' | 'assets' | 'archive' | 'feeds'>>;

/**
 * The one assembly of the handler's dependencies from an environment: the Lambda entry,
 * the embedded service and replay all build the handler through it. The bucket falls
 * back to the clients' own name (the local stack's, or the account's on AWS).
 */
export function anomalyDepsFromEnv(
  clients: { doc: DynamoDBDocumentClient; s3: S3Client; sns: SNSClient; names: { bucket: string } },
  env: NodeJS.ProcessEnv,
  wiring: AnomalyWiring = { log: console },
): AnomalyAssembly {
  const settings = readSettings(env);
  const bucket = settings.bucket ?? clients.names.bucket;
  const publisher =
    wiring.publisher ??
    new SnsPublisher(
      clients.sns,
      requireSetting(settings, 'alertsTopicArn', 'the anomaly consumer publishes alerts to it'),
    );
  return {
    ...wiring,
    doc: clients.doc,
    s3: clients.s3,
    bucket,
    units: readerUnits(clients.s3, bucket),
    publisher,
    config: rulesConfigFromText(settings.anomalyRules, ENV.anomalyRules),
    assets: wiring.assets ?? new CachedAssetLookup(clients.doc),
    windows: new WindowStore(clients.doc),
    alerts: new AlertStore(clients.doc),
    feeds: new FeedStore(clients.doc),
    archive: new S3AlertArchive(clients.s3, bucket),
  };
}

const telemetry = lambdaTelemetry('anomaly');
let lambdaHandler: AnomalyHandler | undefined;

/** The Lambda entry (`FUNCTIONS.anomaly.entry`), built on first use so that importing this module never reaches for AWS. */
export const handler: AnomalyHandler = telemetry.instrument((event: KinesisStreamEvent, context?: Context) => {
  lambdaHandler ??= createAnomalyHandler(anomalyDepsFromEnv(createClients({ target: 'aws' }), process.env, telemetry));
  return lambdaHandler(event, context);
});
