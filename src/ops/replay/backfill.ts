/**
 * `dubegrid backfill`: raw objects under a prefix are split into the stream again, by
 * the splitter's own per-object core (`splitObject`), for history older than the
 * stream's retention or after a consumer fix.
 *
 * Same events as the first time: event ids follow from the natural key, and each
 * object keeps the `ingested_at` of its first split (read from its manifest), so the
 * re-emitted events are the original emissions — every projection sees duplicates and
 * changes nothing, and corrections keep their winners whatever the order or the prefix
 * of a backfill. (The splitter stamps `ingested_at` from its clock; backfill gives it a
 * clock that starts at the original time and runs at the real pace, so the manifest's
 * duration stays true.) An object never split before (no manifest of its ETag) is
 * split as new. Objects go in the order they were first ingested.
 *
 * `rate` caps readings per second over the run: PutRecords requests are made small
 * enough to pace (a quarter of a second's worth) and each waits for its turn.
 */
import type { ProgressMeter } from '../../shared/progress.ts';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { PutRecordsCommand, PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { isSplittableKey } from '../../shared/s3-keys.ts';
import { PUT_RECORDS_MAX_ENTRIES } from '../../producers/splitter/limits.ts';
import { bucketMappings } from '../../producers/splitter/mapping/stored.ts';
import { splitObject } from '../../producers/splitter/split-object.ts';
import type { PutRecordsClient } from '../../producers/splitter/kinesis-writer.ts';
import type { ShardSequenceTargets } from '../../shared/kinesis/wait.ts';
import type { Clients } from '../../shared/clients.ts';
import { deaggregate } from '../../shared/kpl.ts';
import { manifestKeyOf, normaliseEtag, type Manifest } from '../../shared/manifest.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { sleep as wait } from '../../shared/retry.ts';
import { shardTargetsOf } from './catch-up.ts';
import { ReplayOptionError } from './errors.ts';

export interface BackfillOptions {
  /** Under `raw/`; every splittable object below it is split again. */
  readonly prefix: string;
  /** At most this many readings per second. */
  readonly rate?: number | undefined;
  readonly sourceTimeZone?: string | undefined;
  readonly progress?: ((line: string) => void) | undefined;
  /** @default 2000 */
  readonly progressEveryMs?: number | undefined;
  /** Objects split of those listed, and readings sent. */
  readonly meter?: ProgressMeter | undefined;
}

export interface BackfilledObject {
  readonly key: string;
  readonly etag: string;
  readonly status: 'split' | 'missing' | 'superseded' | 'failed';
  readonly readings: number;
  readonly kinesis_records: number;
  readonly ingested_at?: string;
  /** True when the events kept the `ingested_at` of the object's first split. */
  readonly same_emission: boolean;
  readonly error?: string;
}

export interface BackfillSummary {
  readonly prefix: string;
  readonly objects: readonly BackfilledObject[];
  readonly readings: number;
  readonly kinesis_records: number;
  readonly elapsed_ms: number;
  readonly readings_per_s: number;
  readonly rate_limit?: number;
  /** Per shard, the highest sequence number written: what the projections must reach. */
  readonly shards: ShardSequenceTargets;
  readonly manifests: readonly Manifest[];
}

/** A throttled PutRecords request carries about this many seconds' worth of readings. */
export const THROTTLED_REQUEST_SECONDS = 0.25;
/** Readings in one aggregated record of the splitter, roughly (25 KB of ~400-byte events): sizes throttled requests. */
const READINGS_PER_RECORD_ESTIMATE = 60;

export function checkBackfillPrefix(prefix: string): void {
  if (!prefix.startsWith(PREFIXES.raw))
    throw new ReplayOptionError(`--prefix must be under ${PREFIXES.raw} (the raw zone), got ${JSON.stringify(prefix)}`);
}

export function checkRate(rate: number | undefined): void {
  if (rate !== undefined && (!Number.isFinite(rate) || rate <= 0))
    throw new ReplayOptionError(`--rate must be a positive number of readings per second, got ${rate}`);
}

export async function backfill(
  clients: Pick<Clients, 's3' | 'kinesis' | 'names'>,
  options: BackfillOptions,
): Promise<BackfillSummary> {
  checkBackfillPrefix(options.prefix);
  checkRate(options.rate);
  const began = performance.now();
  const bucket = clients.names.bucket;
  const say = options.progress ?? (() => undefined);
  const pace = options.rate ? new ReadingPace(options.rate) : undefined;
  const kinesis: PutRecordsClient = pace ? pacedClient(clients.kinesis, pace) : clients.kinesis;
  const objects = await rawObjects(clients.s3, bucket, options.prefix);
  const firstSplits = await Promise.all(objects.map((o) => firstSplitOf(clients.s3, bucket, o.key, o.etag)));
  const plan = objects
    .map((o, i) => ({ ...o, firstIngestedAt: firstSplits[i] }))
    .sort(
      (a, b) =>
        (a.firstIngestedAt ?? '\uffff').localeCompare(b.firstIngestedAt ?? '\uffff') || a.key.localeCompare(b.key),
    );
  say(
    `backfill: ${plan.length} raw object(s) under s3://${bucket}/${options.prefix}${options.rate ? `, at most ${options.rate} readings/s` : ''}`,
  );

  const done: BackfilledObject[] = [];
  const manifests: Manifest[] = [];
  let readings = 0;
  let lastReport = performance.now();
  const ticker = setInterval(() => {
    if (pace && options.meter) options.meter({ task: 'sent', done: readings + pace.sent, unit: 'readings' });
    if (!pace || options.meter || performance.now() - lastReport < (options.progressEveryMs ?? 2_000)) return;
    lastReport = performance.now();
    say(
      `backfill: ${(readings + pace.sent).toLocaleString('en-GB')} readings sent (${rate(readings + pace.sent, (performance.now() - began) / 1000)} readings/s)`,
    );
  }, 250);
  ticker.unref();
  const mappings = bucketMappings(clients.s3, options.sourceTimeZone, say);
  try {
    for (const [i, o] of plan.entries()) {
      options.meter?.({ task: 'backfill', done: i, total: plan.length, unit: 'objects' });
      const origin = o.firstIngestedAt === undefined ? undefined : Date.parse(o.firstIngestedAt);
      try {
        const outcome = await splitObject(
          {
            s3: clients.s3,
            kinesis,
            stream: clients.names.stream,
            sourceTimeZone: options.sourceTimeZone,
            // the mappings stored now: a file quarantined as unknown_format before `sources add` yields readings
            mappings,
            ...(origin === undefined ? {} : { now: clockFrom(origin) }),
            ...(options.rate ? { writer: { maxRequestEntries: requestEntriesFor(options.rate) } } : {}),
          },
          { bucket, key: o.key, etag: o.etag },
        );
        // it passes no deadline: a backfill process is not bounded like an invocation
        if (outcome.status === 'paused') throw new Error(`${o.key}: a backfill split paused`);
        if (outcome.status === 'split') {
          const m = outcome.manifest;
          manifests.push(m);
          readings += m.events_emitted;
          pace?.settle();
          done.push({
            key: o.key,
            etag: o.etag,
            status: 'split',
            readings: m.events_emitted,
            kinesis_records: m.kinesis.records,
            ingested_at: m.ingested_at,
            same_emission: origin !== undefined,
          });
          say(
            `backfill: [${i + 1}/${plan.length}] ${o.key}: ${m.events_emitted.toLocaleString('en-GB')} readings in ${m.kinesis.records} records` +
              (origin !== undefined ? ` (as first ingested at ${m.ingested_at})` : ' (never split before)'),
          );
        } else {
          done.push({
            key: o.key,
            etag: o.etag,
            status: outcome.status,
            readings: 0,
            kinesis_records: 0,
            same_emission: false,
          });
          say(
            `backfill: [${i + 1}/${plan.length}] ${o.key}: ${outcome.status === 'missing' ? 'gone since it was listed' : 'replaced by a newer upload since it was listed (its own notification splits it)'}`,
          );
        }
      } catch (err) {
        pace?.settle();
        const error = (err as Error).message.split('\n')[0] ?? 'unknown error';
        done.push({
          key: o.key,
          etag: o.etag,
          status: 'failed',
          readings: 0,
          kinesis_records: 0,
          same_emission: false,
          error,
        });
        say(`backfill: [${i + 1}/${plan.length}] ${o.key} FAILED: ${error}`);
      }
    }
  } finally {
    clearInterval(ticker);
  }
  const elapsedMs = Math.round(performance.now() - began);
  return {
    prefix: options.prefix,
    objects: done,
    readings,
    kinesis_records: done.reduce((n, o) => n + o.kinesis_records, 0),
    elapsed_ms: elapsedMs,
    readings_per_s: rate(readings, elapsedMs / 1000),
    ...(options.rate ? { rate_limit: options.rate } : {}),
    shards: shardTargetsOf(manifests),
    manifests,
  };
}

interface RawObject {
  readonly key: string;
  readonly etag: string;
}

async function rawObjects(s3: S3Client, bucket: string, prefix: string): Promise<RawObject[]> {
  const out: RawObject[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? [])
      if (o.Key && isSplittableKey(o.Key)) out.push({ key: o.Key, etag: normaliseEtag(o.ETag) });
  }
  return out;
}

/** The `ingested_at` of the object's first split: its manifest's, when that manifest is of this very object. */
async function firstSplitOf(s3: S3Client, bucket: string, key: string, etag: string): Promise<string | undefined> {
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKeyOf(key) }));
    const manifest = JSON.parse((await got.Body?.transformToString()) ?? '') as Manifest;
    return normaliseEtag(manifest.source.etag) === etag ? manifest.ingested_at : undefined;
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return undefined;
    throw err;
  }
}

/**
 * A clock whose first reading is exactly `origin` (the splitter stamps `ingested_at` from
 * its first reading) and which then runs at the real pace (the manifest's duration).
 */
export function clockFrom(origin: number, real: () => number = Date.now): () => Date {
  let first: number | undefined;
  return () => {
    const t = real();
    first ??= t;
    return new Date(origin + (t - first));
  };
}

/** Entries per throttled request: a quarter second's worth of readings, in whole records. */
export function requestEntriesFor(ratePerS: number): number {
  return Math.max(
    1,
    Math.min(
      PUT_RECORDS_MAX_ENTRIES,
      Math.floor((ratePerS * THROTTLED_REQUEST_SECONDS) / READINGS_PER_RECORD_ESTIMATE),
    ),
  );
}

/**
 * Readings-per-second pacing: a request of n readings goes when the readings sent before
 * it have had their share of time (n/rate each), so the average over the run never
 * exceeds the rate and one request is the largest burst.
 */
export class ReadingPace {
  /** Readings let through since the last `settle`. */
  sent = 0;
  private total = 0;
  private readonly start: number;

  constructor(
    private readonly perSecond: number,
    private readonly clock: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = wait,
  ) {
    this.start = clock();
  }

  async take(readings: number): Promise<void> {
    const due = this.start + (this.total / this.perSecond) * 1000;
    const wait = due - this.clock();
    if (wait > 0) await this.sleep(wait);
    this.total += readings;
    this.sent += readings;
  }

  /** The caller has counted what was sent so far (a finished object). */
  settle(): void {
    this.sent = 0;
  }
}

function pacedClient(kinesis: PutRecordsClient, pace: ReadingPace): PutRecordsClient {
  return {
    async send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput> {
      const entries = command.input.Records ?? [];
      let readings = 0;
      for (const e of entries) {
        readings += e.Data
          ? deaggregate({ data: Buffer.from(e.Data), partitionKey: e.PartitionKey ?? '', sequenceNumber: '0' }).length
          : 0;
      }
      await pace.take(readings);
      return kinesis.send(command);
    },
  };
}

function rate(n: number, seconds: number): number {
  return seconds > 0 ? Math.round(n / seconds) : n;
}
