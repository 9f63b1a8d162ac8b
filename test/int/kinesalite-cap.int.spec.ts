/**
 * The local stream caps a GetRecords response at 2 MiB of data, within Kinesis's 10 MiB
 * (src/local/kinesalite-get-records-cap.ts): a backlog larger than that comes back over
 * several calls, in order, each at most the cap, with nothing skipped or repeated; a small
 * `Limit` is still honoured.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulators, type RunningEmulators } from '../../src/local/emulators.ts';
import { GET_RECORDS_MAX_BYTES, LOCAL_GET_RECORDS_MAX_BYTES } from '../../src/local/kinesalite-get-records-cap.ts';
import { createClients } from '../../src/shared/clients.ts';
import { eventually } from '../support/eventually.ts';
import { tempDir } from '../support/tmp.ts';

const STREAM = 'cap-test';
const RECORD_BYTES = 900 * 1024;
const RECORDS = 9; // ~7.9 MiB: two records a call at the 2 MiB cap, so five calls
const PER_CALL = Math.floor(LOCAL_GET_RECORDS_MAX_BYTES / (RECORD_BYTES + 1));

describe('GetRecords on the local stream', () => {
  let emulators: RunningEmulators;
  let kinesis: KinesisClient;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    const tmp = await tempDir();
    cleanup = tmp.cleanup;
    emulators = await startEmulators(tmp.dir, () => undefined);
    kinesis = createClients({ target: 'local', endpoints: emulators.endpoints }).kinesis;
    await kinesis.send(new CreateStreamCommand({ StreamName: STREAM, ShardCount: 1 }));
    await eventually('the stream to be usable', async () => {
      await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: STREAM,
          ShardId: 'shardId-000000000000',
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      return true;
    });
    for (let i = 0; i < RECORDS; i += 3) {
      const batch = [i, i + 1, i + 2].map((n) => ({ PartitionKey: 'k', Data: Buffer.alloc(RECORD_BYTES, n) }));
      const out = await kinesis.send(new PutRecordsCommand({ StreamName: STREAM, Records: batch }));
      expect(out.FailedRecordCount ?? 0).toBe(0);
    }
  });
  afterAll(async () => {
    kinesis?.destroy();
    await emulators?.close();
    await cleanup?.();
  });

  async function iterator(): Promise<string> {
    const it = await kinesis.send(
      new GetShardIteratorCommand({
        StreamName: STREAM,
        ShardId: 'shardId-000000000000',
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    return it.ShardIterator ?? '';
  }

  it('returns a backlog over the cap in calls of at most the cap, every record once, in order', async () => {
    let next: string | undefined = await iterator();
    const seen: number[] = [];
    const callBytes: number[] = [];
    while (next && seen.length < RECORDS) {
      const page: GetRecordsCommandOutput = await kinesis.send(
        new GetRecordsCommand({ ShardIterator: next, Limit: 10_000 }),
      );
      const records = page.Records ?? [];
      if (records.length === 0) break;
      callBytes.push(records.reduce((n, r) => n + (r.Data?.length ?? 0) + (r.PartitionKey?.length ?? 0), 0));
      seen.push(...records.map((r) => r.Data?.[0] ?? -1));
      next = page.NextShardIterator;
    }
    expect(seen).toEqual(Array.from({ length: RECORDS }, (_, i) => i));
    expect(LOCAL_GET_RECORDS_MAX_BYTES).toBeLessThanOrEqual(GET_RECORDS_MAX_BYTES);
    expect(callBytes.length).toBe(Math.ceil(RECORDS / PER_CALL));
    for (const bytes of callBytes) expect(bytes).toBeLessThanOrEqual(LOCAL_GET_RECORDS_MAX_BYTES);
  });

  it('still honours a Limit below the cap', async () => {
    // the cap allows two of these records a call; a Limit of one gives one
    const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: await iterator(), Limit: 1 }));
    expect((page.Records ?? []).map((r) => r.Data?.[0])).toEqual([0]);
    const next = await kinesis.send(new GetRecordsCommand({ ShardIterator: page.NextShardIterator, Limit: 1 }));
    expect((next.Records ?? []).map((r) => r.Data?.[0])).toEqual([1]);
    const rest = await kinesis.send(new GetRecordsCommand({ ShardIterator: next.NextShardIterator, Limit: 2 }));
    expect((rest.Records ?? []).map((r) => r.Data?.[0])).toEqual([2, 3]);
  });
});
