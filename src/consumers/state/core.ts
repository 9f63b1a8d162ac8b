/**
 * The state consumer's pure core: from a batch of Kinesis records to what must be
 * written, and from what could not be written to which records failed.
 *
 * - `decodeRecord`: de-aggregates one record (KPL) and validates each user record as
 *   a contract-v1 event. What is not a valid event is rejected with its reasons, to be
 *   quarantined; it never fails the record (retrying cannot mend data).
 * - `planBatch`: the writes of a whole batch. `readings`: one item per natural key,
 *   the winning emission of the batch. `latest`: one update per (asset, measurement),
 *   the newest reading of the batch. Each planned write remembers the first record that
 *   contributed to it.
 * - `firstFailedRecord`: a record is applied only when every write it contributed to
 *   succeeded; the batch's outcome is "everything before the first record that is not
 *   applied". Writes of later records may have landed too: every write is idempotent
 *   and order-independent, so their redelivery changes nothing.
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { compareEmission, validateReadingEvent, type ReadingEvent } from '../../shared/event.ts';
import { deaggregate } from '../../shared/kpl.ts';
import { compareReadings, latestKeyOf, readingKeyOf } from './items.ts';

export type RejectionReason = 'kpl_decode_failed' | 'not_json' | 'invalid_event';

export interface RejectedReading {
  readonly reason: RejectionReason;
  readonly errors: readonly string[];
  /** The user record as received (UTF-8 text; base64 of the whole record when it could not be de-aggregated). */
  readonly raw: string;
  readonly sub_sequence_number?: number;
}

export interface DecodedRecord {
  /** Position in the batch. */
  readonly index: number;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly events: readonly ReadingEvent[];
  readonly rejected: readonly RejectedReading[];
}

/** `eventID` is `<shardId>:<sequenceNumber>` on Lambda and in the local mapping. */
export function shardIdOf(record: KinesisStreamRecord): string {
  const colon = record.eventID.lastIndexOf(':');
  return colon > 0 ? record.eventID.slice(0, colon) : 'unknown-shard';
}

export function decodeRecord(record: KinesisStreamRecord, index: number): DecodedRecord {
  const { partitionKey, sequenceNumber, data } = record.kinesis;
  const base = { index, shardId: shardIdOf(record), sequenceNumber, partitionKey };
  let users;
  try {
    users = deaggregate({ data, partitionKey, sequenceNumber });
  } catch (err) {
    return { ...base, events: [], rejected: [{ reason: 'kpl_decode_failed', errors: [(err as Error).message], raw: data }] };
  }
  const events: ReadingEvent[] = [];
  const rejected: RejectedReading[] = [];
  for (const user of users) {
    const raw = user.data.toString('utf8');
    const sub = { sub_sequence_number: user.subSequenceNumber };
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      rejected.push({ reason: 'not_json', errors: [(err as Error).message], raw, ...sub });
      continue;
    }
    const result = validateReadingEvent(parsed);
    if (result.ok) events.push(result.event);
    else rejected.push({ reason: 'invalid_event', errors: result.errors.map((e) => e.message), raw, ...sub });
  }
  return { ...base, events, rejected };
}

export interface PlannedWrite {
  readonly event: ReadingEvent;
  /** Lowest batch index of the records whose readings this write carries (or supersedes). */
  readonly firstRecord: number;
}

export interface WritePlan {
  /** By `readingKeyOf`: the winning emission of each natural key in the batch. */
  readonly readings: ReadonlyMap<string, PlannedWrite>;
  /** By `latestKeyOf`: the newest reading of each series in the batch. */
  readonly latest: ReadonlyMap<string, PlannedWrite>;
  /** Records with rejected readings, to be quarantined. */
  readonly quarantine: readonly DecodedRecord[];
  readonly events: number;
}

export function planBatch(records: readonly DecodedRecord[]): WritePlan {
  const readings = new Map<string, PlannedWrite>();
  const latest = new Map<string, PlannedWrite>();
  let events = 0;
  for (const record of records) {
    for (const event of record.events) {
      events += 1;
      keep(readings, readingKeyOf(event), event, record.index, compareEmission);
      keep(latest, latestKeyOf(event), event, record.index, compareReadings);
    }
  }
  return { readings, latest, quarantine: records.filter((r) => r.rejected.length > 0), events };
}

function keep(
  into: Map<string, PlannedWrite>,
  key: string,
  event: ReadingEvent,
  index: number,
  compare: (a: ReadingEvent, b: ReadingEvent) => number,
): void {
  const held = into.get(key);
  if (!held) {
    into.set(key, { event, firstRecord: index });
    return;
  }
  into.set(key, { event: compare(event, held.event) > 0 ? event : held.event, firstRecord: Math.min(held.firstRecord, index) });
}

export interface WriteFailures {
  /** Keys of `plan.readings` / `plan.latest` whose write failed, with the error. */
  readonly readings: ReadonlyMap<string, Error>;
  readonly latest: ReadonlyMap<string, Error>;
  /** Batch indexes of records whose quarantine entry could not be written. */
  readonly quarantine: ReadonlyMap<number, Error>;
}

/** The first record not fully applied, and why; undefined when the whole batch is applied. */
export function firstFailedRecord(plan: WritePlan, failures: WriteFailures): { index: number; error: Error } | undefined {
  let first: { index: number; error: Error } | undefined;
  const consider = (index: number, error: Error): void => {
    if (!first || index < first.index) first = { index, error };
  };
  for (const [key, error] of failures.readings) consider(plan.readings.get(key)?.firstRecord ?? 0, error);
  for (const [key, error] of failures.latest) consider(plan.latest.get(key)?.firstRecord ?? 0, error);
  for (const [index, error] of failures.quarantine) consider(index, error);
  return first;
}
