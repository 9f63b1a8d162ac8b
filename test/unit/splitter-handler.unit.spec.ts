/**
 * The handler over mocked clients: only for what the emulators cannot be made to do
 * (partial PutRecords failures, a stream refusing a file) and for the order of writes.
 * The real-stack behaviour is in test/int/splitter*.int.spec.ts.
 */
import type { PutRecordsCommand, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { deaggregate } from '../../src/shared/kpl.ts';
import type { Manifest } from '../../src/shared/manifest.ts';
import type { QuarantineEntry } from '../../src/shared/quarantine.ts';
import { SplitterInvocationError } from '../../src/producers/splitter/errors.ts';
import { createSplitterHandler } from '../../src/producers/splitter/handler.ts';
import type { PutRecordsClient } from '../../src/producers/splitter/kinesis-writer.ts';
import { encodeS3EventKey } from '../../src/shared/s3-keys.ts';
import { TimeZoneError } from '../../src/producers/splitter/timestamps.ts';
import { LV_SAMPLE } from '../support/shared-fixtures.ts';
import { PUBLISHED_METRICS, SummingCounter } from '../../src/shared/telemetry.ts';

const BUCKET = 'dubegrid-000000000000-eu-west-2';
const SAMPLE = readFileSync(LV_SAMPLE, 'utf8');

/** An in-memory bucket answering the commands the splitter sends; logs every call. */
class FakeS3 {
  readonly objects = new Map<string, { body: Buffer; etag: string }>();
  readonly log: string[];
  constructor(log: string[]) {
    this.log = log;
  }
  async send(command: { constructor: { name: string }; input: Record<string, unknown> }): Promise<unknown> {
    const name = command.constructor.name;
    const key = command.input.Key as string;
    this.log.push(`s3:${name}:${key}`);
    switch (name) {
      case 'GetObjectCommand': {
        const o = this.objects.get(key);
        if (!o) throw Object.assign(new Error('NoSuchKey'), { name: 'NoSuchKey' });
        return { Body: Readable.from([o.body]), ETag: `"${o.etag}"`, ContentLength: o.body.length };
      }
      case 'PutObjectCommand':
        this.objects.set(key, { body: Buffer.from(command.input.Body as string | Buffer), etag: 'x' });
        return { ETag: '"x"' };
      case 'DeleteObjectCommand':
        this.objects.delete(key);
        return {};
      default:
        throw new Error(`unexpected ${name}`);
    }
  }
}

class FakeKinesis implements PutRecordsClient {
  readonly events: ReadingEvent[] = [];
  private seq = 1n;
  private call = 0;
  constructor(
    private readonly log: string[],
    private readonly failing: (call: number, i: number, key: string) => boolean = () => false,
  ) {}
  async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
    const call = this.call++;
    const records = command.input.Records ?? [];
    this.log.push(`kinesis:PutRecords:${records.length}`);
    let failed = 0;
    const Records = records.map((r, i) => {
      if (this.failing(call, i, r.PartitionKey ?? '')) {
        failed++;
        return { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'simulated' };
      }
      for (const u of deaggregate({
        data: Buffer.from(r.Data ?? []),
        partitionKey: r.PartitionKey ?? '',
        sequenceNumber: '1',
      }))
        this.events.push(JSON.parse(u.data.toString()) as ReadingEvent);
      return { ShardId: 'shardId-000000000000', SequenceNumber: String(this.seq++) };
    });
    return { FailedRecordCount: failed, Records, $metadata: {} };
  }
}

function s3Event(...objects: { key: string; etag?: string }[]): S3Event {
  return {
    Records: objects.map((o) => ({
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: BUCKET }, object: { key: encodeS3EventKey(o.key), eTag: o.etag } },
    })),
  } as unknown as S3Event;
}

function setup(failing?: (call: number, i: number, key: string) => boolean) {
  const log: string[] = [];
  const s3 = new FakeS3(log);
  const kinesis = new FakeKinesis(log, failing);
  const counter = new SummingCounter();
  const handler = createSplitterHandler({
    metrics: counter,
    s3: s3 as unknown as S3Client,
    kinesis,
    stream: 'dubegrid-readings',
    writer: { sleep: async () => undefined },
    log: { info: () => undefined, warn: () => undefined },
  });
  return { log, s3, kinesis, handler, counts: counter.sums };
}

const manifestOf = (s3: FakeS3, key: string): Manifest =>
  JSON.parse(s3.objects.get(`manifests/${key}.json`)?.body.toString() ?? 'null') as Manifest;

describe('splitter handler', () => {
  it('decodes notification keys, splits raw CSVs, ignores the rest, and writes the manifest after every record is in', async () => {
    const { s3, kinesis, handler, log } = setup();
    const key = 'raw/prod/lv/y=2025/m=08/my file.csv';
    s3.objects.set(key, { body: Buffer.from(SAMPLE), etag: 'abc' });
    const results = await handler(s3Event({ key, etag: 'abc' }, { key: 'raw/notes.txt' }, { key: 'processed/x.csv' }));
    expect(results.map((r) => [r.key, r.outcome.status])).toEqual([
      [key, 'split'],
      ['raw/notes.txt', 'ignored'],
      ['processed/x.csv', 'ignored'],
    ]);
    expect(kinesis.events).toHaveLength(14);
    expect(kinesis.events.every((e) => e.source_key === key && e.source_etag === 'abc')).toBe(true);
    const m = manifestOf(s3, key);
    expect(m).toMatchObject({
      source: { bucket: BUCKET, key, etag: 'abc', size_bytes: SAMPLE.length, gzip: false },
      rows_read: 14,
      events_emitted: 14,
      quarantine: { key: null, entries: 0 },
    });
    expect(m.kinesis).toMatchObject({
      stream: 'dubegrid-readings',
      user_records: 14,
      shards: { 'shardId-000000000000': expect.any(String) },
    });
    // GetObject, the records, no quarantine (stale one removed), then the manifest last
    const manifestAt = log.indexOf(`s3:PutObjectCommand:manifests/${key}.json`);
    expect(manifestAt).toBe(log.length - 1);
    expect(log.findIndex((l) => l.startsWith('kinesis:'))).toBeLessThan(manifestAt);
    expect(log).toContain(`s3:DeleteObjectCommand:quarantine/${key}.jsonl`);
  });

  it('retries a partial PutRecords failure until the file is complete', async () => {
    const { s3, kinesis, handler } = setup((call, i) => call < 3 && i === 0);
    const key = 'raw/a.csv';
    s3.objects.set(key, { body: Buffer.from(SAMPLE), etag: 'e' });
    await handler(s3Event({ key }));
    expect(kinesis.events.map((e) => e.source_line).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 14 }, (_, i) => i + 2),
    );
    expect(manifestOf(s3, key).kinesis.retried_entries).toBe(3);
  });

  it('fails the invocation, naming the file, when its records cannot be written — after trying the other files, and with no manifest', async () => {
    const { s3, handler } = setup((_call, _i, key) => key === 'BAD');
    s3.objects.set('raw/bad.csv', {
      body: Buffer.from(`${SAMPLE.split('\n')[0]}\nBAD,x,2025-08-14T15:00:00Z,feeder,1,L1 Current,A,1\n`),
      etag: 'b',
    });
    s3.objects.set('raw/good.csv', { body: Buffer.from(SAMPLE), etag: 'g' });
    const err = (await handler(s3Event({ key: 'raw/bad.csv' }, { key: 'raw/good.csv' })).catch(
      (e: unknown) => e,
    )) as SplitterInvocationError;
    expect(err).toBeInstanceOf(SplitterInvocationError);
    expect(err.message).toContain('raw/bad.csv');
    expect(err.failures).toHaveLength(1);
    expect(manifestOf(s3, 'raw/bad.csv')).toBeNull();
    expect(manifestOf(s3, 'raw/good.csv').events_emitted).toBe(14);
  });

  it('counts what each object gave, the objects it skipped and the ones that failed', async () => {
    const { s3, handler, counts } = setup((_call, _i, key) => key === 'BAD');
    s3.objects.set('raw/bad.csv', {
      body: Buffer.from(`${SAMPLE.split('\n')[0]}\nBAD,x,2025-08-14T15:00:00Z,feeder,1,L1 Current,A,1\n`),
      etag: 'b',
    });
    s3.objects.set('raw/a.csv', {
      body: Buffer.from(`${SAMPLE}LV123,Main St,2025-08-14T15:20:00Z,feeder,05,L1 Current,A,lots\n`),
      etag: 'a',
    });
    s3.objects.set('raw/b.csv', { body: Buffer.from(SAMPLE), etag: 'b2' });
    await handler(
      s3Event({ key: 'raw/a.csv' }, { key: 'raw/b.csv' }, { key: 'raw/gone.csv' }, { key: 'raw/bad.csv' }),
    ).catch(() => undefined);
    const m = [manifestOf(s3, 'raw/a.csv'), manifestOf(s3, 'raw/b.csv')];
    expect(Object.fromEntries(counts)).toEqual({
      ObjectsSplit: 2,
      ObjectsSkipped: 1,
      ObjectsFailed: 1,
      RowsRead: 29,
      RowsAccepted: 28,
      RowsQuarantined: 1,
      EventsEmitted: 28,
      KinesisRecords: m[0]!.kinesis.records + m[1]!.kinesis.records,
    });
    expect([...counts.keys()].sort()).toEqual([...PUBLISHED_METRICS.splitter].sort());
  });

  it("leaves a key that now holds a newer object to that object's own notification, and a deleted one alone", async () => {
    const { s3, kinesis, handler } = setup();
    s3.objects.set('raw/a.csv', { body: Buffer.from(SAMPLE), etag: 'new' });
    const results = await handler(s3Event({ key: 'raw/a.csv', etag: 'old' }, { key: 'raw/gone.csv', etag: 'x' }));
    expect(results.map((r) => r.outcome.status)).toEqual(['superseded', 'missing']);
    expect(kinesis.events).toEqual([]);
  });

  it('writes rejected rows to quarantine/<key>.jsonl', async () => {
    const { s3, handler } = setup();
    const key = 'raw/q.csv';
    s3.objects.set(key, {
      body: Buffer.from(`${SAMPLE}LV123,Main St,2025-08-14T15:20:00Z,feeder,05,L1 Current,A,lots\n`),
      etag: 'q',
    });
    await handler(s3Event({ key }));
    const lines = (s3.objects.get(`quarantine/${key}.jsonl`)?.body.toString() ?? '')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as QuarantineEntry);
    expect(lines).toEqual([
      expect.objectContaining({
        reason: 'non_numeric',
        line: 16,
        raw: 'LV123,Main St,2025-08-14T15:20:00Z,feeder,05,L1 Current,A,lots',
        source_key: key,
        source_etag: 'q',
      }),
    ]);
    expect(manifestOf(s3, key)).toMatchObject({
      rows_read: 15,
      rows_accepted: 14,
      rows_quarantined: 1,
      quarantine: { key: `quarantine/${key}.jsonl`, entries: 1 },
    });
  });

  it('refuses an unknown source time zone when it is built', () => {
    expect(() =>
      createSplitterHandler({
        s3: {} as S3Client,
        kinesis: new FakeKinesis([]),
        stream: 's',
        sourceTimeZone: 'Nowhere/Land',
      }),
    ).toThrow(TimeZoneError);
  });
});
