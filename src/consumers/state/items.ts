/**
 * The state projection's item layouts, in one place:
 *
 * - `readings` (time series): one item per reading, key `asset_id` + `sk` =
 *   `<ts>#<measurement>`. The canonical `ts` first makes string order time order, so
 *   `begins_with(sk, "2025-08-14")` is a day and `BETWEEN` a time range; the item
 *   carries the whole event (value, unit, phase, event_id, lineage) and, when a TTL is
 *   configured, `expires_at`.
 * - `latest`: key `asset_id` + `measurement`, the newest reading's fields plus
 *   `latest_order` and `readings_hw` (`LATEST_META`), written only through
 *   `latestUpdate`, whose condition lets a reading in when it is newer (`ts`), or
 *   equally new and a later or the same emission (`compareEmission`).
 */
import { compareEmission, type ReadingEvent } from '../../shared/event.ts';
import { TABLES } from '../../shared/resources.ts';

export const READING_SK_SEPARATOR = '#';

export function readingSortKey(ts: string, measurement: string): string {
  return `${ts}${READING_SK_SEPARATOR}${measurement}`;
}

/** In-memory identity of an item by its partition and sort key values. */
export function itemKey(partition: string, sort: string): string {
  return `${partition}\u0000${sort}`;
}

export function readingKeyOf(event: Pick<ReadingEvent, 'asset_id' | 'ts' | 'measurement'>): string {
  return itemKey(event.asset_id, readingSortKey(event.ts, event.measurement));
}

export function latestKeyOf(event: Pick<ReadingEvent, 'asset_id' | 'measurement'>): string {
  return itemKey(event.asset_id, event.measurement);
}

export type ReadingItem = ReadingEvent & { sk: string; expires_at?: number };

const TTL_ATTRIBUTE = TABLES.readings.ttlAttribute;
const DAY_S = 86_400;

/** Epoch seconds at which a reading leaves the table: its own time plus the window. */
export function expiryOf(ts: string, ttlDays: number): number {
  return Math.floor(Date.parse(ts) / 1000) + Math.round(ttlDays * DAY_S);
}

export function readingItem(event: ReadingEvent, ttlDays?: number): ReadingItem {
  return {
    ...event,
    sk: readingSortKey(event.ts, event.measurement),
    ...(ttlDays !== undefined ? { [TTL_ATTRIBUTE]: expiryOf(event.ts, ttlDays) } : {}),
  };
}

/** Attributes `compareEmission` needs, as stored on both tables. */
export const EMISSION_ATTRIBUTES = ['ingested_at', 'source_key', 'source_line'] as const;
export type StoredEmission = Pick<ReadingEvent, (typeof EMISSION_ATTRIBUTES)[number]>;

/** Positive when `a` should replace `b` in `latest`: a newer reading, or the same time and a later emission. */
export function compareReadings(
  a: Pick<ReadingEvent, 'ts' | 'ingested_at' | 'source_key' | 'source_line'>,
  b: Pick<ReadingEvent, 'ts' | 'ingested_at' | 'source_key' | 'source_line'>,
): number {
  if (a.ts !== b.ts) return a.ts < b.ts ? -1 : 1;
  return compareEmission(a, b);
}

/**
 * A string whose byte order is `compareEmission` order: `ingested_at` (fixed width),
 * the source key as hex of its UTF-8 bytes (hex keeps byte order and lets a prefix sort
 * first), `!` (below every hex digit) and the line, zero-padded. Stored on `latest` so
 * that DynamoDB conditions compare one attribute: dynalite's expression parser
 * backtracks on nested parentheses (the spelt-out condition took ~250 ms to parse).
 * Keys differing only in characters beyond U+FFFF may order differently from the
 * UTF-16 comparison in `compareEmission`; S3 keys of this pipeline have none.
 */
export function emissionOrder(e: Pick<ReadingEvent, 'ingested_at' | 'source_key' | 'source_line'>): string {
  return `${e.ingested_at}${Buffer.from(e.source_key, 'utf8').toString('hex')}!${String(e.source_line).padStart(16, '0')}`;
}

/** Order of readings of one series for `latest`: time first, then emission. */
export function readingOrder(e: Pick<ReadingEvent, 'ts' | 'ingested_at' | 'source_key' | 'source_line'>): string {
  return `${e.ts}${emissionOrder(e)}`;
}

/**
 * Attributes of a `latest` item besides the event's fields:
 * - `latest_order`: `readingOrder` of the reading it holds (its write condition);
 * - `readings_hw`: the highest `emissionOrder` ever written to `readings` for the
 *   series. Raised before the readings are written, so every stored reading of the
 *   series has an emission at or below it; a batch whose readings are all above it
 *   can then be put without reading first (see `writer.ts`).
 */
export const LATEST_META = { order: 'latest_order', readingsHw: 'readings_hw' } as const;

/** Event fields the latest item carries besides its key. */
const LATEST_FIELDS = [
  'v',
  'event_id',
  'substation_id',
  'substation_name',
  'feeder_id',
  'phase',
  'unit',
  'value',
  'ts',
  'source_bucket',
  'source_key',
  'source_etag',
  'source_line',
  'ingested_at',
] as const satisfies readonly (keyof ReadingEvent)[];

export interface LatestUpdate {
  readonly TableName: string;
  readonly Key: { asset_id: string; measurement: string };
  readonly UpdateExpression: string;
  readonly ConditionExpression: string;
  readonly ExpressionAttributeNames: Record<string, string>;
  readonly ExpressionAttributeValues: Record<string, unknown>;
}

export interface LatestWrite {
  /** The series' newest reading of the batch, when it is to be applied. */
  readonly reading?: ReadingEvent;
  /** The batch's highest emission order for the series, when `readings_hw` is to be raised. */
  readonly readingsHw?: string;
}

/**
 * One conditional UpdateItem on `latest`: the reading (applied only when its
 * `readingOrder` is at or above the stored one: the same reading again rewrites
 * identical values, an older one fails the condition, which the writer counts as
 * success) and/or the raise of `readings_hw` (never lowered).
 */
export function latestUpdate(
  key: { asset_id: string; measurement: string },
  write: LatestWrite,
  tableName: string = TABLES.latest.tableName,
): LatestUpdate {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  const conditions: string[] = [];
  if (write.reading) {
    const event = write.reading;
    LATEST_FIELDS.forEach((field, i) => {
      names[`#f${i}`] = field;
      values[`:f${i}`] = event[field];
      sets.push(`#f${i} = :f${i}`);
    });
    names['#lo'] = LATEST_META.order;
    values[':lo'] = readingOrder(event);
    sets.push('#lo = :lo');
    conditions.push('(attribute_not_exists(#lo) OR #lo <= :lo)');
  }
  if (write.readingsHw !== undefined) {
    names['#hw'] = LATEST_META.readingsHw;
    values[':hw'] = write.readingsHw;
    sets.push('#hw = :hw');
    conditions.push('(attribute_not_exists(#hw) OR #hw <= :hw)');
  }
  if (sets.length === 0) throw new RangeError('a latest update needs a reading or a readings_hw');
  return {
    TableName: tableName,
    Key: key,
    UpdateExpression: `SET ${sets.join(', ')}`,
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}
