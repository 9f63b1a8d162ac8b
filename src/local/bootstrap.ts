/**
 * Creates every resource of the embedded stack from the shared definitions,
 * idempotently: running it against a data dir that already has them changes nothing.
 * `bootstrapPlan` is the pure part — the input of every create call — which the CDK
 * parity test compares with the AWS stack.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  UpdateTimeToLiveCommand,
  type AttributeDefinition,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type UpdateTimeToLiveCommandInput,
} from '@aws-sdk/client-dynamodb';
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  type CreateStreamCommandInput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  type CreateBucketCommandInput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Clients } from '../shared/clients.ts';
import { STREAM, TABLES, type ResourceNames, type TableDefinition } from '../shared/resources.ts';

export interface TablePlan {
  readonly create: CreateTableCommandInput;
  /** Set after the table is ACTIVE, when the table has a TTL attribute. */
  readonly timeToLive?: UpdateTimeToLiveCommandInput;
}

export interface BootstrapPlan {
  readonly bucket: CreateBucketCommandInput;
  readonly stream: CreateStreamCommandInput;
  readonly tables: readonly TablePlan[];
}

/** What `bootstrapResources` creates for these names. Pure. */
export function bootstrapPlan(names: ResourceNames): BootstrapPlan {
  return {
    bucket: { Bucket: names.bucket },
    stream: { StreamName: names.stream, ShardCount: STREAM.localShardCount },
    tables: Object.values(TABLES).map((def) => tablePlan(def)),
  };
}

export async function bootstrapResources(clients: Clients): Promise<void> {
  const plan = bootstrapPlan(clients.names);
  await Promise.all([
    ensureBucket(clients.s3, plan.bucket),
    ensureStream(clients.kinesis, plan.stream),
    ...plan.tables.map((table) => ensureTable(clients.dynamodb, table)),
  ]);
}

async function ensureBucket(s3: S3Client, input: CreateBucketCommandInput): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: input.Bucket }));
  } catch {
    try {
      await s3.send(new CreateBucketCommand(input));
    } catch (err) {
      // The HEAD may have failed for another reason than a missing bucket (a throttle, a
      // reset), or a retried create may have been applied before its answer was lost. The
      // emulator has one owner, so a bucket that exists is ours.
      const name = (err as Error).name;
      if (name !== 'BucketAlreadyExists' && name !== 'BucketAlreadyOwnedByYou') throw err;
    }
  }
}

async function ensureStream(kinesis: KinesisClient, input: CreateStreamCommandInput): Promise<void> {
  const streamName = input.StreamName;
  try {
    await kinesis.send(new CreateStreamCommand(input));
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
  const keys = [
    def.partitionKey,
    def.sortKey,
    ...(def.globalIndexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
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

/** The create-table input of a definition, and its TTL setting if it has one. */
export function tablePlan(def: TableDefinition): TablePlan {
  return {
    create: {
      TableName: def.tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: attributeDefinitions(def),
      KeySchema: keySchema(def.partitionKey, def.sortKey),
      GlobalSecondaryIndexes: def.globalIndexes?.map((i) => ({
        IndexName: i.indexName,
        KeySchema: keySchema(i.partitionKey, i.sortKey),
        Projection: { ProjectionType: 'ALL' },
      })),
    },
    ...(def.ttlAttribute
      ? {
          timeToLive: {
            TableName: def.tableName,
            TimeToLiveSpecification: { AttributeName: def.ttlAttribute, Enabled: true },
          },
        }
      : {}),
  };
}

async function ensureTable(dynamodb: DynamoDBClient, plan: TablePlan): Promise<void> {
  const tableName = plan.create.TableName;
  try {
    await dynamodb.send(new CreateTableCommand(plan.create));
  } catch (err) {
    if ((err as Error).name !== 'ResourceInUseException') throw err;
  }
  for (let i = 0; i < 200; i++) {
    const d = await dynamodb.send(new DescribeTableCommand({ TableName: tableName }));
    if (d.Table?.TableStatus === 'ACTIVE') break;
    await new Promise((r) => setTimeout(r, 25));
  }
  if (plan.timeToLive) {
    // dynalite does not expire items, but accepting the setting keeps both targets alike
    await dynamodb.send(new UpdateTimeToLiveCommand(plan.timeToLive)).catch(() => undefined);
  }
}
