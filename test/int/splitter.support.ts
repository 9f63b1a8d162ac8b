/** Reading back what the splitter wrote, through the real SDK clients. */
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import type { Clients } from '../../src/shared/clients.ts';
import { validateReadingEvent, type ReadingEvent } from '../../src/shared/event.ts';
import { deaggregate } from '../../src/shared/kpl.ts';
import { manifestKeyOf, normaliseEtag, type Manifest } from '../../src/shared/manifest.ts';
import type { QuarantineEntry } from '../../src/shared/quarantine.ts';

export interface StreamRecordRead {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly events: ReadingEvent[];
}

/** Every record of every shard from the trim horizon, de-aggregated; every event checked against the contract. */
export async function readStream(clients: Clients): Promise<StreamRecordRead[]> {
  const { kinesis } = clients;
  const stream = clients.names.stream;
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  const out: StreamRecordRead[] = [];
  for (const shard of shards) {
    let iterator = (
      await kinesis.send(
        new GetShardIteratorCommand({ StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      )
    ).ShardIterator;
    while (iterator) {
      const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
      for (const r of page.Records ?? []) {
        const users = deaggregate({
          data: Buffer.from(r.Data ?? []),
          partitionKey: r.PartitionKey ?? '',
          sequenceNumber: r.SequenceNumber ?? '',
        });
        const events = users.map((u) => {
          expect(u.partitionKey).toBe(r.PartitionKey);
          const e = JSON.parse(u.data.toString('utf8')) as ReadingEvent;
          const verdict = validateReadingEvent(e);
          expect(verdict.ok ? [] : verdict.errors.map((x) => x.message)).toEqual([]);
          expect(e.substation_id).toBe(r.PartitionKey);
          return e;
        });
        out.push({
          shardId: shard.ShardId ?? '',
          sequenceNumber: r.SequenceNumber ?? '',
          partitionKey: r.PartitionKey ?? '',
          events,
        });
      }
      if ((page.Records ?? []).length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}

export async function putRaw(clients: Clients, key: string, body: string | Buffer): Promise<string> {
  const put = await clients.s3.send(new PutObjectCommand({ Bucket: clients.names.bucket, Key: key, Body: body }));
  return normaliseEtag(put.ETag);
}

/** The manifest, or undefined; a read racing its rewrite (s3rver writes in place) is tried again. */
export async function getManifest(clients: Clients, key: string): Promise<Manifest | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      const got = await clients.s3.send(
        new GetObjectCommand({ Bucket: clients.names.bucket, Key: manifestKeyOf(key) }),
      );
      return JSON.parse(await got.Body!.transformToString()) as Manifest;
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey') return undefined;
      if (attempt >= 3) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function getQuarantine(clients: Clients, key: string): Promise<QuarantineEntry[]> {
  const got = await clients.s3.send(new GetObjectCommand({ Bucket: clients.names.bucket, Key: key }));
  return (await got.Body!.transformToString())
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as QuarantineEntry);
}

/** Checks what holds for every manifest. */
export function expectManifestInvariants(m: Manifest): void {
  expect(m.rows_read).toBe(m.rows_accepted + m.rows_quarantined);
  expect(Object.values(m.quarantine_reasons).reduce((a, b) => a + b, 0)).toBe(m.rows_quarantined);
  expect(m.kinesis.user_records).toBe(m.events_emitted);
  expect(m.finished_at >= m.started_at).toBe(true);
}
