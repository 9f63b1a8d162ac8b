import { DescribeTableCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
  type PutRecordCommandOutput,
} from '@aws-sdk/client-kinesis';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackAlreadyRunningError } from '../../src/local/runtime-file.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import type { Clients } from '../../src/shared/clients.ts';
import { STREAM, TABLES } from '../../src/shared/resources.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

describe('embedded stack', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let stack: EmbeddedStack | undefined;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  it('creates every resource from the shared definitions, and keeps data across a restart', async () => {
    stack = await startStack({ dataDir: dir, services: [] });
    const { clients } = stack;

    for (const def of Object.values(TABLES)) {
      const d = await clients.dynamodb.send(new DescribeTableCommand({ TableName: def.tableName }));
      const keys = d.Table?.KeySchema?.map((k) => [k.AttributeName, k.KeyType]);
      expect(keys).toEqual([
        [def.partitionKey.name, 'HASH'],
        ...('sortKey' in def ? [[def.sortKey.name, 'RANGE']] : []),
      ]);
      const indexes = (d.Table?.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName);
      expect(indexes).toEqual(('globalIndexes' in def ? def.globalIndexes : []).map((i) => i.indexName));
    }
    const stream = await clients.kinesis.send(new DescribeStreamCommand({ StreamName: STREAM.streamName }));
    expect(stream.StreamDescription?.Shards).toHaveLength(STREAM.localShardCount);

    const bucket = clients.names.bucket;
    const put = await seed(clients);
    await stack.stop();
    stack = undefined;

    stack = await startStack({ dataDir: dir, services: [] });
    const c2 = stack.clients;
    const obj = await c2.s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'raw/hello.txt' }));
    expect(await obj.Body?.transformToString()).toBe('hello');
    const it0 = await c2.kinesis.send(
      new GetShardIteratorCommand({
        StreamName: STREAM.streamName,
        ShardId: put.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    const recs = await c2.kinesis.send(new GetRecordsCommand({ ShardIterator: it0.ShardIterator }));
    expect(Buffer.from(recs.Records?.[0]?.Data ?? []).toString()).toBe('rec');
    const item = await c2.dynamodb.send(
      new GetItemCommand({
        TableName: TABLES.latest.tableName,
        Key: { asset_id: { S: 'LV1' }, measurement: { S: 'x' } },
      }),
    );
    expect(item.Item?.value?.N).toBe('1.5');
    await stack.stop();
    stack = undefined;
  });

  // These two share one running stack, seeded in their own hook rather than by the test above.
  describe('with a stack running', () => {
    let running: EmbeddedStack | undefined;
    const runningDir = (): string => `${dir}/running`;
    beforeAll(async () => {
      running = await startStack({ dataDir: runningDir(), services: [] });
      await seed(running.clients);
    });
    afterAll(async () => {
      await running?.stop();
    });

    it('refuses a second stack on the same data dir with a clear message', async () => {
      expect(running).toBeDefined();
      await expect(startStack({ dataDir: runningDir(), services: [] })).rejects.toBeInstanceOf(
        StackAlreadyRunningError,
      );
      const second = await runCli(['up', '--data-dir', runningDir()]);
      expect(second.code).not.toBe(0);
      expect(second.stderr).toMatch(/already running on .* \(pid \d+/);
    });

    it('lets `dubegrid status --json --exact` in another process use the running stack', async () => {
      const run = await runCli(['status', '--json', '--exact', '--data-dir', runningDir()]);
      expect(run.stderr).not.toMatch(/NodeVersionSupportWarning/);
      expect(run.code).toBe(0);
      const doc = JSON.parse(run.stdout);
      expect(doc.runtime.pid).toBe(process.pid);
      expect(doc.resources.tables.latest.items).toBe(1);
      expect(doc.resources.tables.latest.items_approximate).toBeUndefined();
      expect(doc.resources.bucket.objects.raw).toBe(1);
      expect(doc.resources.stream.records).toBe(1);
    });

    it('without --exact, neither scans nor reads the stream: counts are flagged approximate', async () => {
      const run = await runCli(['status', '--json', '--data-dir', runningDir()]);
      expect(run.code).toBe(0);
      const doc = JSON.parse(run.stdout);
      expect(doc.resources.tables.latest.items_approximate).toBe(true);
      expect(doc.resources.stream.records).toBeUndefined();
      expect(doc.resources.stream.open_shards).toBe(STREAM.localShardCount);
      expect(doc.resources.bucket.objects.raw).toBe(1);
    });
  });
});

/** One object, one record and one item: what the tests read back. */
async function seed(clients: Clients): Promise<PutRecordCommandOutput> {
  await clients.s3.send(new PutObjectCommand({ Bucket: clients.names.bucket, Key: 'raw/hello.txt', Body: 'hello' }));
  const put = await clients.kinesis.send(
    new PutRecordCommand({ StreamName: STREAM.streamName, PartitionKey: 'LV1', Data: Buffer.from('rec') }),
  );
  await clients.dynamodb.send(
    new PutItemCommand({
      TableName: TABLES.latest.tableName,
      Item: { asset_id: { S: 'LV1' }, measurement: { S: 'x' }, value: { N: '1.5' } },
    }),
  );
  return put;
}

describe('dubegrid status with no stack running', () => {
  it('starts an embedded stack for its own lifetime and removes it afterwards', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      // on an empty data dir it creates nothing: it reports what exists, and says how to start
      const empty = await runCli(['status', '--data-dir', dir]);
      expect(empty.code).toBe(0);
      expect(empty.stdout).toMatch(/^table +dubegrid-readings +NO *$/m);
      expect(empty.stdout).toMatch(/nothing exists on this data dir yet: `npx dubegrid up` creates it/);
      const made = await startStack({ dataDir: dir, services: [] });
      await made.stop();
      const run = await runCli(['status', '--data-dir', dir]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/started one for this command/);
      expect(run.stdout).not.toMatch(/nothing exists/);
      // aligned tables: the resources, one row each, approximate counts marked
      const lines = run.stdout.split('\n');
      const header = lines.findIndex((l) => /^resource +name +exists +contents$/.test(l));
      expect(header).toBeGreaterThan(0);
      expect(lines[header + 1]).toMatch(/^-+ +-+ +-+ +-+$/);
      expect(lines.slice(header + 2, header + 4).map((l) => l.split(/ +/)[0])).toEqual(['bucket', 'stream']);
      expect(run.stdout).toMatch(/^table +dubegrid-readings +yes +≈\d+ items/m);
      expect(run.stdout).not.toMatch(/[{[]"/); // no raw JSON in the human output
      const again = await startStack({ dataDir: dir, services: [] });
      await again.stop();
    } finally {
      await cleanup();
    }
  });
});
