/**
 * What exists and how much is in it, per resource of the shared definitions:
 * the same questions on the embedded stack and on AWS.
 */
import { DescribeTableCommand, paginateScan } from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import { HeadBucketCommand, paginateListObjectsV2 } from '@aws-sdk/client-s3';
import type { Clients } from '../shared/clients.ts';
import { PREFIXES, TABLES, type TableKey } from '../shared/resources.ts';

export interface BucketStatus {
  name: string;
  exists: boolean;
  objects: Record<string, number>;
}
export interface StreamStatus {
  name: string;
  exists: boolean;
  status?: string | undefined;
  shards?: number;
  open_shards?: number;
  records?: number;
  /** True when counting stopped at the time budget: `records` is then a lower bound. */
  records_truncated?: boolean;
}
export interface TableStatus {
  name: string;
  exists: boolean;
  key_schema?: string;
  items?: number;
  /** True when `items` is DescribeTable's ItemCount (refreshed about every 6 h on AWS), not a scan. */
  items_approximate?: boolean;
}
export interface ResourceStatus {
  bucket: BucketStatus;
  stream: StreamStatus;
  tables: Record<TableKey, TableStatus>;
}

export interface StatusOptions {
  /** Counting stream records reads the whole stream; stop after this long. */
  readonly countBudgetMs?: number;
  /**
   * Scan every table and read the stream to count exactly. Without it (the default, what
   * made status take 12 s on the sample): DescribeTable's ItemCount, flagged approximate,
   * and no stream read.
   */
  readonly exact?: boolean;
}

export async function resourceStatus(clients: Clients, options: StatusOptions = {}): Promise<ResourceStatus> {
  const [bucket, stream, tables] = await Promise.all([
    bucketStatus(clients),
    streamStatus(clients, options.exact === true ? (options.countBudgetMs ?? 5_000) : undefined),
    Promise.all(
      (Object.keys(TABLES) as TableKey[]).map(
        async (k) => [k, await tableStatus(clients, k, options.exact === true)] as const,
      ),
    ),
  ]);
  return { bucket, stream, tables: Object.fromEntries(tables) as Record<TableKey, TableStatus> };
}

const ZONES = Object.entries(PREFIXES).filter(([zone]) => zone !== 'rawLv');

async function bucketStatus(clients: Clients): Promise<BucketStatus> {
  const name = clients.names.bucket;
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: name }));
  } catch {
    return { name, exists: false, objects: {} };
  }
  const counts = await Promise.all(
    ZONES.map(async ([zone, prefix]) => {
      let n = 0;
      for await (const page of paginateListObjectsV2({ client: clients.s3 }, { Bucket: name, Prefix: prefix })) {
        n += page.KeyCount ?? page.Contents?.length ?? 0;
      }
      return [zone, n] as const;
    }),
  );
  // in the order of PREFIXES, whichever listing finished first
  return { name, exists: true, objects: Object.fromEntries(counts) };
}

async function streamStatus(clients: Clients, budgetMs: number | undefined): Promise<StreamStatus> {
  const name = clients.names.stream;
  let shards;
  let status;
  try {
    const d = await clients.kinesis.send(new DescribeStreamCommand({ StreamName: name }));
    shards = d.StreamDescription?.Shards ?? [];
    status = d.StreamDescription?.StreamStatus;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return { name, exists: false };
    throw err;
  }
  const open = shards.filter((s) => !s.SequenceNumberRange?.EndingSequenceNumber).length;
  if (budgetMs === undefined) return { name, exists: true, status, shards: shards.length, open_shards: open };
  const deadline = Date.now() + budgetMs;
  // the shards are independent: read at once, each until it is caught up or the budget is spent
  const counted = await Promise.all(shards.map((shard) => countShard(clients, name, shard.ShardId, deadline)));
  const records = counted.reduce((sum, c) => sum + c.records, 0);
  const truncated = counted.some((c) => c.truncated);
  return {
    name,
    exists: true,
    status,
    shards: shards.length,
    open_shards: open,
    records,
    ...(truncated ? { records_truncated: true } : {}),
  };
}

async function countShard(
  clients: Clients,
  stream: string,
  shardId: string | undefined,
  deadline: number,
): Promise<{ records: number; truncated: boolean }> {
  const it = await clients.kinesis.send(
    new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  let iterator = it.ShardIterator;
  let records = 0;
  while (iterator) {
    if (Date.now() > deadline) return { records, truncated: true };
    const page = await clients.kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
    records += page.Records?.length ?? 0;
    if (!page.Records?.length && page.MillisBehindLatest === 0) break;
    iterator = page.NextShardIterator;
  }
  return { records, truncated: false };
}

async function tableStatus(clients: Clients, key: TableKey, exact: boolean): Promise<TableStatus> {
  const name = clients.names.tables[key];
  let keySchema: string;
  let described: number | undefined;
  try {
    const d = await clients.dynamodb.send(new DescribeTableCommand({ TableName: name }));
    keySchema = (d.Table?.KeySchema ?? []).map((k) => `${k.AttributeName} ${k.KeyType}`).join(', ');
    described = d.Table?.ItemCount;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return { name, exists: false };
    throw err;
  }
  if (!exact) return { name, exists: true, key_schema: keySchema, items: described ?? 0, items_approximate: true };
  let items = 0;
  for await (const page of paginateScan({ client: clients.dynamodb }, { TableName: name, Select: 'COUNT' })) {
    items += page.Count ?? 0;
  }
  return { name, exists: true, key_schema: keySchema, items };
}
