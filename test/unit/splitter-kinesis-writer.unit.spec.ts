import type { PutRecordsCommand, PutRecordsCommandOutput, PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import type { AggregatedRecord } from '../../src/shared/kpl.ts';
import { KinesisWriteError } from '../../src/producers/splitter/errors.ts';
import { KinesisWriter, type PutRecordsClient } from '../../src/producers/splitter/kinesis-writer.ts';
import {
  PUT_RECORDS_MAX_BYTES,
  PUT_RECORDS_MAX_ENTRIES,
  PUT_REQUEST_TARGET_BYTES,
} from '../../src/producers/splitter/limits.ts';
import { BACKOFF } from '../../src/shared/retry.ts';

const STREAM = 'dubegrid-readings';

function record(key: string, n: number, bytes = 100): AggregatedRecord {
  const data = Buffer.alloc(bytes, 0);
  data.write(`${key}#${n}`);
  return { partitionKey: key, data, count: 3 };
}
const tag = (data: Uint8Array | undefined): string =>
  Buffer.from(data ?? [])
    .toString('utf8')
    .replace(/\0+$/, '');

/**
 * A stand-in for Kinesis: numbers accepted entries per shard (one shard per key), and
 * fails what `plan` says on the call it says. Only for errors the emulator cannot produce.
 */
class FakeKinesis implements PutRecordsClient {
  readonly calls: string[][] = [];
  readonly accepted: string[] = [];
  private seq = 1000n;
  constructor(
    private readonly plan: (call: number, entry: string) => 'ok' | 'throttle' | 'internal' | 'kms-denied' = () => 'ok',
    private readonly throwOn: (call: number) => Error | undefined = () => undefined,
  ) {}

  async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
    const entries = command.input.Records ?? [];
    const call = this.calls.length;
    this.calls.push(entries.map((e) => tag(e.Data)));
    const thrown = this.throwOn(call);
    if (thrown) throw thrown;
    let failed = 0;
    const Records: PutRecordsResultEntry[] = entries.map((e) => {
      const verdict = this.plan(call, tag(e.Data));
      if (verdict === 'ok') {
        this.accepted.push(tag(e.Data));
        return { ShardId: `shardId-${e.PartitionKey}`, SequenceNumber: String(this.seq++) };
      }
      failed++;
      const ErrorCode =
        verdict === 'throttle'
          ? 'ProvisionedThroughputExceededException'
          : verdict === 'internal'
            ? 'InternalFailure'
            : 'KMSAccessDeniedException';
      return { ErrorCode, ErrorMessage: 'simulated' };
    });
    return { FailedRecordCount: failed, Records, $metadata: {} };
  }
}

const noSleep = { sleeps: [] as number[] };
function writer(
  kinesis: PutRecordsClient,
  extra: Partial<ConstructorParameters<typeof KinesisWriter>[0]> = {},
): KinesisWriter {
  noSleep.sleeps = [];
  return new KinesisWriter({
    kinesis,
    stream: STREAM,
    sleep: async (ms) => void noSleep.sleeps.push(ms),
    random: () => 0.5,
    ...extra,
  });
}

describe('Kinesis writer', () => {
  it('keeps every request within 500 entries and 5 MiB, even when asked for more', async () => {
    const kinesis = new FakeKinesis();
    const w = writer(kinesis, { maxRequestBytes: 50 * 1024 * 1024 });
    for (let i = 0; i < 1_234; i++) w.put(record('A', i, 100));
    for (let i = 0; i < 30; i++) w.put(record('B', i, 600 * 1024));
    const figures = await w.close();
    expect(kinesis.accepted).toHaveLength(1_264);
    const sizes = kinesis.calls.map((c) => c.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(PUT_RECORDS_MAX_ENTRIES);
    expect(sizes.slice(0, 2)).toEqual([500, 500]);
    for (const call of kinesis.calls) {
      const bytes = call.reduce((n, t) => n + (t.startsWith('B') ? 600 * 1024 : 100) + 1, 0);
      expect(bytes).toBeLessThanOrEqual(PUT_RECORDS_MAX_BYTES);
    }
    expect(kinesis.calls.filter((c) => c[0]?.startsWith('B')).map((c) => c.length)).toContain(8); // 8 × 600 KiB fit in 5 MiB
    expect(figures).toMatchObject({
      stream: STREAM,
      records: 1_264,
      user_records: 1_264 * 3,
      put_requests: kinesis.calls.length,
      retried_entries: 0,
    });
    expect(figures.put_payload_units).toBe(1_234 + 30 * 25); // 600 KiB plus a 1-byte key is just over 24 units of 25 KiB
    expect(figures.billed_bytes_on_demand).toBe(1_234 * 1024 + 30 * 601 * 1024);
  });

  it('cuts requests at the target size by default', async () => {
    const kinesis = new FakeKinesis();
    const w = writer(kinesis);
    for (let i = 0; i < 100; i++) w.put(record('A', i, 100 * 1024));
    await w.close();
    for (const call of kinesis.calls)
      expect(call.length * (100 * 1024 + 1)).toBeLessThanOrEqual(PUT_REQUEST_TARGET_BYTES);
    expect(kinesis.calls.flat()).toHaveLength(100);
  });

  it('resends the entries of a partial failure until all are in, before any later request, and records the highest sequence per shard', async () => {
    // call 0 fails entries 2 and 5 (throttled, internal); call 1 (the resend) fails entry 5 again
    const kinesis = new FakeKinesis((call, entry) =>
      (call === 0 && (entry === 'A#2' || entry === 'B#5')) || (call === 1 && entry === 'B#5')
        ? entry === 'A#2'
          ? 'throttle'
          : 'internal'
        : 'ok',
    );
    const w = writer(kinesis, { maxRequestEntries: 8 });
    for (let i = 0; i < 12; i++) w.put(record(i % 2 === 0 ? 'A' : 'B', i));
    const figures = await w.close();
    expect(kinesis.calls).toEqual([
      ['A#0', 'B#1', 'A#2', 'B#3', 'A#4', 'B#5', 'A#6', 'B#7'],
      ['A#2', 'B#5'],
      ['B#5'],
      ['A#8', 'B#9', 'A#10', 'B#11'],
    ]);
    expect(new Set(kinesis.accepted).size).toBe(12);
    expect(figures.retried_entries).toBe(3);
    expect(figures.records).toBe(12);
    // each shard's highest sequence number is that of its last accepted entry
    expect(figures.shards).toEqual({
      'shardId-A': String(1000 + kinesis.accepted.lastIndexOf('A#10')),
      'shardId-B': String(1000 + kinesis.accepted.lastIndexOf('B#11')),
    });
    // full jitter under a doubling ceiling
    expect(noSleep.sleeps).toEqual([BACKOFF.kinesisPut.firstMs / 2, BACKOFF.kinesisPut.firstMs]);
  });

  it('retries a throttled or failed request, but not a refused one', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    const flaky = new FakeKinesis(undefined, (call) => (call < 2 ? throttled : undefined));
    const w1 = writer(flaky);
    w1.put(record('A', 1));
    expect((await w1.close()).records).toBe(1);
    expect(flaky.calls).toHaveLength(3);

    const missing = Object.assign(new Error('Stream not found'), {
      name: 'ResourceNotFoundException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
    });
    const gone = new FakeKinesis(undefined, () => missing);
    const w2 = writer(gone);
    w2.put(record('A', 1));
    await expect(w2.close()).rejects.toBeInstanceOf(KinesisWriteError);
    expect(gone.calls).toHaveLength(1);
  });

  it('fails loudly, with what is missing, when entries keep failing', async () => {
    const kinesis = new FakeKinesis((_call, entry) => (entry === 'A#1' ? 'throttle' : 'ok'));
    const w = writer(kinesis, { retry: { attempts: 4, firstMs: 10, maxMs: 20 } });
    w.put(record('A', 0));
    w.put(record('A', 1));
    const err = (await w.close().catch((e: unknown) => e)) as KinesisWriteError;
    expect(err).toBeInstanceOf(KinesisWriteError);
    expect(err).toMatchObject({ failedEntries: 1, attempts: 4, stream: STREAM });
    expect(err.message).toMatch(
      /1 of 2 records still failed after 4 attempts \(last: ProvisionedThroughputExceededException\)/,
    );
    expect(kinesis.calls).toHaveLength(4);
    expect(noSleep.sleeps).toEqual([5, 10, 10]); // ceilings 10, 20, 20 (capped), halved by the fixed jitter
  });

  it('gives up at once on entries KMS refuses', async () => {
    const kinesis = new FakeKinesis((_c, entry) => (entry === 'A#0' ? 'kms-denied' : 'ok'));
    const w = writer(kinesis);
    w.put(record('A', 0));
    await expect(w.close()).rejects.toThrow(/KMSAccessDeniedException/);
    expect(kinesis.calls).toHaveLength(1);
  });

  it('asks the producer to wait while too much is queued, and lets it go on once sent', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const inner = new FakeKinesis();
    const slow: PutRecordsClient = { send: async (c) => (await gate, inner.send(c)) };
    const w = writer(slow, { maxQueuedBytes: 1_000, maxRequestEntries: 5 });
    for (let i = 0; i < 20; i++) w.put(record('A', i));
    expect(w.needsDrain).toBe(true);
    let drained = false;
    const d = w.drain().then(() => (drained = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(drained).toBe(false);
    release();
    await d;
    expect(w.needsDrain).toBe(false);
    await w.close();
    expect(inner.accepted).toHaveLength(20);
  });

  it('rejects a record over the Kinesis limit (the aggregator never makes one)', () => {
    const w = writer(new FakeKinesis());
    expect(() => w.put(record('A', 0, 1024 * 1024))).toThrow(RangeError);
  });
});
