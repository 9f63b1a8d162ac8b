import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import {
  compareSequenceNumbers,
  ShardReader,
  shardsReadyToRead,
  type ShardInfo,
} from '../../src/shared/kinesis/shard-reader.ts';

/** kinesalite only expires an iterator after 5 real minutes: a fake stream produces that error on demand. */
function fakeKinesis(records: string[], expireOnCall: number) {
  const calls: { iteratorRequests: unknown[]; getRecords: number } = { iteratorRequests: [], getRecords: 0 };
  const seq = (i: number): string => String(1000 + i);
  const client = {
    send: async (command: unknown) => {
      if (command instanceof GetShardIteratorCommand) {
        const input = command.input;
        calls.iteratorRequests.push({
          type: input.ShardIteratorType,
          seq: input.StartingSequenceNumber,
          ...(input.Timestamp ? { timestamp: input.Timestamp } : {}),
        });
        const from =
          input.ShardIteratorType === 'AFTER_SEQUENCE_NUMBER' ? Number(input.StartingSequenceNumber) - 1000 + 1 : 0;
        return { ShardIterator: `it-${from}` };
      }
      if (command instanceof GetRecordsCommand) {
        calls.getRecords += 1;
        if (calls.getRecords === expireOnCall)
          throw Object.assign(new Error('Iterator expired'), { name: 'ExpiredIteratorException' });
        const from = Number(command.input.ShardIterator!.slice(3));
        const page = records.slice(from, from + (command.input.Limit ?? 100)).map((d, i) => ({
          SequenceNumber: seq(from + i),
          PartitionKey: 'k',
          Data: Buffer.from(d),
          ApproximateArrivalTimestamp: new Date(0),
        }));
        return { Records: page, NextShardIterator: `it-${from + page.length}`, MillisBehindLatest: 0 };
      }
      throw new Error('unexpected command');
    },
  };
  return { client: client as unknown as KinesisClient, calls };
}

describe('ShardReader', () => {
  it('re-acquires an expired iterator right after the last record returned: nothing skipped, nothing repeated', async () => {
    const { client, calls } = fakeKinesis(['a', 'b', 'c', 'd', 'e'], 2);
    const reader = new ShardReader({
      kinesis: client,
      stream: 's',
      shardId: 'shardId-000000000000',
      start: { type: 'TRIM_HORIZON' },
      limit: 2,
    });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) seen.push(...(await reader.read()).records.map((r) => Buffer.from(r.data).toString()));
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(calls.iteratorRequests).toEqual([
      { type: 'TRIM_HORIZON', seq: undefined },
      { type: 'AFTER_SEQUENCE_NUMBER', seq: '1001' },
    ]);
  });

  it('re-acquires an expired iterator from its start when nothing was returned yet', async () => {
    const { client, calls } = fakeKinesis(['a'], 1);
    const reader = new ShardReader({
      kinesis: client,
      stream: 's',
      shardId: 'shardId-000000000000',
      start: { type: 'TRIM_HORIZON' },
    });
    expect((await reader.read()).records).toHaveLength(1);
    expect(calls.iteratorRequests).toEqual([
      { type: 'TRIM_HORIZON', seq: undefined },
      { type: 'TRIM_HORIZON', seq: undefined },
    ]);
  });
});

describe('ShardReader from AT_TIMESTAMP', () => {
  const from = new Date('2025-08-14T00:00:00Z');

  it('scans from the trim horizon by default (kinesalite hangs on AT_TIMESTAMP past its newest record), skipping older records', async () => {
    const { client, calls } = fakeKinesis(['a', 'b'], 0);
    const reader = new ShardReader({
      kinesis: client,
      stream: 's',
      shardId: 'shardId-000000000000',
      start: { type: 'AT_TIMESTAMP', timestamp: from },
    });
    expect((await reader.read()).records).toEqual([]); // the fake's records arrived at 1970: older than `from`
    expect(calls.iteratorRequests).toEqual([{ type: 'TRIM_HORIZON', seq: undefined }]);
  });

  it('asks Kinesis for an AT_TIMESTAMP iterator when native, so a short range reads only itself', async () => {
    const { client, calls } = fakeKinesis(['a'], 0);
    const reader = new ShardReader({
      kinesis: client,
      stream: 's',
      shardId: 'shardId-000000000000',
      start: { type: 'AT_TIMESTAMP', timestamp: from },
      atTimestamp: 'native',
    });
    await reader.read();
    expect(calls.iteratorRequests).toEqual([{ type: 'AT_TIMESTAMP', seq: undefined, timestamp: from }]);
  });
});

describe('shardsReadyToRead', () => {
  const shard = (shardId: string, parents: string[] = []): ShardInfo => ({
    shardId,
    startingSequenceNumber: '1',
    ...(parents[0] ? { parentShardId: parents[0] } : {}),
    ...(parents[1] ? { adjacentParentShardId: parents[1] } : {}),
  });

  it('holds children back until every listed parent is finished, and ignores parents that aged out', () => {
    const shards = [shard('p'), shard('q'), shard('merged', ['p', 'q']), shard('orphan', ['gone'])];
    const ready = (done: string[]) => shardsReadyToRead(shards, (id) => done.includes(id)).map((s) => s.shardId);
    expect(ready([])).toEqual(['p', 'q', 'orphan']);
    expect(ready(['p'])).toEqual(['q', 'orphan']);
    expect(ready(['p', 'q'])).toEqual(['merged', 'orphan']);
  });
});

describe('compareSequenceNumbers', () => {
  it('orders by number, not by string', () => {
    expect(compareSequenceNumbers('9', '10')).toBe(-1);
    expect(
      compareSequenceNumbers(
        '49590338271490256608559692538361571095921575989136588898',
        '49590338271490256608559692538361571095921575989136588898',
      ),
    ).toBe(0);
  });
});
