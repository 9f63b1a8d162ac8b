/**
 * The state consumer's Lambda handler (Kinesis event source mapping with
 * `ReportBatchItemFailures`): the same module runs on Lambda and, through the local
 * event source mapping, in the embedded stack.
 *
 * The whole batch is decoded and planned by the pure core, its writes are made
 * together (one `latest` update per series, `readings` in batches), and the records
 * are then settled in order through Powertools' batch processor: every record before
 * the first one not fully applied succeeds; it and every later record fail, so the
 * mapping resumes from it and nothing after it counts as applied before it.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { createClients } from '../../shared/clients.ts';
import { CONSUMERS } from '../../shared/consumers.ts';
import { ENV } from '../../shared/functions.ts';
import { countKinesisBatch, lambdaTelemetry, type Counter, type HandlerLog } from '../../shared/telemetry.ts';
import { decodeRecord, firstFailedRecord, planBatch, type WriteFailures } from './core.ts';
import { putQuarantine } from './quarantine.ts';
import { StateWriter } from './writer.ts';

export const CONSUMER_NAME = CONSUMERS.state.name;

export interface StateDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
  /** The data bucket, for the consumer's quarantine objects. */
  readonly bucket: string;
  /** `readings` TTL in days after each reading's own time; undefined: no expiry. */
  readonly ttlDays?: number;
  readonly readingsTable?: string;
  readonly latestTable?: string;
  readonly log?: HandlerLog;
  /** Records, readings and failures counted per batch (Powertools metrics on Lambda). */
  readonly metrics?: Counter;
  readonly now?: () => number;
}

export type StateHandler = (event: KinesisStreamEvent, context?: Context) => Promise<KinesisStreamBatchResponse>;

export class StateConfigError extends Error {
  override name = 'StateConfigError';
}

/** `ENV.readingsTtlDays`: a positive number of days, or unset/empty for no expiry. */
export function parseTtlDays(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const days = Number(value);
  if (!Number.isFinite(days) || days <= 0) throw new StateConfigError(`${ENV.readingsTtlDays} must be a positive number of days, got ${JSON.stringify(value)}`);
  return days;
}

export function createStateHandler(deps: StateDeps): StateHandler {
  const writer = new StateWriter({
    doc: deps.doc,
    ...(deps.readingsTable ? { readingsTable: deps.readingsTable } : {}),
    ...(deps.latestTable ? { latestTable: deps.latestTable } : {}),
    ...(deps.ttlDays !== undefined ? { ttlDays: deps.ttlDays } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  return async (event, context) => {
    const decoded = event.Records.map((r, i) => decodeRecord(r, i));
    const plan = planBatch(decoded);
    const stream = streamNameOf(event.Records[0]);
    const quarantineFailures = new Map<number, Error>();
    const [{ readings, latest }] = await Promise.all([
      writer.write({
        readings: new Map([...plan.readings].map(([k, p]) => [k, p.event])),
        latest: new Map([...plan.latest].map(([k, p]) => [k, p.event])),
      }),
      Promise.all(
        plan.quarantine.map((record) =>
          putQuarantine(deps.s3, deps.bucket, record, CONSUMER_NAME, stream).catch((err: Error) => {
            quarantineFailures.set(record.index, err);
          }),
        ),
      ),
    ]);
    const failures: WriteFailures = { readings: readings.failed, latest: latest.failed, quarantine: quarantineFailures };
    const first = firstFailedRecord(plan, failures);
    const rejected = plan.quarantine.reduce((n, r) => n + r.rejected.length, 0);
    if (first || rejected > 0) {
      deps.log?.warn(
        `state: ${event.Records.length} record(s), ${plan.events} reading(s); ${rejected} quarantined` +
          (first ? `; failed from record ${first.index}: ${first.error.message}` : ''),
      );
    }

    const indexOf = new Map(event.Records.map((r, i) => [r.kinesis.sequenceNumber, i]));
    const firstSeq = first ? event.Records[first.index]?.kinesis.sequenceNumber : undefined;
    const settle = async (record: KinesisStreamRecord): Promise<void> => {
      const index = indexOf.get(record.kinesis.sequenceNumber) ?? 0;
      if (!first || index < first.index) return;
      if (index === first.index) throw first.error;
      throw new Error(`not applied: record ${firstSeq} before it failed`);
    };
    // A processor per invocation: the local mapping invokes one handler for several shards at once.
    const processor = new BatchProcessor(EventType.KinesisDataStreams);
    const response = await processPartialResponse(event, settle, processor, { ...(context ? { context } : {}), processInParallel: false });
    if (deps.metrics) countKinesisBatch(deps.metrics, { records: event.Records.length, readings: plan.events, quarantined: rejected, failed: response.batchItemFailures.length });
    return response;
  };
}

function streamNameOf(record: KinesisStreamRecord | undefined): string {
  const arn = record?.eventSourceARN ?? '';
  return arn.slice(arn.indexOf(':stream/') + ':stream/'.length) || 'unknown-stream';
}

/** Assembles the handler from a Lambda environment (the only place it is read). */
export function stateDepsFromEnv(
  clients: { doc: DynamoDBDocumentClient; s3: S3Client },
  env: NodeJS.ProcessEnv,
  fallbackBucket?: string,
  telemetry: Pick<StateDeps, 'log' | 'metrics'> = { log: console },
): StateDeps {
  const bucket = env[ENV.bucket] ?? fallbackBucket;
  if (!bucket) throw new StateConfigError(`${ENV.bucket} is not set: the state consumer needs the data bucket for its quarantine`);
  const ttlDays = parseTtlDays(env[ENV.readingsTtlDays]);
  return { doc: clients.doc, s3: clients.s3, bucket, ...(ttlDays !== undefined ? { ttlDays } : {}), ...telemetry };
}

const telemetry = lambdaTelemetry('state');
let lambdaHandler: StateHandler | undefined;

/**
 * The Lambda entry (`FUNCTIONS.state.entry`). Built on first use, so importing this
 * module (the embedded stack does, for `createStateHandler`) never reaches for AWS.
 */
export const handler: StateHandler = telemetry.instrument((event: KinesisStreamEvent, context?: Context) => {
  if (!lambdaHandler) {
    const clients = createClients({ target: 'aws' });
    lambdaHandler = createStateHandler(stateDepsFromEnv(clients, process.env, clients.names.bucket, telemetry));
  }
  return lambdaHandler(event, context);
});
