/**
 * The asset registry's items (the `assets` table) and their reading by the anomaly
 * rules. `assets.csv` has one row per feeder; the loader stores an item per feeder
 * (`<substation>:<feeder>`, as `assetIdOf` spells feeder readings' assets) and one
 * per substation (`<substation>`, the transformer's readings), so every reading finds
 * its asset by its own `asset_id`.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AssetInfo } from '../anomaly/rules/types.ts';

export interface AssetItem {
  readonly asset_id: string;
  readonly kind: 'substation' | 'feeder';
  readonly substation_id: string;
  readonly substation_name: string;
  /** Empty for a substation. */
  readonly feeder_id: string;
  readonly transformer_kva: number;
  /** Per-phase rated current; feeders only. */
  readonly rated_current_a?: number;
  /** A feeder with generation behind it; for a substation, any of its feeders. */
  readonly has_generation: boolean;
  readonly latitude?: number;
  readonly longitude?: number;
  /** Substations: how many feeders the registry lists. */
  readonly feeders?: number;
  readonly source_key: string;
  readonly loaded_at: string;
}

export function assetInfoOf(item: AssetItem): AssetInfo {
  return {
    assetId: item.asset_id,
    kind: item.kind,
    ...(item.rated_current_a !== undefined ? { ratedCurrentA: item.rated_current_a } : {}),
    ...(item.transformer_kva !== undefined ? { transformerKva: item.transformer_kva } : {}),
    hasGeneration: item.has_generation === true,
  };
}

/** Every registry entry, substations before their feeders (a scan: the registry is small). */
export async function listAssets(doc: DynamoDBDocumentClient, tableName: string): Promise<AssetItem[]> {
  const out: AssetItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start }));
    out.push(...((page.Items ?? []) as AssetItem[]));
    start = page.LastEvaluatedKey;
  } while (start);
  return out.sort((a, b) => a.substation_id.localeCompare(b.substation_id) || a.feeder_id.localeCompare(b.feeder_id));
}

/**
 * Until the registry holds an entry loaded from `key` at or after `since` (ISO): how
 * the CLI knows the loader has picked an upload up. The loader is an S3-triggered
 * handler with no reply channel; its entries name their source key and load time.
 */
export async function waitForAssetsLoaded(list: () => Promise<AssetItem[]>, key: string, since: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if ((await list()).some((a) => a.source_key === key && a.loaded_at >= since)) return;
    if (Date.now() > end) throw new Error(`${key} was not loaded within ${timeoutMs / 1000} s (is the registry loader running? see quarantine/${key}.jsonl)`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
