/**
 * Reading the asset registry (the `assets` table; its item is `shared/asset-item.ts`)
 * back: for `dubegrid assets` and for knowing when an upload has been loaded.
 */
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AssetItem } from '../../shared/asset-item.ts';

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
export async function waitForAssetsLoaded(
  list: () => Promise<AssetItem[]>,
  key: string,
  since: string,
  timeoutMs: number,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if ((await list()).some((a) => a.source_key === key && a.loaded_at >= since)) return;
    if (Date.now() > end)
      throw new Error(
        `${key} was not loaded within ${timeoutMs / 1000} s (is the registry loader running? see quarantine/${key}.jsonl)`,
      );
    await new Promise((r) => setTimeout(r, 250));
  }
}
