/**
 * The read side of the state projection, behind `dubegrid state` and `dubegrid series`:
 * the same Query on DynamoDB and on the embedded stack.
 */
import { paginateQuery, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { canonicalTs, type ReadingEvent } from '../../shared/event.ts';
import { TABLES } from '../../shared/resources.ts';
import { LATEST_META, type ReadingItem } from './items.ts';

/** A `latest` item as users see it: the newest reading's event fields. */
export type LatestItem = ReadingEvent;

export class TimeBoundError extends Error {
  override name = 'TimeBoundError';
}

/** Every measurement's latest reading of an asset, by measurement (without the consumer's bookkeeping attributes). */
export async function latestState(
  doc: DynamoDBDocumentClient,
  assetId: string,
  table: string = TABLES.latest.tableName,
): Promise<LatestItem[]> {
  const out: LatestItem[] = [];
  for await (const page of paginateQuery(
    { client: doc },
    { TableName: table, KeyConditionExpression: 'asset_id = :a', ExpressionAttributeValues: { ':a': assetId } },
  )) {
    for (const item of page.Items ?? []) {
      const copy: Record<string, unknown> = { ...item };
      for (const meta of Object.values(LATEST_META)) delete copy[meta];
      out.push(copy as unknown as LatestItem);
    }
  }
  return out.sort((a, b) => a.measurement.localeCompare(b.measurement));
}

/** A prefix of the canonical time form: `2025`, `2025-08-14`, `2025-08-14T15:30`, … */
const TIME_PREFIX = /^\d{4}(-\d{2}(-\d{2}(T\d{2}(:\d{2}(:\d{2}(\.\d{1,3}Z?)?)?)?)?)?)?$/;

/**
 * A bound as a sort-key prefix: a prefix of the canonical form is used as given (so a
 * date is a whole day); any other time with a zone (`2025-08-14T16:00+01:00`) is
 * converted to the canonical form.
 */
export function timeBound(value: string, flag: string): string {
  if (TIME_PREFIX.test(value)) return value;
  const ms = Date.parse(value);
  if (/[zZ]|[+-]\d{2}:?\d{2}$/.test(value) && Number.isFinite(ms)) return canonicalTs(ms);
  throw new TimeBoundError(
    `${flag} must be a time such as 2025-08-14, 2025-08-14T15:30 or 2025-08-14T16:00:00+01:00; got ${JSON.stringify(value)}`,
  );
}

export interface SeriesQuery {
  readonly measurement?: string;
  /** Inclusive lower bound (a time prefix). */
  readonly from?: string;
  /** Inclusive upper bound: everything that begins with it is included. */
  readonly to?: string;
  /** Stop after this many readings. */
  readonly limit?: number;
}

/** Above every character of a sort key: `<to>` + this bounds everything beginning with `<to>`. */
const AFTER_PREFIX = '\uffff';

/** The Query's key condition: `begins_with` when both bounds are the same prefix, as in the owner's document. */
export function seriesKeyCondition(q: Pick<SeriesQuery, 'from' | 'to'>): {
  expression: string;
  values: Record<string, string>;
} {
  const base = 'asset_id = :a';
  if (q.from !== undefined && q.from === q.to)
    return { expression: `${base} AND begins_with(sk, :p)`, values: { ':p': q.from } };
  if (q.from !== undefined && q.to !== undefined)
    return { expression: `${base} AND sk BETWEEN :f AND :t`, values: { ':f': q.from, ':t': `${q.to}${AFTER_PREFIX}` } };
  if (q.from !== undefined) return { expression: `${base} AND sk >= :f`, values: { ':f': q.from } };
  if (q.to !== undefined) return { expression: `${base} AND sk <= :t`, values: { ':t': `${q.to}${AFTER_PREFIX}` } };
  return { expression: base, values: {} };
}

export async function series(
  doc: DynamoDBDocumentClient,
  assetId: string,
  q: SeriesQuery = {},
  table: string = TABLES.readings.tableName,
): Promise<{ items: ReadingItem[]; truncated: boolean }> {
  const key = seriesKeyCondition(q);
  const out: ReadingItem[] = [];
  const limit = q.limit ?? Infinity;
  for await (const page of paginateQuery(
    { client: doc },
    {
      TableName: table,
      KeyConditionExpression: key.expression,
      ExpressionAttributeValues: { ':a': assetId, ...key.values, ...(q.measurement ? { ':m': q.measurement } : {}) },
      ...(q.measurement ? { FilterExpression: '#m = :m', ExpressionAttributeNames: { '#m': 'measurement' } } : {}),
    },
  )) {
    for (const item of (page.Items ?? []) as ReadingItem[]) {
      if (out.length >= limit) return { items: out, truncated: true };
      out.push(item);
    }
  }
  return { items: out, truncated: false };
}

/** The latest state of the first `assets` assets found (for a quick look such as `npm start`'s). */
export async function someAssetsLatest(
  doc: DynamoDBDocumentClient,
  assets = 3,
  table: string = TABLES.latest.tableName,
): Promise<{ asset_id: string; measurements: LatestItem[] }[]> {
  const ids: string[] = [];
  for await (const page of paginateScan({ client: doc }, { TableName: table, ProjectionExpression: 'asset_id' })) {
    for (const item of page.Items ?? []) {
      const id = item.asset_id as string;
      if (!ids.includes(id)) ids.push(id);
      if (ids.length >= assets) break;
    }
    if (ids.length >= assets) break;
  }
  const sorted = ids.sort();
  return Promise.all(
    sorted.map(async (asset_id) => ({ asset_id, measurements: await latestState(doc, asset_id, table) })),
  );
}
