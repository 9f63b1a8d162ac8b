/**
 * How the local event source mapping (and replay, on either target) calls a consumer:
 * the same handler module that runs on Lambda, given a `KinesisStreamEvent` shaped as
 * Lambda shapes it (base64 data, sequence numbers, arrival times in epoch seconds, the
 * stream's ARN) and a Lambda `Context`; and how its answer is read
 * (`ReportBatchItemFailures`).
 */
import { randomUUID } from 'node:crypto';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import type { FunctionDefinition } from '../functions.ts';
import { NAME_PREFIX } from '../resources.ts';
import type { StreamRecord } from './shard-reader.ts';

/**
 * Lambda's synchronous invocation payload limit. Lambda stops adding records to a
 * batch before the event would exceed it; records are base64 in the event.
 */
export const INVOKE_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;
/** Event JSON around one record's data (ARNs, ids, key, sequence number), counted generously. */
const RECORD_ENVELOPE_BYTES = 600;

/** What one record adds to an invocation's payload (its data base64-encoded, in its envelope). */
export function recordPayloadBytes(record: StreamRecord): number {
  return Math.ceil(record.data.byteLength / 3) * 4 + record.partitionKey.length + RECORD_ENVELOPE_BYTES;
}

/** A stream consumer's Lambda handler: what the CDK stack deploys and the poller calls. */
export type KinesisHandler = (
  event: KinesisStreamEvent,
  context: Context,
) => Promise<KinesisStreamBatchResponse | void>;

/** Where the records come from, for the ARNs Lambda puts in each record. */
export interface EventSource {
  readonly region: string;
  readonly account: string;
  readonly stream: string;
  readonly shardId: string;
  /** The consumer (its function name and role derive from it). */
  readonly consumer: string;
}

export function streamArn(source: Pick<EventSource, 'region' | 'account' | 'stream'>): string {
  return `arn:aws:kinesis:${source.region}:${source.account}:stream/${source.stream}`;
}

export function functionNameOf(consumer: string): string {
  return `${NAME_PREFIX}-${consumer}`;
}

export function toKinesisEvent(records: readonly StreamRecord[], source: EventSource): KinesisStreamEvent {
  const eventSourceARN = streamArn(source);
  const invokeIdentityArn = `arn:aws:iam::${source.account}:role/${functionNameOf(source.consumer)}-role`;
  return {
    Records: records.map((r): KinesisStreamRecord => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.partitionKey,
        sequenceNumber: r.sequenceNumber,
        // Encoded when the handler reads it, and not kept: held in the event, a batch's
        // base64 text (up to the 6 MiB payload limit) lived as long as the invocation,
        // beside the records' bytes, in each consumer at once (docs/reliability.md →
        // "Peak memory"). Read twice, it is encoded twice: the consumers read it once.
        get data(): string {
          return Buffer.from(r.data.buffer, r.data.byteOffset, r.data.byteLength).toString('base64');
        },
        approximateArrivalTimestamp: r.arrival.getTime() / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${source.shardId}:${r.sequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn,
      awsRegion: source.region,
      eventSourceARN,
    })),
  };
}

export function lambdaContext(
  source: EventSource,
  fn: Pick<FunctionDefinition, 'memoryMiB' | 'timeoutSeconds'>,
  now = Date.now,
): Context {
  const functionName = functionNameOf(source.consumer);
  const deadline = now() + fn.timeoutSeconds * 1000;
  const requestId = randomUUID();
  const unsupported = (): never => {
    throw new Error('callback-style completion is not supported: return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${source.region}:${source.account}:function:${functionName}`,
    memoryLimitInMB: String(fn.memoryMiB),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${requestId.replace(/-/g, '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** What one invocation did to a batch. */
export type InvokeOutcome =
  | { readonly ok: true }
  /** `failedIndex`: the first record to retry; every record before it is done. */
  | { readonly ok: false; readonly failedIndex: number; readonly error: string };

/**
 * Reads a handler's answer as Lambda does with `ReportBatchItemFailures`: nothing or
 * an empty list is success; otherwise processing resumes from the lowest failed
 * sequence number; an identifier that is not in the batch fails the whole batch.
 */
export function interpretResponse(
  records: readonly StreamRecord[],
  response: KinesisStreamBatchResponse | void,
  reportBatchItemFailures: boolean,
): InvokeOutcome {
  const failures = reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
  if (failures.length === 0) return { ok: true };
  let lowest = records.length;
  for (const f of failures) {
    const index = records.findIndex((r) => r.sequenceNumber === f.itemIdentifier);
    if (index < 0) {
      return {
        ok: false,
        failedIndex: 0,
        error: `the handler reported an item failure for ${JSON.stringify(f.itemIdentifier)}, which is not in the batch`,
      };
    }
    lowest = Math.min(lowest, index);
  }
  return {
    ok: false,
    failedIndex: lowest,
    error: `the handler reported ${failures.length} of ${records.length} record(s) as failed`,
  };
}

/** One line from a thrown error, including the first record error of a Powertools full-batch failure. */
export function describeError(err: unknown): string {
  const e = err as Error & { recordErrors?: Error[] };
  const first = e?.recordErrors?.[0];
  const message = e?.message ?? String(err);
  const line = first
    ? `${message.split('\n')[0]}: ${first.name}: ${first.message}`
    : `${e?.name ?? 'Error'}: ${message}`;
  return line.split('\n')[0] ?? line;
}

/** One invocation as the event source mapping makes it; a thrown error fails the whole batch. */
export async function invokeHandler(
  handler: KinesisHandler,
  records: readonly StreamRecord[],
  source: EventSource,
  fn: Pick<FunctionDefinition, 'memoryMiB' | 'timeoutSeconds'>,
  reportBatchItemFailures: boolean,
): Promise<InvokeOutcome> {
  try {
    const response = await handler(toKinesisEvent(records, source), lambdaContext(source, fn));
    return interpretResponse(records, response, reportBatchItemFailures);
  } catch (err) {
    return { ok: false, failedIndex: 0, error: describeError(err) };
  }
}
