/**
 * Alert counts for the performance summaries: incidents opened per asset per day, read
 * from the alerts table's `by_day` index (incidents carry the day they opened). The
 * alerts live in DynamoDB, where Athena cannot see them, so the report adds these
 * counts to the SQL summary on both targets alike.
 */
import { paginateQuery } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ALERT_SK } from '../../consumers/anomaly/store/alert-store.ts';
import { TABLES } from '../../shared/resources.ts';

export interface AlertCount {
  /** Incidents opened. */
  alerts: number;
  /** … of which at critical severity when last seen (opened critical, or escalated). */
  critical: number;
}

const BY_DAY = TABLES.alerts.globalIndexes[0].indexName;

/** Per asset, per day (`YYYY-MM-DD`), for the given days. A missing table counts nothing. */
export async function incidentCounts(doc: DynamoDBDocumentClient, tableName: string, days: readonly string[]): Promise<Map<string, Map<string, AlertCount>>> {
  const out = new Map<string, Map<string, AlertCount>>();
  for (const day of days) {
    try {
      const pages = paginateQuery(
        { client: doc },
        {
          TableName: tableName,
          IndexName: BY_DAY,
          KeyConditionExpression: '#day = :day AND begins_with(sk, :incident)',
          ExpressionAttributeNames: { '#day': 'day' },
          ExpressionAttributeValues: { ':day': day, ':incident': ALERT_SK.incidentPrefix },
          ProjectionExpression: 'asset_id, severity',
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const asset = String(item.asset_id);
          let perDay = out.get(asset);
          if (!perDay) out.set(asset, (perDay = new Map()));
          const c = perDay.get(day) ?? { alerts: 0, critical: 0 };
          c.alerts++;
          if (item.severity === 'critical') c.critical++;
          perDay.set(day, c);
        }
      }
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return out;
      throw err;
    }
  }
  return out;
}

/** Every day of a `YYYY-MM` month. */
export function daysOfMonth(month: string): string[] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const n = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return Array.from({ length: n }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}
