/**
 * Registry entries for the rules, cached: a batch asks for its assets once, and a
 * warm consumer does not ask again for `ttlMs`. Absent entries are cached too (the
 * registry rarely changes, readings of unregistered assets are frequent). A registry
 * load reaches the rules within the TTL; the embedded stack also invalidates the
 * cache when its registry service loads a file.
 */
import { BatchGetCommand, type DynamoDBDocumentClient, type BatchGetCommandInput } from '@aws-sdk/lib-dynamodb';
import { TABLES } from '../../shared/resources.ts';
import type { AssetItem } from '../../shared/asset-item.ts';
import { assetInfoOf } from './asset-info.ts';
import type { AssetInfo } from './rules/types.ts';
import { BATCH_GET_MAX, chunks } from '../../shared/concurrency.ts';
import { BACKOFF, untilDone } from '../../shared/retry.ts';
import { StoreError } from './errors.ts';

/** How long a registry entry (or its absence) is trusted. */
export const ASSET_CACHE_TTL_MS = 60_000;

export interface AssetLookup {
  /** Entries for these ids; an id the registry does not know maps to undefined. */
  getMany(ids: Iterable<string>): Promise<Map<string, AssetInfo | undefined>>;
  invalidate(): void;
}

const KEY = TABLES.assets.partitionKey.name;

export class CachedAssetLookup implements AssetLookup {
  private readonly cache = new Map<string, { info: AssetInfo | undefined; at: number }>();

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string = TABLES.assets.tableName,
    private readonly ttlMs = ASSET_CACHE_TTL_MS,
    private readonly clock: () => number = Date.now,
  ) {}

  async getMany(ids: Iterable<string>): Promise<Map<string, AssetInfo | undefined>> {
    const now = this.clock();
    const out = new Map<string, AssetInfo | undefined>();
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const hit = this.cache.get(id);
      if (hit && now - hit.at < this.ttlMs) out.set(id, hit.info);
      else missing.push(id);
    }
    for (const batch of chunks(missing, BATCH_GET_MAX)) {
      const found = new Map<string, AssetInfo>();
      const initial: NonNullable<BatchGetCommandInput['RequestItems']> = {
        [this.tableName]: { Keys: batch.map((id) => ({ [KEY]: id })) },
      };
      await untilDone(
        BACKOFF.dynamoBatch,
        initial,
        async (RequestItems) => {
          const res = await this.doc.send(new BatchGetCommand({ RequestItems }));
          for (const item of res.Responses?.[this.tableName] ?? [])
            found.set(item[KEY] as string, assetInfoOf(item as AssetItem));
          const rest = res.UnprocessedKeys?.[this.tableName]?.Keys;
          return rest?.length ? { [this.tableName]: { Keys: rest } } : undefined;
        },
        (attempts) => new StoreError(`reading the asset registry: still unprocessed after ${attempts} attempts`),
      );
      for (const id of batch) {
        const info = found.get(id);
        this.cache.set(id, { info, at: now });
        out.set(id, info);
      }
    }
    return out;
  }

  invalidate(): void {
    this.cache.clear();
  }
}
