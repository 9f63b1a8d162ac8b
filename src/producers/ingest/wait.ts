/**
 * `ingest --wait`: until the splitter has finished every uploaded object, i.e. a
 * manifest exists for each key, names the uploaded object's ETag and was started at
 * or after the object's LastModified (a manifest of an earlier upload of the same key
 * does not count, even of the same content). A file the splitter gave up on
 * (listed on its on-failure destination) ends the wait with an error instead of a
 * timeout. Later parts extend the wait to the consumers' checkpoints, which is what
 * the manifests' per-shard sequence numbers are for.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { manifestKeyOf, normaliseEtag, type Manifest } from '../../shared/manifest.ts';
import { BACKOFF, backoffMs, sleep as sleepFor } from '../../shared/retry.ts';
import type { Uploaded } from './upload.ts';

export interface SplitFailure {
  readonly key: string;
  readonly etag?: string | undefined;
  readonly error: string;
}

export interface WaitOptions {
  readonly timeoutMs: number;
  /** First poll interval; doubles up to 2 s. @default 100 */
  readonly pollMs?: number | undefined;
  /** The splitter's failures so far (the local DLQ), checked between polls. */
  readonly failures?: (() => Promise<readonly SplitFailure[]>) | undefined;
  /** Where to look for the splitter's failures when they cannot be checked here (AWS: its SQS DLQ); ends the timeout message. */
  readonly failuresHint?: string | undefined;
  readonly onProgress?: ((done: number, total: number) => void) | undefined;
  readonly sleep?: ((ms: number) => Promise<void>) | undefined;
}

export class IngestWaitError extends Error {
  override name = 'IngestWaitError';
  constructor(
    message: string,
    readonly pending: readonly string[],
    readonly failed: readonly SplitFailure[],
  ) {
    super(message);
  }
}

/** The manifests of the uploaded objects, in upload order, once all exist. */
export async function waitForManifests(
  s3: S3Client,
  bucket: string,
  uploads: readonly Uploaded[],
  options: WaitOptions,
): Promise<Manifest[]> {
  const sleep = options.sleep ?? sleepFor;
  const found = new Map<string, Manifest>();
  const deadline = Date.now() + options.timeoutMs;
  let interval = options.pollMs ?? 100;
  for (;;) {
    for (const u of uploads) {
      if (found.has(u.key)) continue;
      const manifest = await readManifest(s3, bucket, u.key);
      if (manifest && isManifestOf(manifest, u)) found.set(u.key, manifest);
    }
    options.onProgress?.(found.size, uploads.length);
    if (found.size === uploads.length) return uploads.map((u) => found.get(u.key) as Manifest);

    const pending = uploads.filter((u) => !found.has(u.key));
    const failures = (await options.failures?.()) ?? [];
    const failed = failures.filter((f) =>
      pending.some((u) => u.key === f.key && (!f.etag || normaliseEtag(f.etag) === normaliseEtag(u.etag))),
    );
    if (failed.length > 0) {
      throw new IngestWaitError(
        `the splitter gave up on ${failed.map((f) => f.key).join(', ')}: ${failed[0]?.error} (see \`dubegrid dlq\`)`,
        pending.map((u) => u.key),
        failed,
      );
    }
    if (Date.now() >= deadline) {
      throw new IngestWaitError(
        `timed out after ${Math.round(options.timeoutMs / 1000)} s waiting for the splitter; still without a manifest: ${pending.map((u) => u.key).join(', ')}` +
          (options.failuresHint ? `; ${options.failuresHint}` : ''),
        pending.map((u) => u.key),
        [],
      );
    }
    await sleep(interval);
    interval = Math.min(2_000, interval * 2);
  }
}

/** True when the manifest is of this upload: same content, split after it landed. */
export function isManifestOf(manifest: Manifest, upload: Uploaded): boolean {
  if (normaliseEtag(manifest.source.etag) !== normaliseEtag(upload.etag)) return false;
  return upload.lastModified === undefined || Date.parse(manifest.started_at) >= upload.lastModified;
}

async function readManifest(s3: S3Client, bucket: string, key: string): Promise<Manifest | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKeyOf(key) }));
      return JSON.parse((await got.Body?.transformToString()) ?? '') as Manifest;
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey') return undefined;
      if (attempt >= BACKOFF.manifestRead.attempts) throw err;
      await sleepFor(backoffMs(BACKOFF.manifestRead, attempt));
    }
  }
}
