/**
 * dynalite's Query and Scan close their LevelDB iterators (src/local/dynalite-iterator-close.ts):
 * without it each read left a native iterator open until the database closed, and the
 * emulator host's memory grew with every read.
 */
import {
  CreateTableCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynaliteIteratorPrototype } from '../../src/local/dynalite-iterator-close.ts';
import { startEmulators, type RunningEmulators } from '../../src/local/emulators.ts';
import { createClients } from '../../src/shared/clients.ts';
import { tempDir } from '../support/tmp.ts';

const TABLE = 'iterator-test';

describe('reads of the local DynamoDB', () => {
  let emulators: RunningEmulators;
  let dynamodb: DynamoDBClient;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    emulators = await startEmulators(tmp.dir, () => undefined);
    dynamodb = createClients({ target: 'local', endpoints: emulators.endpoints }).dynamodb;
    await dynamodb.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    for (let i = 0; i < 20; i++)
      await dynamodb.send(new PutItemCommand({ TableName: TABLE, Item: { pk: { S: 'a' }, sk: { S: `k${i}` } } }));
  });
  afterAll(async () => {
    dynamodb?.destroy();
    await emulators?.close();
    await cleanup?.();
  });

  it('close the iterator of every Query and Scan, read to the end or stopped early', async () => {
    const proto = dynaliteIteratorPrototype();
    const close = proto.close;
    let closed = 0;
    proto.close = function (this: typeof proto) {
      closed++;
      return close.call(this);
    };
    try {
      const reads: { Limit?: number }[] = [
        ...Array.from({ length: 10 }, () => ({ Limit: 3 })), // stops before the end
        ...Array.from({ length: 10 }, () => ({})), // reads to the end
      ];
      for (const r of reads) {
        const out = await dynamodb.send(
          new QueryCommand({
            TableName: TABLE,
            KeyConditionExpression: 'pk = :p',
            ExpressionAttributeValues: { ':p': { S: 'a' } },
            ...r,
          }),
        );
        expect(out.Items?.length).toBe(r.Limit ?? 20);
      }
      for (let i = 0; i < 5; i++) await dynamodb.send(new ScanCommand({ TableName: TABLE, Limit: 4 }));
      // a close may finish just after the response: the stream closes its iterator as it ends
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(closed).toBeGreaterThanOrEqual(reads.length + 5);
    } finally {
      proto.close = close;
    }
  });
});
