/**
 * The registry's reporting intervals for the rollups' `expected_count` (the override of
 * the observed cadence in the one definition of "expected", `shared/expected.ts`), read
 * from the `assets` table: its items already carry each asset's resolved
 * `interval_minutes` (a feeder's own, a substation's shortest), the same values the
 * `assets` relation gives the summaries.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AssetItem } from '../../shared/asset-item.ts';
import { TABLES } from '../../shared/resources.ts';
import { listAssets } from '../../consumers/registry/record.ts';

/** Asset id → interval in seconds, for the assets whose registry entry gives one. */
export function intervalsOfItems(
  items: readonly Pick<AssetItem, 'asset_id' | 'interval_minutes'>[],
): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of items)
    if (item.interval_minutes !== undefined && item.interval_minutes > 0)
      out.set(item.asset_id, Math.round(item.interval_minutes * 60));
  return out;
}

/** A provider over the registry table; a registry never created gives no overrides. */
export function registryIntervals(
  doc: DynamoDBDocumentClient,
  tableName: string = TABLES.assets.tableName,
): () => Promise<Map<string, number>> {
  return async () => {
    try {
      return intervalsOfItems(await listAssets(doc, tableName));
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') return new Map();
      throw err;
    }
  };
}
