/**
 * `latest` holds, per series, the newest reading the `readings` table holds (by time,
 * then by emission: `compareReadings`), with that reading's event id, value and
 * emission; and nothing for a series without readings.
 */
import { paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { latestKeyOf } from '../../../consumers/state/items.ts';
import { TABLES } from '../../../shared/resources.ts';
import { describeReading, type Difference } from './model.ts';
import type { NewestReading } from './table.ts';

/** The attributes of a `latest` item verify compares. */
export interface LatestItem {
  readonly asset_id: string;
  readonly measurement: string;
  readonly event_id?: string;
  readonly ts?: string;
  readonly value?: number;
  readonly ingested_at?: string;
  readonly source_key?: string;
  readonly source_line?: number;
}

export interface LatestScope {
  /** Series whose readings may have left `readings` by its TTL (newest reading before this time) are not judged. */
  readonly expiredBefore?: string;
}

const COMPARED = ['event_id', 'ts', 'value', 'ingested_at', 'source_key', 'source_line'] as const;

export function checkLatest(
  latest: readonly LatestItem[],
  newest: ReadonlyMap<string, NewestReading>,
  scope: LatestScope = {},
): Difference[] {
  const out: Difference[] = [];
  const seen = new Set<string>();
  for (const item of latest) {
    const key = latestKeyOf(item);
    seen.add(key);
    const subject = `${item.asset_id} ${item.measurement}`;
    const want = newest.get(key);
    if (!want) {
      if (scope.expiredBefore && item.ts !== undefined && item.ts < scope.expiredBefore) continue;
      out.push({
        zone: 'latest',
        check: 'orphan_latest',
        subject,
        detail: `holds the reading at ${item.ts ?? '?'} (event ${item.event_id ?? '?'}) but the readings table has no reading of this series`,
      });
      continue;
    }
    const wrong = COMPARED.filter((k) => want[k] !== undefined && item[k] !== want[k]);
    if (wrong.length > 0) {
      out.push({
        zone: 'latest',
        check: 'stale_latest',
        subject,
        detail: `holds ${wrong.map((k) => `${k} ${JSON.stringify(item[k])}`).join(', ')}; the newest reading is ${describeReading(want)}${wrong.some((k) => k !== 'event_id' && k !== 'ts' && k !== 'value') ? ` emitted ${want.ingested_at} by ${want.source_key}:${want.source_line}` : ''}`,
      });
    }
  }
  for (const [key, want] of newest) {
    if (seen.has(key)) continue;
    out.push({
      zone: 'latest',
      check: 'missing_latest',
      subject: `${want.asset_id} ${want.measurement}`,
      detail: `no latest item; the newest reading is ${describeReading(want)}`,
    });
  }
  return out;
}

export async function scanLatest(
  doc: DynamoDBDocumentClient,
  table: string = TABLES.latest.tableName,
): Promise<LatestItem[]> {
  const out: LatestItem[] = [];
  for await (const page of paginateScan({ client: doc }, { TableName: table }))
    out.push(...((page.Items ?? []) as LatestItem[]));
  return out;
}
