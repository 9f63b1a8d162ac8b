/**
 * One raw object, end to end: read it from S3, split it into the stream and the
 * quarantine, and — only once every record is in the stream — write its manifest.
 * The outcome is a value; a failure (S3, Kinesis) is thrown for the handler to report.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MANIFEST_VERSION, manifestKeyOf, normaliseEtag, type Manifest } from '../../shared/manifest.ts';
import { quarantinePartKeyOf } from '../../shared/quarantine.ts';
import { rawShapeOf } from '../../shared/s3-keys.ts';
import { SOURCE_METADATA_KEY } from '../../shared/sources/store.ts';
import { CONTINUATION_VERSION, mergeWriterFigures, progressOf, type Continuation } from './continuation.ts';
import { splitBody, type SplitOptions } from './core.ts';
import type { CsvMappers } from './mapping/set.ts';
import { KinesisWriter, type KinesisWriterOptions, type PutRecordsClient } from './kinesis-writer.ts';
import { S3QuarantineWriter } from './quarantine-writer.ts';

export interface SplitObjectDeps {
  readonly s3: S3Client;
  readonly kinesis: PutRecordsClient;
  readonly stream: string;
  readonly sourceTimeZone?: string | undefined;
  /**
   * The mappings in force for this object: built-in plus those stored under
   * `reference/sources/` (cached by ETag, so a new one counts from the next object on).
   * @default the built-in mappings
   */
  readonly mappings?: ((bucket: string) => Promise<CsvMappers>) | undefined;
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
  | { readonly status: 'missing' }
  /** Out of time at a safe point: the rest is for a later part, from this continuation. */
  | { readonly status: 'paused'; readonly continuation: Continuation };

/**
 * What an object says about its own split: the source it names (`ingest --source NAME`
 * keeps the choice with the object, since the notification carries no arguments) and
 * the shape its key's suffix gives. Verify's re-split reads it the same way.
 */
export function objectChoice(
  key: string,
  metadata: Record<string, string> | undefined,
): Pick<SplitOptions, 'sourceName' | 'shape'> {
  return { sourceName: metadata?.[SOURCE_METADATA_KEY], shape: rawShapeOf(key) };
}

/** How this invocation takes part in a resumable split (the handler passes it). */
export interface SplitPart {
  /** True once the invocation should stop at the next safe point (`deadlineOf`). @default never */
  readonly shouldPause?: (() => boolean) | undefined;
  /** The split so far, when this is a later part. */
  readonly resume?: Continuation | undefined;
  /** The notification's `sequencer` (part 1): names the chain. @default '' */
  readonly sequencer?: string | undefined;
}

export async function splitObject(deps: SplitObjectDeps, ref: ObjectRef, part: SplitPart = {}): Promise<SplitOutcome> {
  const now = deps.now ?? (() => new Date());
  const started = now();
  const resume = part.resume;
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
  const ingestedAt = resume?.ingested_at ?? started.toISOString();
  const partNumber = resume?.part ?? 1;
  let mappings: CsvMappers | undefined;
  try {
    mappings = deps.mappings ? await deps.mappings(ref.bucket) : undefined;
  } catch (err) {
    body.destroy?.();
    throw err;
  }
  const options: SplitOptions = {
    source,
    ingestedAt,
    sourceTimeZone: deps.sourceTimeZone,
    mappings,
    ...objectChoice(ref.key, object.Metadata),
    aggregateMaxBytes: deps.aggregateMaxBytes,
    resume: resume?.progress,
    shouldPause: part.shouldPause,
  };
  const writer = new KinesisWriter({ ...deps.writer, kinesis: deps.kinesis, stream: deps.stream });
  const quarantine = new S3QuarantineWriter(deps.s3, ref.bucket, quarantinePartKeyOf(ref.key, partNumber));
  let summary;
  let partKinesis;
  let quarantineKey;
  try {
    summary = await splitBody(body, options, writer, quarantine);
    partKinesis = await writer.close();
    quarantineKey = await quarantine.close();
  } catch (err) {
    body.destroy?.();
    await quarantine.abort();
    throw err;
  }
  if (resume && (summary.format !== resume.progress.format || summary.mapping?.hash !== resume.progress.mapping?.hash))
    throw new Error(
      `s3://${ref.bucket}/${ref.key}: part ${partNumber} chose the mapping ${summary.format}, part 1 chose ${resume.progress.format} (a mapping changed during the split); split the object again`,
    );
  const kinesis = resume ? mergeWriterFigures(resume.kinesis, partKinesis) : partKinesis;
  const quarantineKeys = [...(resume?.quarantine_keys ?? []), ...(quarantineKey ? [quarantineKey] : [])];
  const startedAt = resume?.started_at ?? started.toISOString();
  const size = object.ContentLength ?? 0;

  if (summary.paused) {
    const continuation: Continuation = {
      v: CONTINUATION_VERSION,
      source: {
        ...source,
        sequencer: resume?.source.sequencer ?? part.sequencer ?? '',
        size_bytes: size,
        gzip: summary.gzip,
      },
      part: partNumber + 1,
      ingested_at: ingestedAt,
      started_at: startedAt,
      progress: progressOf(summary),
      kinesis,
      quarantine_keys: quarantineKeys,
    };
    return { status: 'paused', continuation };
  }

  const finished = now();
  const manifest: Manifest = {
    manifest_version: MANIFEST_VERSION,
    source: { bucket: ref.bucket, key: ref.key, etag, size_bytes: size, gzip: summary.gzip },
    format: summary.format,
    mapping: summary.mapping,
    header: summary.header,
    rows_read: summary.rows_read,
    rows_accepted: summary.rows_accepted,
    rows_quarantined: summary.rows_quarantined,
    quarantine_reasons: summary.quarantine_reasons,
    rows_without_readings: summary.rows_without_readings,
    ...(summary.readings_quarantined > 0 ? { readings_quarantined: summary.readings_quarantined } : {}),
    events_emitted: summary.events_emitted,
    event_id_digest: summary.event_id_digest,
    first_reading_ts: summary.first_reading_ts,
    last_reading_ts: summary.last_reading_ts,
    quarantine: {
      key: quarantineKeys[0] ?? null,
      entries: summary.quarantine_entries,
      ...(partNumber > 1 ? { keys: quarantineKeys } : {}),
    },
    stopped_early: summary.stopped_early,
    kinesis: { ...kinesis, event_bytes: summary.event_bytes },
    ...(partNumber > 1 ? { parts: partNumber } : {}),
    ingested_at: ingestedAt,
    started_at: startedAt,
    finished_at: finished.toISOString(),
    duration_ms: finished.getTime() - Date.parse(startedAt),
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
