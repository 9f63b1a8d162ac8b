/**
 * The state consumer's pure core: from a batch of Kinesis records to what must be
 * written, and from what could not be written to which records failed.
 *
 * Records arrive decoded by the consumer kit (`consumers/kit/decode.ts`).
 * - `planBatch`: the writes of a whole batch. `readings`: one item per natural key,
 *   the winning emission of the batch. `latest`: one update per (asset, measurement),
 *   the newest reading of the batch. Each planned write remembers the first record that
 *   contributed to it.
 * - `firstFailedRecord`: a record is applied only when every write it contributed to
 *   succeeded; the batch's outcome is "everything before the first record that is not
 *   applied". Writes of later records may have landed too: every write is idempotent
 *   and order-independent, so their redelivery changes nothing.
 */
import { compareEmission, type ReadingEvent } from '../../shared/event.ts';
import type { DecodedRecord } from '../kit/decode.ts';
import { compareReadings, latestKeyOf, readingKeyOf } from './items.ts';

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
  into.set(key, {
    event: compare(event, held.event) > 0 ? event : held.event,
    firstRecord: Math.min(held.firstRecord, index),
  });
}

export interface WriteFailures {
  /** Keys of `plan.readings` / `plan.latest` whose write failed, with the error. */
  readonly readings: ReadonlyMap<string, Error>;
  readonly latest: ReadonlyMap<string, Error>;
  /** Batch indexes of records whose quarantine entry could not be written. */
  readonly quarantine: ReadonlyMap<number, Error>;
}

/** The first record not fully applied, and why; undefined when the whole batch is applied. */
export function firstFailedRecord(
  plan: WritePlan,
  failures: WriteFailures,
): { index: number; error: Error } | undefined {
  let first: { index: number; error: Error } | undefined;
  const consider = (index: number, error: Error): void => {
    if (!first || index < first.index) first = { index, error };
  };
  for (const [key, error] of failures.readings) consider(plan.readings.get(key)?.firstRecord ?? 0, error);
  for (const [key, error] of failures.latest) consider(plan.latest.get(key)?.firstRecord ?? 0, error);
  for (const [index, error] of failures.quarantine) consider(index, error);
  return first;
}
