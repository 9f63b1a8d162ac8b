/**
 * Pads the registry and `latest` to a given number of assets for the `assets`
 * measurement: copies of one real feeder's items under new ids (`BENCHPADnnn:1`),
 * written straight to the two tables the route reads. Why not ingest them: the route's
 * cost depends on how many items those tables hold, not on how they got there, and
 * ingesting a month for 1,000 assets takes this 2-core machine most of an hour.
 */
import { BatchWriteCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BATCH_WRITE_MAX, chunks } from '../../../src/shared/concurrency.ts';

export interface PadTables {
  readonly assets: string;
  readonly latest: string;
}

/** Adds assets until the registry holds `total`; returns how many were added. */
export async function padAssets(
  doc: DynamoDBDocumentClient,
  tables: PadTables,
  total: number,
  templateId: string,
): Promise<number> {
  const registry = await scanAll(doc, tables.assets);
  const missing = total - registry.length;
  if (missing <= 0) return 0;
  const reg = registry.find((i) => i.asset_id === templateId);
  if (!reg) throw new Error(`padding: ${templateId} is not in the registry`);
  const latest = (await scanAll(doc, tables.latest)).filter((i) => i.asset_id === templateId);
  const puts: { table: string; item: Record<string, unknown> }[] = [];
  for (let n = 0; n < missing; n++) {
    const substation = `BENCHPAD${String(n).padStart(4, '0')}`;
    const ids = { asset_id: `${substation}:1`, substation_id: substation, substation_name: `Bench pad ${n}` };
    puts.push({ table: tables.assets, item: { ...reg, ...ids, feeder_id: '1' } });
    for (const l of latest) puts.push({ table: tables.latest, item: { ...l, ...ids, feeder_id: '1' } });
  }
  for (const batch of chunks(puts, BATCH_WRITE_MAX)) {
    let requests: Record<string, { PutRequest: { Item: Record<string, unknown> } }[]> | undefined = {};
    for (const p of batch) (requests[p.table] ??= []).push({ PutRequest: { Item: p.item } });
    while (requests && Object.keys(requests).length) {
      const res = await doc.send(new BatchWriteCommand({ RequestItems: requests }));
      requests = res.UnprocessedItems as typeof requests;
    }
  }
  return missing;
}

async function scanAll(doc: DynamoDBDocumentClient, TableName: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName, ExclusiveStartKey }));
    out.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return out;
}
