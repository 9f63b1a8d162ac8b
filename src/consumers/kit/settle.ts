/**
 * Stop-at-the-first-failure settlement through Powertools' batch processor: every
 * record before the first one not fully applied succeeds; it and every later record
 * fail, so the event source mapping (`ReportBatchItemFailures`) resumes from it and
 * nothing after it counts as applied before it.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';

export interface FirstFailure {
  /** Position in the batch of the first record not fully applied. */
  readonly index: number;
  readonly error: Error;
}

export async function settleInOrder(
  event: KinesisStreamEvent,
  first: FirstFailure | undefined,
  context?: Context,
): Promise<KinesisStreamBatchResponse> {
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
  return processPartialResponse(event, settle, processor, {
    ...(context ? { context } : {}),
    processInParallel: false,
  });
}
