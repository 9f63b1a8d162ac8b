/**
 * One raw object, end to end: read it from S3, split it into the stream and the
 * quarantine, and — only once every record is in the stream — write its manifest.
 * The outcome is a value; a failure (S3, Kinesis) is thrown for the handler to report.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MANIFEST_VERSION, manifestKeyOf, normaliseEtag, type Manifest } from '../../shared/manifest.ts';
import { quarantineKeyOf } from '../../shared/quarantine.ts';
import { splitBody, type SplitOptions } from './core.ts';
import { KinesisWriter, type KinesisWriterOptions, type PutRecordsClient } from './kinesis-writer.ts';
import { S3QuarantineWriter } from './quarantine-writer.ts';

export interface SplitObjectDeps {
  readonly s3: S3Client;
  readonly kinesis: PutRecordsClient;
  readonly stream: string;
  readonly sourceTimeZone?: string | undefined;
  readonly aggregateMaxBytes?: number | undefined;
  /** Retry and limit overrides of the Kinesis writer (tests). */
  readonly writer?: Partial<Omit<KinesisWriterOptions, 'kinesis' | 'stream'>> | undefined;
  readonly now?: (() => Date) | undefined;
}

export interface ObjectRef {
  readonly bucket: string;
  /** Decoded key. */
  readonly key: string;
  /** The ETag the notification announced; a different object under the key means a newer upload. */
  readonly etag?: string;
}

export type SplitOutcome =
  | { readonly status: 'split'; readonly manifest: Manifest; readonly manifestKey: string }
  /** The key holds a newer object than the notification's: that upload's own notification splits it. */
  | { readonly status: 'superseded'; readonly etag: string }
  /** The object is gone (deleted since the notification). */
  | { readonly status: 'missing' };

export async function splitObject(deps: SplitObjectDeps, ref: ObjectRef): Promise<SplitOutcome> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  let object;
  try {
    object = await deps.s3.send(new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
  } catch (err) {
    if ((err as Error).name === 'NoSuchKey') return { status: 'missing' };
    throw err;
  }
  const etag = normaliseEtag(object.ETag);
  const body = object.Body as AsyncIterable<Uint8Array> & { destroy?: () => void };
  if (ref.etag && normaliseEtag(ref.etag) !== etag) {
    body.destroy?.();
    return { status: 'superseded', etag };
  }

  const source = { bucket: ref.bucket, key: ref.key, etag };
  const ingestedAt = started.toISOString();
  const options: SplitOptions = {
    source,
    ingestedAt,
    sourceTimeZone: deps.sourceTimeZone,
    aggregateMaxBytes: deps.aggregateMaxBytes,
  };
  const writer = new KinesisWriter({ ...deps.writer, kinesis: deps.kinesis, stream: deps.stream });
  const quarantine = new S3QuarantineWriter(deps.s3, ref.bucket, quarantineKeyOf(ref.key));
  let summary;
  let kinesis;
  let quarantineKey;
  try {
    summary = await splitBody(body, options, writer, quarantine);
    kinesis = await writer.close();
    quarantineKey = await quarantine.close();
  } catch (err) {
    body.destroy?.();
    await quarantine.abort();
    throw err;
  }

  const finished = now();
  const manifest: Manifest = {
    manifest_version: MANIFEST_VERSION,
    source: { bucket: ref.bucket, key: ref.key, etag, size_bytes: object.ContentLength ?? 0, gzip: summary.gzip },
    format: summary.format,
    header: summary.header,
    rows_read: summary.rows_read,
    rows_accepted: summary.rows_accepted,
    rows_quarantined: summary.rows_quarantined,
    quarantine_reasons: summary.quarantine_reasons,
    rows_without_readings: summary.rows_without_readings,
    events_emitted: summary.events_emitted,
    event_id_digest: summary.event_id_digest,
    first_reading_ts: summary.first_reading_ts,
    last_reading_ts: summary.last_reading_ts,
    quarantine: { key: quarantineKey, entries: summary.quarantine_entries },
    stopped_early: summary.stopped_early,
    kinesis: { ...kinesis, event_bytes: summary.event_bytes },
    ingested_at: ingestedAt,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    duration_ms: finished.getTime() - started.getTime(),
  };
  const manifestKey = manifestKeyOf(ref.key);
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: ref.bucket,
      Key: manifestKey,
      Body: JSON.stringify(manifest, null, 2),
      ContentType: 'application/json',
    }),
  );
  return { status: 'split', manifest, manifestKey };
}
