/**
 * KPL aggregation format (via `aws-kinesis-agg`): many user records in one Kinesis
 * record. The splitter aggregates with one aggregator per partition key — never two
 * keys in one aggregated record, since a record is routed by one key; the consumers
 * and the local Firehose de-aggregate with `deaggregate`.
 */
import { createRequire } from 'node:module';

interface LibEncodedRecord {
  partitionKey: string;
  data: Buffer;
}
interface LibAggregator {
  addUserRecord(record: { partitionKey: string; data: Buffer }): void;
  checkIfUserRecordFits(record: { partitionKey: string; data: Buffer }): boolean;
  calculateUserRecordSize(record: { partitionKey: string; data: Buffer }): number;
  build(): LibEncodedRecord | undefined;
  length(): number;
  totalBytes: number;
}
interface LibUserRecord {
  partitionKey: string;
  sequenceNumber: string;
  subSequenceNumber: number;
  data: string;
}
interface AggLib {
  RecordAggregator: new () => LibAggregator;
  deaggregateSync(
    record: { data: string; partitionKey: string; sequenceNumber: string },
    computeChecksums: boolean,
    callback: (err: Error | null, records?: LibUserRecord[]) => void,
  ): void;
}

// The package's own typings import the v2 `aws-sdk`; load it untyped and type what is used.
const lib = createRequire(import.meta.url)('aws-kinesis-agg') as AggLib;

/** Kinesis's limit for one record's data plus partition key. */
export const KINESIS_MAX_RECORD_BYTES = 1024 * 1024;

export interface AggregatedRecord {
  readonly partitionKey: string;
  readonly data: Buffer;
  /** User records inside. */
  readonly count: number;
}

/**
 * One KPL aggregator per partition key. `add` returns the aggregated records that
 * became full; `flush` returns the rest.
 */
export class KeyedAggregator {
  private readonly open = new Map<string, { agg: LibAggregator; count: number }>();

  /** @param maxBytes cap on one aggregated record (≤ 1 MiB): smaller records reach consumers sooner. */
  constructor(private readonly maxBytes = KINESIS_MAX_RECORD_BYTES - 1024) {
    if (maxBytes > KINESIS_MAX_RECORD_BYTES || maxBytes < 1024) {
      throw new RangeError(`maxBytes must be between 1 KiB and 1 MiB, got ${maxBytes}`);
    }
  }

  add(partitionKey: string, data: Buffer): AggregatedRecord[] {
    const record = { partitionKey, data };
    let slot = this.open.get(partitionKey);
    const out: AggregatedRecord[] = [];
    if (slot && slot.agg.totalBytes + slot.agg.calculateUserRecordSize(record) > this.maxBytes) {
      out.push(build(slot.agg, slot.count));
      slot = undefined;
    }
    if (!slot) {
      slot = { agg: new lib.RecordAggregator(), count: 0 };
      this.open.set(partitionKey, slot);
    }
    slot.agg.addUserRecord(record);
    slot.count += 1;
    return out;
  }

  /** Every open aggregate, in the order their keys were first seen. */
  flush(): AggregatedRecord[] {
    const out = [...this.open.values()].filter((s) => s.count > 0).map((s) => build(s.agg, s.count));
    this.open.clear();
    return out;
  }

  /** User records held and not yet flushed. */
  get pending(): number {
    let n = 0;
    for (const s of this.open.values()) n += s.count;
    return n;
  }
}

function build(agg: LibAggregator, count: number): AggregatedRecord {
  const encoded = agg.build();
  if (!encoded) throw new Error('KPL aggregator built nothing from a non-empty set');
  return { partitionKey: encoded.partitionKey, data: encoded.data, count };
}

export interface UserRecord {
  readonly partitionKey: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number;
  readonly data: Buffer;
}

export class KplDecodeError extends Error {
  override name = 'KplDecodeError';
}

/**
 * The user records inside one Kinesis record (a plain record yields itself).
 * Checksums are verified: a corrupt aggregate is an error, not silent data.
 */
export function deaggregate(record: { data: Buffer | string; partitionKey: string; sequenceNumber: string }): UserRecord[] {
  const data = typeof record.data === 'string' ? record.data : record.data.toString('base64');
  let result: UserRecord[] = [];
  let failure: Error | undefined;
  lib.deaggregateSync({ data, partitionKey: record.partitionKey, sequenceNumber: record.sequenceNumber }, true, (err, records) => {
    if (err) failure = err;
    else
      result = (records ?? []).map((r) => ({
        partitionKey: r.partitionKey,
        sequenceNumber: r.sequenceNumber,
        subSequenceNumber: r.subSequenceNumber ?? 0,
        data: Buffer.from(r.data, 'base64'),
      }));
  });
  if (failure) throw new KplDecodeError(`record ${record.sequenceNumber} could not be de-aggregated: ${failure.message}`, { cause: failure });
  return result;
}
