/**
 * Creates every resource of the embedded stack from the shared definitions,
 * idempotently: running it against a data dir that already has them changes nothing.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Clients } from '../shared/clients.ts';
import { STREAM, TABLES, type TableDefinition } from '../shared/resources.ts';

export async function bootstrapResources(clients: Clients): Promise<void> {
  await Promise.all([
    ensureBucket(clients.s3, clients.names.bucket),
    ensureStream(clients.kinesis, clients.names.stream, STREAM.localShardCount),
    ...Object.values(TABLES).map((def) => ensureTable(clients.dynamodb, def)),
  ]);
}

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
}

async function ensureStream(kinesis: KinesisClient, streamName: string, shards: number): Promise<void> {
  try {
    await kinesis.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shards }));
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') throw err;
  }
  // kinesalite goes CREATING → ACTIVE asynchronously even with createStreamMs 0
  for (let i = 0; i < 200; i++) {
    const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`stream ${streamName} did not become ACTIVE`);
}

/** Key attributes of a table and its indexes, each declared once. */
export function attributeDefinitions(def: TableDefinition): AttributeDefinition[] {
  const keys = [def.partitionKey, def.sortKey, ...(def.globalIndexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey])];
  const byName = new Map<string, AttributeDefinition>();
  for (const k of keys) if (k) byName.set(k.name, { AttributeName: k.name, AttributeType: k.type });
  return [...byName.values()];
}

function keySchema(pk: { name: string }, sk?: { name: string }) {
  return [
    { AttributeName: pk.name, KeyType: 'HASH' as const },
    ...(sk ? [{ AttributeName: sk.name, KeyType: 'RANGE' as const }] : []),
  ];
}

async function ensureTable(dynamodb: DynamoDBClient, def: TableDefinition): Promise<void> {
  try {
    await dynamodb.send(
      new CreateTableCommand({
        TableName: def.tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: attributeDefinitions(def),
        KeySchema: keySchema(def.partitionKey, def.sortKey),
        GlobalSecondaryIndexes: def.globalIndexes?.map((i) => ({
          IndexName: i.indexName,
          KeySchema: keySchema(i.partitionKey, i.sortKey),
          Projection: { ProjectionType: 'ALL' },
        })),
      }),
    );
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') throw err;
  }
  for (let i = 0; i < 200; i++) {
    const d = await dynamodb.send(new DescribeTableCommand({ TableName: def.tableName }));
    if (d.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  if (def.ttlAttribute) {
    // dynalite does not expire items, but accepting the setting keeps both targets alike
    await dynamodb
      .send(
        new UpdateTimeToLiveCommand({
          TableName: def.tableName,
          TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
        }),
      )
      .catch(() => undefined);
  }
}
