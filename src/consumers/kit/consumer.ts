/**
 * The Kinesis consumer kit: what every stream consumer's Lambda handler does around its
 * own core, written once. Per invocation it
 *
 * 1. decodes every record (KPL de-aggregation, contract-v1 validation: `decode.ts`);
 * 2. hands the batch to the consumer's `apply`, with `quarantine` for the readings it
 *    cannot use (`quarantine.ts`: one object per record, under the consumer's name and
 *    the stream's);
 * 3. calls the fault hook, if one is installed (`fault.ts`), before and after `apply`;
 * 4. settles the records in order, stopping at the first failure (`settle.ts`);
 * 5. counts the batch (records, readings, quarantined, failed) plus what the consumer adds.
 *
 * A consumer is then its pure core plus a planner/writer behind `apply`.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { countKinesisBatch, type Counter } from '../../shared/telemetry.ts';
import { decodeRecord, type DecodedRecord } from './decode.ts';
import type { FaultHook } from './fault.ts';
import { builtinUnits, type UnitRegistry, type UnitsProvider } from '../../shared/units.ts';
import { putQuarantine } from './quarantine.ts';
import { settleInOrder, type FirstFailure } from './settle.ts';

export type KinesisHandler = (event: KinesisStreamEvent, context?: Context) => Promise<KinesisStreamBatchResponse>;

/** One invocation's batch, decoded, as the consumer's `apply` sees it. */
export interface ConsumerBatch {
  readonly records: readonly DecodedRecord[];
  /** The stream's name, from the records' event source ARN. */
  readonly stream: string;
  /** The units the batch was validated against: a consumer's own checks use the same. */
  readonly units: UnitRegistry;
  /** Writes the record's rejected readings to the consumer's quarantine; rejects when it could not. */
  quarantine(record: DecodedRecord): Promise<string>;
}

/** What `apply` reports: how far the batch got, and its figures. */
export interface BatchOutcome {
  /** The first record not fully applied, and why; undefined when all were. */
  readonly firstFailed?: FirstFailure;
  readonly readings: number;
  readonly quarantined: number;
}

export interface ConsumerKitDeps {
  readonly s3: S3Client;
  /** The data bucket, for the consumer's quarantine objects. */
  readonly bucket: string;
  /** Per-batch figures (Powertools metrics on Lambda). */
  readonly metrics?: Counter;
  /** The units events may carry (built-in plus declared by mappings). @default the built-in units */
  readonly units?: UnitsProvider | undefined;
  /** Faults on purpose, never on Lambda: called at fixed points of each batch (`killAt`, `poisonAt`). */
  readonly fault?: FaultHook | undefined;
}

export interface ConsumerSpec<O extends BatchOutcome> {
  /** The consumer's name (`CONSUMERS.*.name`): its quarantine prefix and fault-hook name. */
  readonly name: string;
  apply(batch: ConsumerBatch): Promise<O>;
  /** Consumer-specific figures, counted after the kit's own. */
  count?(metrics: Counter, outcome: O): void;
}

export function kinesisConsumer<O extends BatchOutcome>(spec: ConsumerSpec<O>, deps: ConsumerKitDeps): KinesisHandler {
  // Batches per shard: a shard's batches are invoked one after another, so the n-th is deterministic.
  const batches = new Map<string, number>();
  return async (event, context) => {
    // a failure to read the mappings fails the whole batch: it is retried, never quarantined
    const provider = deps.units ?? builtinUnits;
    let units = await provider();
    let records = event.Records.map((r, i) => decodeRecord(r, i, units));
    // A mapping stored a moment ago may declare a unit the cached registry lacks (the
    // splitter uses it from the next object on): look again once before quarantining.
    if (records.some((r) => r.rejected.some((x) => x.reason === 'invalid_event'))) {
      const fresh = await provider({ fresh: true });
      if (fresh !== units) {
        units = fresh;
        records = event.Records.map((r, i) => decodeRecord(r, i, units));
      }
    }
    const stream = streamNameOf(event.Records[0]);
    const shardId = records[0]?.shardId ?? 'unknown-shard';
    const batch = (batches.get(shardId) ?? 0) + 1;
    batches.set(shardId, batch);
    deps.fault?.({ consumer: spec.name, shardId, batch, phase: 'decoded', records });
    const outcome = await spec.apply({
      records,
      stream,
      units,
      quarantine: (record) => putQuarantine(deps.s3, deps.bucket, record, spec.name, stream),
    });
    deps.fault?.({ consumer: spec.name, shardId, batch, phase: 'applied', records });
    const response = await settleInOrder(event, outcome.firstFailed, context);
    if (deps.metrics) {
      countKinesisBatch(deps.metrics, {
        records: event.Records.length,
        readings: outcome.readings,
        quarantined: outcome.quarantined,
        failed: response.batchItemFailures.length,
      });
      spec.count?.(deps.metrics, outcome);
    }
    return response;
  };
}

/** The stream's name from a record's event source ARN (`arn:aws:kinesis:…:stream/<name>`). */
export function streamNameOf(record: KinesisStreamRecord | undefined): string {
  const arn = record?.eventSourceARN ?? '';
  return arn.slice(arn.indexOf(':stream/') + ':stream/'.length) || 'unknown-stream';
}
