/**
 * The `feeds` table (`TABLES.feeds`), the stale_feed watchdog's one place of state:
 *
 * - `shard#<shard_id>#<partition key>`: the newest reading time its consumer has applied
 *   for that key (`wm`, only ever raised) and when it last had records (`active_at`, wall
 *   clock). Every anomaly consumer updates its shard's items after each batch; the low
 *   watermark is read from all of them (`kind` `shard` on the `by_kind` index).
 * - `feed#<asset_id>`: the asset's `FeedState`, with a version condition (one shard's
 *   consumer owns an asset's feed; the evaluator only marks it opened). While it is not
 *   opened it carries `kind` `due` and `due` (the instant it becomes stale), so the
 *   feeds the low watermark has passed are one index query away.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type BatchGetCommandInput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { BATCH_GET_MAX, chunks } from '../../../shared/concurrency.ts';
import { TABLES } from '../../../shared/resources.ts';
import { BACKOFF, untilDone } from '../../../shared/retry.ts';
import { StoreError, WindowConflictError } from '../errors.ts';
import type { FeedState, ShardMark } from '../stale-feed.ts';

const [BY_KIND] = TABLES.feeds.globalIndexes.map((i) => i.indexName) as [string];
const feedKey = (assetId: string): string => `feed#${assetId}`;
const shardKey = (shardId: string): string => `shard#${shardId}`;

export interface LoadedFeed {
  /** 0 for a feed not stored yet. */
  readonly version: number;
  readonly feed: FeedState | undefined;
}

export class FeedStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string = TABLES.feeds.tableName,
  ) {}

  async getMany(assetIds: readonly string[]): Promise<Map<string, LoadedFeed>> {
    const out = new Map<string, LoadedFeed>(assetIds.map((id) => [id, { version: 0, feed: undefined }]));
    for (const batch of chunks([...new Set(assetIds)], BATCH_GET_MAX)) {
      const initial: NonNullable<BatchGetCommandInput['RequestItems']> = {
        [this.tableName]: { Keys: batch.map((id) => ({ id: feedKey(id) })), ConsistentRead: true },
      };
      await untilDone(
        BACKOFF.dynamoBatch,
        initial,
        async (RequestItems) => {
          const res = await this.doc.send(new BatchGetCommand({ RequestItems }));
          for (const item of res.Responses?.[this.tableName] ?? []) {
            const feed = JSON.parse(item.state as string) as FeedState;
            out.set(feed.asset_id, { version: item.version as number, feed });
          }
          const rest = res.UnprocessedKeys?.[this.tableName]?.Keys;
          return rest?.length ? { [this.tableName]: { Keys: rest, ConsistentRead: true } } : undefined;
        },
        (attempts) => new StoreError(`reading feeds: still unprocessed after ${attempts} attempts`),
      );
    }
    return out;
  }

  /** Writes a feed moved on from `version`; `due` undefined (interval unknown, or opened) leaves the due index. */
  async save(feed: FeedState, version: number, due: number | undefined): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            id: feedKey(feed.asset_id),
            state: JSON.stringify(feed),
            version: version + 1,
            ...(due === undefined ? {} : { kind: 'due', due }),
          },
          ConditionExpression: version === 0 ? 'attribute_not_exists(id)' : 'version = :v',
          ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': version } }),
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException)
        throw new WindowConflictError(feedKey(feed.asset_id), version, { cause: err });
      throw new StoreError(`saving feed ${feed.asset_id} failed: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Feeds not opened whose `due` is at or before `lowWm`. */
  async dueBy(lowWm: number): Promise<{ feed: FeedState; version: number }[]> {
    const out: { feed: FeedState; version: number }[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: BY_KIND,
          KeyConditionExpression: 'kind = :k AND due <= :w',
          ExpressionAttributeValues: { ':k': 'due', ':w': lowWm },
          ExclusiveStartKey,
        }),
      );
      for (const item of res.Items ?? [])
        out.push({ feed: JSON.parse(item.state as string) as FeedState, version: item.version as number });
      ExclusiveStartKey = res.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return out;
  }

  /** Raises each of the shard's partition keys' watermarks (never lowers one) and marks them active at `nowMs`. */
  async markShard(shardId: string, wms: ReadonlyMap<string, number>, nowMs: number): Promise<void> {
    for (const [key, wm] of wms) {
      const Key = { id: shardKey(`${shardId}#${key}`) };
      const names = { '#k': 'kind', '#a': 'active_at', '#d': 'due', '#p': 'key' };
      const values = { ':k': 'shard', ':a': nowMs, ':zero': 0, ':s': shardId, ':p': key };
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key,
            // `due` 0 keeps every shard item in the index under `kind` `shard`
            UpdateExpression: 'SET #k = :k, #a = :a, #d = :zero, shard_id = :s, #p = :p, wm = :w',
            ConditionExpression: 'attribute_not_exists(wm) OR wm < :w',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ...values, ':w': wm },
          }),
        );
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        // an older batch (a retry, a replay): active, the watermark stays where it is
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key,
            UpdateExpression: 'SET #k = :k, #a = :a, #d = :zero, shard_id = :s, #p = :p',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
      }
    }
  }

  /** Whether any shard has a watermark: the watchdog runs (the rule is on and a batch was applied). */
  async hasWatermarks(): Promise<boolean> {
    const res = await this.doc.send(this.shardQuery({ Limit: 1 }));
    return (res.Items?.length ?? 0) > 0;
  }

  /** The shards' watermark items, by the kind index. */
  private shardQuery(page: { Limit?: number; ExclusiveStartKey?: Record<string, unknown> }): QueryCommand {
    return new QueryCommand({
      TableName: this.tableName,
      IndexName: BY_KIND,
      KeyConditionExpression: 'kind = :k',
      ExpressionAttributeValues: { ':k': 'shard' },
      ...page,
    });
  }

  async shards(): Promise<ShardMark[]> {
    const out: ShardMark[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(this.shardQuery(ExclusiveStartKey ? { ExclusiveStartKey } : {}));
      for (const item of res.Items ?? []) {
        if (typeof item.wm === 'number')
          out.push({
            shard_id: item.shard_id as string,
            key: item.key as string,
            wm: item.wm,
            active_at: item.active_at as number,
          });
      }
      ExclusiveStartKey = res.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return out;
  }
}
