/**
 * The `windows` table: one item per window, its state as JSON, written with a
 * version condition so that two writers can never both move a window on from the
 * same state (the second gets a `WindowConflictError` and its batch is retried).
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  PutCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
  type BatchGetCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { canonicalTs } from '../../../shared/event.ts';
import { TABLES } from '../../../shared/resources.ts';
import { StoreError, WindowConflictError } from '../errors.ts';
import { EMPTY_WINDOW, type WindowData } from '../window.ts';
import { BATCH_GET_MAX, chunks } from '../../../shared/concurrency.ts';
import { BACKOFF, untilDone } from '../../../shared/retry.ts';

/** What a window is about: stored beside the state so the table can be read by a person. */
export interface WindowMeta {
  readonly kind: 'series' | 'group';
  readonly asset_id: string;
  readonly substation_id: string;
  readonly measurement: string;
  readonly unit: string;
  readonly phase: string | null;
}

export interface LoadedWindow {
  /** 0 for a window that does not exist yet. */
  readonly version: number;
  readonly data: WindowData;
}

const KEY = TABLES.windows.partitionKey.name;
export class WindowStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string = TABLES.windows.tableName,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Every requested window; those not stored yet come back empty at version 0. */
  async getMany(ids: readonly string[]): Promise<Map<string, LoadedWindow>> {
    const out = new Map<string, LoadedWindow>();
    for (const batch of chunks([...new Set(ids)], BATCH_GET_MAX)) {
      const initial: NonNullable<BatchGetCommandInput['RequestItems']> = {
        [this.tableName]: { Keys: batch.map((id) => ({ [KEY]: id })), ConsistentRead: true },
      };
      await untilDone(
        BACKOFF.dynamoBatch,
        initial,
        async (RequestItems) => {
          const res = await this.doc.send(new BatchGetCommand({ RequestItems }));
          for (const item of res.Responses?.[this.tableName] ?? []) {
            out.set(item[KEY] as string, {
              version: item.version as number,
              data: JSON.parse(item.state as string) as WindowData,
            });
          }
          const rest = res.UnprocessedKeys?.[this.tableName]?.Keys;
          return rest?.length ? { [this.tableName]: { Keys: rest, ConsistentRead: true } } : undefined;
        },
        (attempts) => new StoreError(`reading windows: still unprocessed after ${attempts} attempts`),
      );
    }
    for (const id of ids) if (!out.has(id)) out.set(id, { version: 0, data: EMPTY_WINDOW });
    return out;
  }

  /** Stores the window's next version; throws `WindowConflictError` when it moved on meanwhile. */
  async save(id: string, meta: WindowMeta, data: WindowData, expectedVersion: number): Promise<number> {
    const version = expectedVersion + 1;
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [KEY]: id,
            version,
            ...meta,
            late: data.late,
            ...(data.wm !== null ? { watermark: canonicalTs(data.wm) } : {}),
            state: JSON.stringify(data),
            updated_at: this.now().toISOString(),
          },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(#k)' : '#v = :expected',
          ExpressionAttributeNames: expectedVersion === 0 ? { '#k': KEY } : { '#v': 'version' },
          ...(expectedVersion === 0 ? {} : { ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
      return version;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') {
        throw new WindowConflictError(id, expectedVersion, { cause: err });
      }
      throw new StoreError(`saving window ${id} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Windows and late readings over the whole table (for status: a scan, so not on a hot path). */
  async lateTotals(): Promise<{ windows: number; late_readings: number; series_with_late: number }> {
    let windows = 0;
    let late = 0;
    let withLate = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new ScanCommand({
          TableName: this.tableName,
          ProjectionExpression: '#l',
          ExpressionAttributeNames: { '#l': 'late' },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        windows++;
        const n = (item.late as number | undefined) ?? 0;
        late += n;
        if (n > 0) withLate++;
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return { windows, late_readings: late, series_with_late: withLate };
  }
}
