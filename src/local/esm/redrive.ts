/**
 * Redrive of a stream batch from the local DLQ: the entry keeps where the batch was
 * (shard and sequence range), the stream keeps the data, so the records are read
 * again from the stream and given to the consumer's handler in shard order, in
 * batches as the mapping would make them. The entry is removed only when every record
 * was processed; otherwise it stays, with the error reported, for another redrive
 * once the cause is fixed. Effects are idempotent, so a partly redriven entry can be
 * redriven again.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { EventSourceMappingSettings } from '../../shared/consumers.ts';
import type { FunctionDefinition } from '../../shared/functions.ts';
import { LOCAL_ACCOUNT } from '../../shared/resources.ts';
import type { DlqEntry, KinesisFailure, LocalDlq } from '../dlq.ts';
import {
  INVOKE_PAYLOAD_LIMIT_BYTES,
  invokeHandler,
  recordPayloadBytes,
  type KinesisHandler,
} from '../../shared/kinesis/invoke.ts';
import { compareSequenceNumbers, ShardReader, type StreamRecord } from '../../shared/kinesis/shard-reader.ts';

export class RedriveError extends Error {
  override name = 'RedriveError';
  constructor(
    message: string,
    readonly entryId: string,
    /** Records processed before the failure (they stay processed; the entry is kept whole). */
    readonly processed: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface RedriveResult {
  readonly id: string;
  readonly source: string;
  /** Records found in the stream and processed. */
  readonly records: number;
  /** Records of the range the stream no longer holds (past its retention): backfill them from raw/. */
  readonly missing: number;
  readonly invocations: number;
}

export interface KinesisRedriveOptions {
  readonly kinesis: KinesisClient;
  readonly region: string;
  readonly entry: DlqEntry & { payload: KinesisFailure };
  readonly settings: EventSourceMappingSettings;
  readonly fn: Pick<FunctionDefinition, 'memoryMiB' | 'timeoutSeconds'>;
  readonly handler: KinesisHandler;
  readonly dlq: LocalDlq;
}

/** Reads the records of a sequence range of one shard, inclusive. */
export async function readRange(kinesis: KinesisClient, failure: KinesisFailure): Promise<StreamRecord[]> {
  const reader = new ShardReader({
    kinesis,
    stream: failure.stream,
    shardId: failure.shard_id,
    start: { type: 'AT_SEQUENCE_NUMBER', sequenceNumber: failure.start_sequence_number },
  });
  const out: StreamRecord[] = [];
  for (;;) {
    const page = await reader.read(Math.max(100, failure.records));
    for (const r of page.records) {
      if (compareSequenceNumbers(r.sequenceNumber, failure.end_sequence_number) > 0) return out;
      out.push(r);
    }
    if (page.ended || page.records.length === 0) return out;
  }
}

export async function redriveKinesisEntry(o: KinesisRedriveOptions): Promise<RedriveResult> {
  const { entry } = o;
  const records = await readRange(o.kinesis, entry.payload);
  const source = {
    region: o.region,
    account: LOCAL_ACCOUNT,
    stream: entry.payload.stream,
    shardId: entry.payload.shard_id,
    consumer: o.settings.name,
  };
  let processed = 0;
  let invocations = 0;
  for (const batch of batches(records, o.settings.batchSize)) {
    invocations += 1;
    const outcome = await invokeHandler(o.handler, batch, source, o.fn, o.settings.reportBatchItemFailures);
    if (!outcome.ok) {
      processed += outcome.failedIndex;
      throw new RedriveError(
        `redrive of ${entry.id} failed at record ${batch[outcome.failedIndex]?.sequenceNumber ?? '?'}: ${outcome.error}; the entry is kept`,
        entry.id,
        processed,
      );
    }
    processed += batch.length;
  }
  await o.dlq.remove(entry);
  return {
    id: entry.id,
    source: entry.source,
    records: processed,
    missing: Math.max(0, entry.payload.records - records.length),
    invocations,
  };
}

function* batches(records: readonly StreamRecord[], batchSize: number): Generator<StreamRecord[]> {
  let batch: StreamRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = recordPayloadBytes(r);
    if (batch.length > 0 && (batch.length >= batchSize || bytes + size > INVOKE_PAYLOAD_LIMIT_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(r);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
