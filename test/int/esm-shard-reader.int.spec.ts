import {
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordsCommand,
  SplitShardCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckpointStore, checkpointPassed, resumePosition } from '../../src/shared/kinesis/checkpoints.ts';
import {
  listShards,
  ShardReader,
  shardsReadyToRead,
  type StreamRecord,
} from '../../src/shared/kinesis/shard-reader.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { STREAM } from '../../src/shared/resources.ts';
import { eventually } from '../support/eventually.ts';
import { tempDir } from '../support/tmp.ts';

const stream = STREAM.streamName;

async function put(
  kinesis: KinesisClient,
  key: string,
  payloads: string[],
): Promise<{ shardId: string; seq: string }[]> {
  const out = await kinesis.send(
    new PutRecordsCommand({
      StreamName: stream,
      Records: payloads.map((p) => ({ PartitionKey: key, Data: Buffer.from(p) })),
    }),
  );
  return (out.Records ?? []).map((r) => ({ shardId: r.ShardId ?? '', seq: r.SequenceNumber ?? '' }));
}

async function readAll(reader: ShardReader): Promise<StreamRecord[]> {
  const out: StreamRecord[] = [];
  for (;;) {
    const page = await reader.read(3);
    out.push(...page.records);
    if (page.ended || (page.records.length === 0 && page.millisBehindLatest === 0)) return out;
  }
}

const text = (records: StreamRecord[]): string[] => records.map((r) => Buffer.from(r.data).toString());

describe('shard reader and checkpoints on kinesalite', () => {
  let stack: EmbeddedStack;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    stack = await startStack({ dataDir: dir, services: [] });
  });
  afterAll(async () => {
    await stack?.stop();
    await cleanup();
  });

  it('reads a shard from TRIM_HORIZON, LATEST, AT_TIMESTAMP and after a sequence number, in order', async () => {
    const { kinesis } = stack.clients;
    const first = await put(kinesis, 'LV1', ['a', 'b', 'c', 'd', 'e']);
    const shardId = first[0]!.shardId;
    expect(text(await readAll(new ShardReader({ kinesis, stream, shardId, start: { type: 'TRIM_HORIZON' } })))).toEqual(
      ['a', 'b', 'c', 'd', 'e'],
    );

    const after = new ShardReader({
      kinesis,
      stream,
      shardId,
      start: { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: first[1]!.seq },
    });
    expect(text(await readAll(after))).toEqual(['c', 'd', 'e']);

    const latest = new ShardReader({ kinesis, stream, shardId, start: { type: 'LATEST' } });
    expect((await latest.read()).records).toEqual([]);
    // AT_TIMESTAMP reads what arrived at or after the mark (kinesalite stamps arrival in ms, from
    // this process's clock): the mark in a later millisecond than a–e, and f, g in a later one still
    const beforeMark = Date.now();
    await eventually('a millisecond after the records before the mark', () => Date.now() > beforeMark, {
      intervalMs: 1,
    });
    const mark = new Date();
    await eventually('a millisecond after the mark', () => Date.now() > mark.getTime(), { intervalMs: 1 });
    await put(kinesis, 'LV1', ['f', 'g']);
    expect(text((await latest.poll()).records)).toEqual(['f', 'g']);
    expect(latest.position).toEqual({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: expect.any(String) });

    const atTs = new ShardReader({ kinesis, stream, shardId, start: { type: 'AT_TIMESTAMP', timestamp: mark } });
    expect(text(await readAll(atTs))).toEqual(['f', 'g']);
    // a timestamp after every record: no record, and no hang
    const future = new ShardReader({
      kinesis,
      stream,
      shardId,
      start: { type: 'AT_TIMESTAMP', timestamp: new Date() },
    });
    expect(await readAll(future)).toEqual([]);
  });

  it('persists checkpoints atomically and answers "has the consumer passed S" from the files', async () => {
    const root = `${dir}/checkpoints`;
    const store = new CheckpointStore(root, 'test');
    expect(await store.get('shardId-000000000001')).toBeUndefined();
    await store.save('shardId-000000000001', '200', { records: 2 });
    expect(await checkpointPassed(root, 'test', 'shardId-000000000001', '150')).toBe(true);
    expect(await checkpointPassed(root, 'test', 'shardId-000000000001', '201')).toBe(false);
    await expect(store.save('shardId-000000000001', '100')).rejects.toThrow(/refusing to move the checkpoint back/);
    const cp = await new CheckpointStore(root, 'test').get('shardId-000000000001');
    expect(cp).toMatchObject({ sequence_number: '200', records: 2, shard_end: false });
    expect(resumePosition(cp)).toEqual({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '200' });
    await store.markShardEnd('shardId-000000000001');
    expect(await checkpointPassed(root, 'test', 'shardId-000000000001', '99999')).toBe(true);
    expect([...(await store.all()).keys()]).toEqual(['shardId-000000000001']);
  });

  it('after a split, reads the parent to its end before its children', async () => {
    const { kinesis } = stack.clients;
    const parent = (await put(kinesis, 'SPLIT', ['p1', 'p2']))[0]!.shardId;
    const shards = await listShards(kinesis, stream);
    const info = shards.find((s) => s.shardId === parent)!;
    expect(info.endingSequenceNumber).toBeUndefined();
    const { HashKeyRange } = (
      await kinesis.send(new DescribeStreamCommand({ StreamName: stream }))
    ).StreamDescription!.Shards!.find((s) => s.ShardId === parent)!;
    const mid = ((BigInt(HashKeyRange!.StartingHashKey!) + BigInt(HashKeyRange!.EndingHashKey!)) / 2n).toString();
    await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: parent, NewStartingHashKey: mid }));
    await eventually(
      'the stream to be ACTIVE again after the split',
      async () => {
        const d = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
        return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
      },
      { intervalMs: 25 },
    );
    const after = await listShards(kinesis, stream);
    const children = after.filter((s) => s.parentShardId === parent);
    expect(children).toHaveLength(2);
    expect(after.find((s) => s.shardId === parent)?.endingSequenceNumber).toBeDefined();

    const finished = new Set<string>();
    expect(shardsReadyToRead(after, (id) => finished.has(id)).map((s) => s.shardId)).not.toContain(
      children[0]!.shardId,
    );
    const child = (await put(kinesis, 'SPLIT', ['c1']))[0]!.shardId;
    expect(children.map((c) => c.shardId)).toContain(child);

    const reader = new ShardReader({ kinesis, stream, shardId: parent, start: { type: 'TRIM_HORIZON' } });
    const seen: string[] = [];
    for (let i = 0; i < 20 && !reader.isEnded; i++) seen.push(...text((await reader.read()).records));
    expect(reader.isEnded).toBe(true);
    expect(seen).toEqual(['p1', 'p2']);
    finished.add(parent);
    expect(shardsReadyToRead(after, (id) => finished.has(id)).map((s) => s.shardId)).toEqual(
      expect.arrayContaining(children.map((c) => c.shardId)),
    );
    expect(
      text(
        (await new ShardReader({ kinesis, stream, shardId: child, start: { type: 'TRIM_HORIZON' } }).poll()).records,
      ),
    ).toEqual(['c1']);
  });
});
