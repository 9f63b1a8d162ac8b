/**
 * Emptying a projection before a rebuild: its tables item by item (the tables
 * themselves belong to the deployment — CDK on AWS, the bootstrap locally — and stay),
 * its objects under their prefixes.
 */
import { DeleteObjectCommand, DeleteObjectsCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, paginateScan, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { BATCH_WRITE_MAX, chunks, inPool } from '../../shared/concurrency.ts';
import { PREFIXES, TABLES, type TableDefinition, type TableKey } from '../../shared/resources.ts';
import { BACKOFF, untilDone } from '../../shared/retry.ts';
import type { ProjectionName } from './environment.ts';
import { ReplayError } from './errors.ts';

/** What each projection owns: emptied by `rebuild --projection`. */
export const PROJECTION_STORES: Readonly<
  Record<ProjectionName, { readonly tables: readonly TableKey[]; readonly prefixes: readonly string[] }>
> = {
  state: { tables: ['readings', 'latest'], prefixes: [] },
  anomaly: { tables: ['windows', 'alerts'], prefixes: [PREFIXES.processedAlerts] },
  lake: { tables: [], prefixes: [PREFIXES.processed, PREFIXES.processedErrors] },
};

const DELETE_OBJECTS_MAX = 1000;
const PARALLEL_REQUESTS = 4;

export interface Wiped {
  readonly items: Readonly<Record<string, number>>;
  readonly objects: Readonly<Record<string, number>>;
}

export async function wipeProjection(
  clients: { doc: DynamoDBDocumentClient; s3: S3Client; names: { bucket: string } },
  projection: ProjectionName,
): Promise<Wiped> {
  const stores = PROJECTION_STORES[projection];
  const items: Record<string, number> = {};
  const objects: Record<string, number> = {};
  for (const key of stores.tables) items[TABLES[key].tableName] = await emptyTable(clients.doc, TABLES[key]);
  for (const prefix of stores.prefixes) objects[prefix] = await emptyPrefix(clients.s3, clients.names.bucket, prefix);
  return { items, objects };
}

/** Deletes every item (keys read by a scan, deleted 25 at a time); returns how many. */
export async function emptyTable(doc: DynamoDBDocumentClient, def: TableDefinition): Promise<number> {
  const keyNames = [def.partitionKey.name, ...(def.sortKey ? [def.sortKey.name] : [])];
  const names = Object.fromEntries(keyNames.map((n, i) => [`#k${i}`, n]));
  let deleted = 0;
  for await (const page of paginateScan(
    { client: doc },
    { TableName: def.tableName, ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names },
  )) {
    const keys = (page.Items ?? []).map((item) => Object.fromEntries(keyNames.map((n) => [n, item[n]])));
    await inPool(chunks(keys, BATCH_WRITE_MAX), PARALLEL_REQUESTS, async (chunk) => {
      let left = chunk.length;
      await untilDone(
        BACKOFF.wipe,
        chunk.map((Key) => ({ DeleteRequest: { Key } })),
        async (requests) => {
          const res = await doc.send(new BatchWriteCommand({ RequestItems: { [def.tableName]: requests } }));
          const rest = (res.UnprocessedItems?.[def.tableName] ?? []) as typeof requests;
          left = rest.length;
          return rest.length > 0 ? rest : undefined;
        },
        () => new ReplayError(`could not empty ${def.tableName}: ${left} deletes still unprocessed`),
      );
    });
    deleted += keys.length;
  }
  return deleted;
}

/** Deletes every object under `prefix`; returns how many. */
export async function emptyPrefix(s3: S3Client, bucket: string, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : []));
    for (let i = 0; i < keys.length; i += DELETE_OBJECTS_MAX)
      await deleteKeys(s3, bucket, keys.slice(i, i + DELETE_OBJECTS_MAX));
    deleted += keys.length;
  }
  return deleted;
}

async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  try {
    const res = await s3.send(
      new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
    );
    const failed = res.Errors ?? [];
    if (failed.length > 0)
      throw new ReplayError(
        `could not delete ${failed.length} object(s), first ${failed[0]?.Key}: ${failed[0]?.Message}`,
      );
  } catch (err) {
    if (err instanceof ReplayError) throw err;
    // an S3 stand-in without multi-object delete: one request per object does the same
    await inPool(keys, PARALLEL_REQUESTS, (Key) =>
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key })).then(() => undefined),
    );
  }
}
