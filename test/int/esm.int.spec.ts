import {
  DescribeStreamCommand,
  DescribeStreamSummaryCommand,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import type { KinesisStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStateHandler } from '../../src/consumers/state/handler.ts';
import type { ReadingItem } from '../../src/consumers/state/items.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { LocalDlq, type DlqEntry, type KinesisFailure } from '../../src/local/dlq.ts';
import { CheckpointStore } from '../../src/shared/kinesis/checkpoints.ts';
import type { KinesisHandler } from '../../src/shared/kinesis/invoke.ts';
import { EventSourceMapping } from '../../src/local/esm/mapping.ts';
import { redriveKinesisEntry } from '../../src/local/esm/redrive.ts';
import { compareSequenceNumbers } from '../../src/shared/kinesis/shard-reader.ts';
import { waitForConsumers } from '../../src/shared/kinesis/wait.ts';
import { silentLog } from '../../src/local/service.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { CONSUMERS, type EventSourceMappingSettings } from '../../src/shared/consumers.ts';
import { FUNCTIONS } from '../../src/shared/functions.ts';
import { STREAM, TABLES } from '../../src/shared/resources.ts';
import { runCli } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { putPayloads, putReadingEvents, readingGrid } from '../support/reading-events.ts';
import { scanAll } from '../support/tables.ts';
import { tempDir } from '../support/tmp.ts';

const stream = STREAM.streamName;
const settings = (name: string, overrides: Partial<EventSourceMappingSettings> = {}): EventSourceMappingSettings => ({
  ...CONSUMERS.state,
  name,
  batchSize: 10,
  maxBatchingWindowSeconds: 0.05,
  retryAttempts: 2,
  ...overrides,
});

/** A consumer that keeps what it was given, and fails on records whose data is in `poison`. */
function recordingHandler(poison: Set<string>, mode: 'throw' | 'report') {
  const applied: string[] = [];
  const batches: number[] = [];
  const order = new Map<string, string[]>();
  const handler: KinesisHandler = async (event: KinesisStreamEvent) => {
    batches.push(event.Records.length);
    const failAt = event.Records.findIndex((r) => poison.has(Buffer.from(r.kinesis.data, 'base64').toString()));
    if (failAt >= 0 && mode === 'throw')
      throw new Error(`poison record ${event.Records[failAt]!.kinesis.sequenceNumber}`);
    const ok = failAt >= 0 ? event.Records.slice(0, failAt) : event.Records;
    for (const r of ok) {
      const data = Buffer.from(r.kinesis.data, 'base64').toString();
      applied.push(data);
      order.set(r.kinesis.partitionKey, [...(order.get(r.kinesis.partitionKey) ?? []), data]);
    }
    if (failAt < 0) return { batchItemFailures: [] };
    return {
      batchItemFailures: event.Records.slice(failAt).map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })),
    };
  };
  return { handler, applied, batches, order };
}

describe('local event source mapping on the embedded stack', () => {
  let stack: EmbeddedStack;
  let dir: string;
  let cleanup: () => Promise<void>;
  const mappings: EventSourceMapping[] = [];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    stack = await startStack({ dataDir: dir, services: [] });
  });
  afterAll(async () => {
    await Promise.all(mappings.map((m) => m.stop()));
    await stack?.stop();
    await cleanup();
  });

  const run = async (s: EventSourceMappingSettings, handler: KinesisHandler): Promise<EventSourceMapping> => {
    const paths = dataPaths(dir);
    const m = new EventSourceMapping({
      clients: stack.clients,
      settings: s,
      fn: FUNCTIONS.state,
      handler,
      checkpointsRoot: paths.checkpoints,
      dlqRoot: paths.dlq,
      log: silentLog,
    });
    mappings.push(m);
    await m.start();
    return m;
  };
  const putTexts = (key: string, texts: string[]) =>
    putPayloads(
      stack.clients.kinesis,
      stream,
      texts.map((t) => ({ partitionKey: key, data: Buffer.from(t) })),
    );

  for (const mode of ['throw', 'report'] as const) {
    it(`isolates a poison record (handler ${mode === 'throw' ? 'throws' : 'reports item failures'}): bounded retries, bisect, DLQ, the rest of the shard processed, the checkpoint moves on`, async () => {
      const key = `POISON-${mode}`;
      const texts = Array.from({ length: 30 }, (_, i) => `${mode}-${i}`);
      const consumer = recordingHandler(new Set([`${mode}-17`]), mode);
      const put = await putTexts(key, texts);
      const mapping = await run(settings(`poison-${mode}`), consumer.handler);
      await waitForConsumers(dataPaths(dir), [`poison-${mode}`], put.targets, { timeoutMs: 60_000 });

      // the mapping reads the shard from its start: records other tests put there reach it too
      expect(consumer.applied.filter((t) => t.startsWith(`${mode}-`))).toEqual(texts.filter((t) => t !== `${mode}-17`));
      const entries = await new LocalDlq(dataPaths(dir).dlq).list(`poison-${mode}`);
      expect(entries).toHaveLength(1);
      const entry = entries[0] as DlqEntry & { payload: KinesisFailure };
      expect(entry).toMatchObject({
        condition: 'retries_exhausted',
        attempts: 3,
        payload: { kind: 'kinesis', records: 1 },
      });
      expect(entry.payload.start_sequence_number).toBe(entry.payload.end_sequence_number);
      expect(entry.error).toMatch(mode === 'throw' ? /poison record/ : /reported 1 of 1/);
      const status = mapping.status() as { retries: number; dlq_records: number };
      expect(status.retries).toBe(2);
      expect(status.dlq_records).toBe(1);
      const [shardId, last] = Object.entries(put.targets)[0]!;
      expect(
        (await new CheckpointStore(dataPaths(dir).checkpoints, `poison-${mode}`).get(shardId))?.sequence_number,
      ).toBe(last);

      // once the cause is fixed, the entry is redriven from the stream and removed
      const fixed = recordingHandler(new Set(), mode);
      const result = await redriveKinesisEntry({
        kinesis: stack.clients.kinesis,
        region: stack.clients.region,
        entry,
        settings: settings(`poison-${mode}`),
        fn: FUNCTIONS.state,
        handler: fixed.handler,
        dlq: new LocalDlq(dataPaths(dir).dlq),
      });
      expect(result).toMatchObject({ records: 1, missing: 0 });
      expect(fixed.applied).toEqual([`${mode}-17`]);
      expect(await new LocalDlq(dataPaths(dir).dlq).list(`poison-${mode}`)).toEqual([]);
    });
  }

  it('never gives the handler more than the batch size, and keeps each key in order across a reshard (parent before children)', async () => {
    const consumer = recordingHandler(new Set(), 'report');
    const keys = ['K1', 'K2', 'K3', 'K4', 'K5', 'K6'];
    const sent = new Map<string, string[]>(keys.map((k) => [k, []]));
    const putRound = async (round: number) => {
      for (const k of keys) {
        const texts = Array.from({ length: 6 }, (_, i) => `${k}-${round}-${i}`);
        sent.get(k)!.push(...texts);
        await putTexts(k, texts);
      }
    };
    await putRound(0);
    const { StreamDescription } = await stack.clients.kinesis.send(new DescribeStreamCommand({ StreamName: stream }));
    const parent = StreamDescription!.Shards!.find((s) => !s.SequenceNumberRange?.EndingSequenceNumber)!;
    const mid = (
      (BigInt(parent.HashKeyRange!.StartingHashKey!) + BigInt(parent.HashKeyRange!.EndingHashKey!)) /
      2n
    ).toString();
    await stack.clients.kinesis.send(
      new SplitShardCommand({ StreamName: stream, ShardToSplit: parent.ShardId, NewStartingHashKey: mid }),
    );
    await eventually(
      'the stream to be ACTIVE again after the split',
      async () => {
        const d = await stack.clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
        return d.StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
      },
      { intervalMs: 25 },
    );
    await putRound(1);
    await run(settings('reshard', { batchSize: 7 }), consumer.handler);
    // a last record per key marks where each (open) shard must be read to
    const targets: Record<string, string> = {};
    for (const k of keys) {
      const r = await stack.clients.kinesis.send(
        new PutRecordsCommand({ StreamName: stream, Records: [{ PartitionKey: k, Data: Buffer.from(`${k}-end`) }] }),
      );
      sent.get(k)!.push(`${k}-end`);
      const rec = r.Records![0]!;
      if (!targets[rec.ShardId!] || compareSequenceNumbers(rec.SequenceNumber!, targets[rec.ShardId!]!) > 0)
        targets[rec.ShardId!] = rec.SequenceNumber!;
    }
    await waitForConsumers(dataPaths(dir), ['reshard'], targets, { timeoutMs: 60_000 });
    expect(Math.max(...consumer.batches)).toBeLessThanOrEqual(7);
    for (const k of keys) expect(consumer.order.get(k)).toEqual(sent.get(k));
    const cps = await new CheckpointStore(dataPaths(dir).checkpoints, 'reshard').get(parent.ShardId!);
    expect(cps?.shard_end).toBe(true);
  });

  it('lists the DLQ and redrives a state batch through `dubegrid dlq` once the table it failed on is fixed', async () => {
    const events = readingGrid({
      substations: 1,
      feeders: 1,
      measurements: ['l1_voltage'],
      points: 3,
      start: '2025-10-01T00:00:00Z',
    });
    const put = await putReadingEvents(stack.clients.kinesis, stream, events);
    const broken = createStateHandler({
      doc: stack.clients.doc,
      s3: stack.clients.s3,
      bucket: stack.clients.names.bucket,
      readingsTable: 'dubegrid-no-such-table',
    });
    await run(settings('state', { retryAttempts: 1 }), broken);
    await waitForConsumers(dataPaths(dir), ['state'], put.targets, { timeoutMs: 60_000 });

    const listed = await runCli(['dlq', '--json', '--data-dir', dir, '--source', 'state']);
    expect(listed.code).toBe(0);
    const doc = JSON.parse(listed.stdout) as { count: number; entries: DlqEntry[] };
    expect(doc.count).toBe(1);
    expect(doc.entries[0]).toMatchObject({ source: 'state', condition: 'retries_exhausted', attempts: 2 });
    expect(doc.entries[0]!.error).toMatch(/no-such-table|non-existent|not found/i);
    const readingsOf = async () =>
      (await scanAll<ReadingItem>(stack.clients.doc, TABLES.readings.tableName)).filter(
        (r) => r.substation_id === events[0]!.substation_id,
      );
    expect(await readingsOf()).toEqual([]);

    const redriven = await runCli(['dlq', 'redrive', doc.entries[0]!.id, '--json', '--data-dir', dir]);
    expect(redriven.stderr).toMatch(/redriving/);
    expect(redriven.code).toBe(0);
    expect(JSON.parse(redriven.stdout)).toMatchObject({
      redriven: [{ id: doc.entries[0]!.id, records: 1 }],
      failed: [],
    });
    const rows = await readingsOf();
    expect(rows.map((r) => r.event_id).sort()).toEqual(events.map((e) => e.event_id).sort());
    expect(await new LocalDlq(dataPaths(dir).dlq).list('state')).toEqual([]);
  });
});
