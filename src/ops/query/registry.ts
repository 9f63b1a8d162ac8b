/**
 * The DynamoDB-held relations the local SQL engine offers besides the lake: `assets`
 * (the registry, shaped like the `assets` Glue table — every column a string, in
 * `assets.csv` terms) and `alerts` (incidents, local only: Athena has no table over
 * DynamoDB). Read with scans: both are small.
 */
import { paginateScan } from '@aws-sdk/lib-dynamodb';
import type { Clients } from '../../shared/clients.ts';
import type { ASSETS_COLUMNS } from '../../shared/glue.ts';
import { ALERT_SK } from '../../consumers/anomaly/store/alert-store.ts';
import type { AssetItem } from '../../consumers/registry/record.ts';

type Item = Record<string, unknown>;

export const ALERT_COLUMNS = [
  ['alert_id', 'VARCHAR'],
  ['asset_id', 'VARCHAR'],
  ['substation_id', 'VARCHAR'],
  ['rule', 'VARCHAR'],
  ['measurement', 'VARCHAR'],
  ['severity', 'VARCHAR'],
  ['status', 'VARCHAR'],
  ['opened_at', 'VARCHAR'],
  ['escalated_at', 'VARCHAR'],
  ['closed_at', 'VARCHAR'],
  ['value', 'DOUBLE'],
  ['threshold', 'DOUBLE'],
  ['unit', 'VARCHAR'],
  ['detail', 'VARCHAR'],
] as const;

export type AssetRow = Record<(typeof ASSETS_COLUMNS)[number]['name'], string | null>;
export type AlertRow = { [K in (typeof ALERT_COLUMNS)[number][0]]: string | number | null };

async function scanAll(clients: Clients, table: string): Promise<Item[]> {
  const items: Item[] = [];
  try {
    for await (const page of paginateScan({ client: clients.doc }, { TableName: table })) items.push(...((page.Items ?? []) as Item[]));
  } catch (err) {
    // a registry that was never created is an empty registry
    if ((err as Error).name === 'ResourceNotFoundException') return [];
    throw err;
  }
  return items;
}

const text = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v));

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
  };
}

export async function registryAssets(clients: Clients): Promise<AssetRow[]> {
  return (await scanAll(clients, clients.names.tables.assets)).map((item) => assetRowOf(item as Partial<AssetItem>));
}

export async function registryAlerts(clients: Clients): Promise<AlertRow[]> {
  const items = await scanAll(clients, clients.names.tables.alerts);
  return items
    .filter((i) => typeof i.sk === 'string' && i.sk.startsWith(ALERT_SK.incidentPrefix))
    .map((i) => {
      const row = {} as Record<string, string | number | null>;
      for (const [name, type] of ALERT_COLUMNS) {
        const v = i[name];
        row[name] = type === 'DOUBLE' ? (typeof v === 'number' ? v : v === undefined || v === null ? null : Number(v)) : text(v);
      }
      return row as AlertRow;
    });
}
