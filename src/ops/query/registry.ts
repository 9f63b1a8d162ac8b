/**
 * The DynamoDB-held relation the local SQL engine offers besides the lake: `assets`
 * (the registry, shaped like the `assets` Glue table — every column a string, in
 * `assets.csv` terms). Read with a scan: it is small.
 */
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import type { Clients } from '../../shared/clients.ts';
import type { ASSETS_COLUMNS } from '../../shared/glue.ts';
import type { AssetItem } from '../../shared/asset-item.ts';

type Item = Record<string, unknown>;

export type AssetRow = Record<(typeof ASSETS_COLUMNS)[number]['name'], string | null>;

async function scanAll(clients: Clients, table: string): Promise<Item[]> {
  const items: Item[] = [];
  try {
    for await (const page of paginateScan({ client: clients.doc }, { TableName: table }))
      items.push(...((page.Items ?? []) as Item[]));
  } catch (err) {
    // a registry that was never created is an empty registry
    if ((err as Error).name === 'ResourceNotFoundException') return [];
    throw err;
  }
  return items;
}

const text = (v: unknown): string | null =>
  v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** A registry item (feeder or substation) in the columns of the registry CSV / Glue `assets` table. */
export function assetRowOf(item: Partial<AssetItem>): AssetRow {
  return {
    substation_number: text(item.substation_id),
    substation_name: text(item.substation_name),
    feeder_id: text(item.feeder_id ?? ''),
    transformer_kva: text(item.transformer_kva),
    feeder_rated_current_a: text(item.rated_current_a),
    has_generation: text(item.has_generation),
    latitude: text(item.latitude),
    longitude: text(item.longitude),
    interval_minutes: text(item.interval_minutes),
  };
}

export async function registryAssets(clients: Clients): Promise<AssetRow[]> {
  return (await scanAll(clients, clients.names.tables.assets)).map((item) => assetRowOf(item as Partial<AssetItem>));
}
