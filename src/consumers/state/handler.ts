/**
 * The state consumer's Lambda handler (Kinesis event source mapping with
 * `ReportBatchItemFailures`): the same module runs on Lambda and, through the local
 * event source mapping, in the embedded stack.
 *
 * The consumer kit decodes the batch and settles it; here the whole batch is planned by
 * the pure core, its writes are made together (one `latest` update per series,
 * `readings` in batches) beside the quarantine of unusable readings, and the first
 * record not fully applied is handed back to the kit.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { readerUnits } from '../../producers/splitter/mapping/stored.ts';
import type { UnitsProvider } from '../../shared/units.ts';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { createClients } from '../../shared/clients.ts';
import { CONSUMERS } from '../../shared/consumers.ts';
import { readSettings } from '../../shared/settings.ts';
import { lambdaTelemetry, type Counter, type HandlerLog } from '../../shared/telemetry.ts';
import { kinesisConsumer, type BatchOutcome, type KinesisHandler } from '../kit/consumer.ts';
import type { FaultHook } from '../kit/fault.ts';
import { firstFailedRecord, planBatch, type WriteFailures } from './core.ts';
import { StateWriter } from './writer.ts';

export const CONSUMER_NAME = CONSUMERS.state.name;

export interface StateDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
  /** The data bucket, for the consumer's quarantine objects. */
  readonly bucket: string;
  /** The units events may carry (built-in plus declared by mappings). @default the built-in units */
  readonly units?: UnitsProvider | undefined;
  /** `readings` TTL in days after each reading's own time; undefined: no expiry. */
  readonly ttlDays?: number | undefined;
  readonly readingsTable?: string;
  readonly latestTable?: string;
  readonly log?: HandlerLog;
  /** Records, readings and failures counted per batch (Powertools metrics on Lambda). */
  readonly metrics?: Counter;
  readonly now?: () => number;
  /** Tests only: see `consumers/kit/fault.ts`. */
  readonly fault?: FaultHook | undefined;
}

export type StateHandler = KinesisHandler;

export function createStateHandler(deps: StateDeps): StateHandler {
  const writer = new StateWriter({
    doc: deps.doc,
    ...(deps.readingsTable ? { readingsTable: deps.readingsTable } : {}),
    ...(deps.latestTable ? { latestTable: deps.latestTable } : {}),
    ttlDays: deps.ttlDays,
    now: deps.now,
  });
  return kinesisConsumer(
    {
      name: CONSUMER_NAME,
      async apply(batch): Promise<BatchOutcome> {
        const plan = planBatch(batch.records);
        const quarantineFailures = new Map<number, Error>();
        const [{ readings, latest }] = await Promise.all([
          writer.write({
            readings: new Map([...plan.readings].map(([k, p]) => [k, p.event])),
            latest: new Map([...plan.latest].map(([k, p]) => [k, p.event])),
          }),
          Promise.all(
            plan.quarantine.map((record) =>
              batch.quarantine(record).catch((err: Error) => {
                quarantineFailures.set(record.index, err);
              }),
            ),
          ),
        ]);
        const failures: WriteFailures = {
          readings: readings.failed,
          latest: latest.failed,
          quarantine: quarantineFailures,
        };
        const first = firstFailedRecord(plan, failures);
        const rejected = plan.quarantine.reduce((n, r) => n + r.rejected.length, 0);
        if (first || rejected > 0) {
          deps.log?.warn(
            `state: ${batch.records.length} record(s), ${plan.events} reading(s); ${rejected} quarantined` +
              (first ? `; failed from record ${first.index}: ${first.error.message}` : ''),
          );
        }
        return { ...(first ? { firstFailed: first } : {}), readings: plan.events, quarantined: rejected };
      },
    },
    deps,
  );
}

/**
 * The one assembly of the handler's dependencies from an environment: the Lambda entry,
 * the embedded service and replay all build the handler through it. The bucket falls
 * back to the clients' own name (the local stack's, or the account's on AWS).
 */
export function stateDepsFromEnv(
  clients: { doc: DynamoDBDocumentClient; s3: S3Client; names: { bucket: string } },
  env: NodeJS.ProcessEnv,
  wiring: Pick<StateDeps, 'log' | 'metrics' | 'fault'> = { log: console },
): StateDeps {
  const settings = readSettings(env);
  const bucket = settings.bucket ?? clients.names.bucket;
  return {
    doc: clients.doc,
    s3: clients.s3,
    bucket,
    units: readerUnits(clients.s3, bucket),
    ttlDays: settings.readingsTtlDays,
    ...wiring,
  };
}

const telemetry = lambdaTelemetry('state');
let lambdaHandler: StateHandler | undefined;

/**
 * The Lambda entry (`FUNCTIONS.state.entry`). Built on first use, so importing this
 * module (the embedded stack does, for `createStateHandler`) never reaches for AWS.
 */
export const handler: StateHandler = telemetry.instrument((event: KinesisStreamEvent, context?: Context) => {
  lambdaHandler ??= createStateHandler(stateDepsFromEnv(createClients({ target: 'aws' }), process.env, telemetry));
  return lambdaHandler(event, context);
});
