/**
 * Record decoding for every stream consumer: one Kinesis record is de-aggregated (KPL)
 * and each user record validated as a contract-v1 event. What is not a valid event is
 * rejected with its reasons, to be quarantined (`quarantine.ts`); it never fails the
 * record (retrying cannot mend data).
 */
import type { KinesisStreamRecord } from 'aws-lambda';
import { validateReadingEvent, type ReadingEvent } from '../../shared/event.ts';
import { deaggregate } from '../../shared/kpl.ts';
import { BUILTIN_UNITS, type UnitRegistry } from '../../shared/units.ts';

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

/** `units`: the units an event may carry (built-in plus the mappings' declared ones). */
export function decodeRecord(
  record: KinesisStreamRecord,
  index: number,
  units: UnitRegistry = BUILTIN_UNITS,
): DecodedRecord {
  const { partitionKey, sequenceNumber, data } = record.kinesis;
  const base = { index, shardId: shardIdOf(record), sequenceNumber, partitionKey };
  let users;
  try {
    users = deaggregate({ data, partitionKey, sequenceNumber });
  } catch (err) {
    return {
      ...base,
      events: [],
      rejected: [{ reason: 'kpl_decode_failed', errors: [(err as Error).message], raw: data }],
    };
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
    const result = validateReadingEvent(parsed, units);
    if (result.ok) events.push(result.event);
    else rejected.push({ reason: 'invalid_event', errors: result.errors.map((e) => e.message), raw, ...sub });
  }
  return { ...base, events, rejected };
}
