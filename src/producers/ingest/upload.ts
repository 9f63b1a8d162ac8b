/**
 * A file from disk into the raw zone: small files in one PutObject, large ones as a
 * multipart upload read part by part (a few parts in memory at a time, whatever the
 * file's size). Every body is a buffer: the SDK retries a reset or a 5xx by sending the
 * body again, and a read stream can be sent only once (its retry went out empty and the
 * server hung up; found by the fault proxy, issue #18).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { open, readFile } from 'node:fs/promises';
import { normaliseEtag } from '../../shared/manifest.ts';

/** Files above this go up in parts. */
export const MULTIPART_THRESHOLD_BYTES = 16 * 1024 * 1024;
/** S3 allows 10,000 parts of at least 5 MiB. */
const MIN_PART_BYTES = 8 * 1024 * 1024;
const MAX_PARTS = 10_000;
/** Parts in flight at once (and so in memory). */
const PARTS_IN_FLIGHT = 4;

export interface Uploaded {
  readonly key: string;
  /** Without quotes. */
  readonly etag: string;
  readonly bytes: number;
  /**
   * The object's LastModified (ms; S3 keeps whole seconds): a manifest is of this upload
   * only if its split started at or after it, since a re-upload of the same content
   * has the same ETag as the earlier upload whose manifest is already there.
   */
  readonly lastModified?: number | undefined;
}

export type UploadProgress = (sentBytes: number, totalBytes: number) => void;

export interface UploadOptions {
  /** @default MULTIPART_THRESHOLD_BYTES */
  readonly multipartThresholdBytes?: number;
  /** Object metadata (`x-amz-meta-<name>`): the source the file is, for the splitter (`ingest --source`). */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

export async function uploadFile(
  s3: S3Client,
  bucket: string,
  key: string,
  path: string,
  size: number,
  onProgress?: UploadProgress,
  options: UploadOptions = {},
): Promise<Uploaded> {
  const ContentType = path.endsWith('.gz') ? 'application/gzip' : 'text/csv';
  if (size <= (options.multipartThresholdBytes ?? MULTIPART_THRESHOLD_BYTES)) {
    // at most the multipart threshold (16 MiB) in memory
    const body = await readFile(path);
    if (body.length !== size) throw new Error(`${path} changed while it was being uploaded`);
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentLength: size,
        ContentType,
        Metadata: options.metadata,
      }),
    );
    onProgress?.(size, size);
    return { key, etag: normaliseEtag(put.ETag), bytes: size, lastModified: await lastModifiedOf(s3, bucket, key) };
  }

  const partBytes = Math.max(MIN_PART_BYTES, Math.ceil(size / MAX_PARTS));
  const parts = Math.ceil(size / partBytes);
  const created = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType, Metadata: options.metadata }),
  );
  const UploadId = created.UploadId;
  const file = await open(path, 'r');
  const done: { PartNumber: number; ETag: string }[] = [];
  let sent = 0;
  try {
    let nextPart = 0;
    const worker = async (): Promise<void> => {
      while (nextPart < parts) {
        const index = nextPart++;
        const start = index * partBytes;
        const length = Math.min(partBytes, size - start);
        const body = Buffer.allocUnsafe(length);
        const { bytesRead } = await file.read(body, 0, length, start);
        if (bytesRead !== length)
          throw new Error(`${path} changed while it was being uploaded (short read at byte ${start})`);
        const part = await s3.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            PartNumber: index + 1,
            Body: body,
            ContentLength: length,
          }),
        );
        done.push({ PartNumber: index + 1, ETag: part.ETag ?? '' });
        sent += length;
        onProgress?.(sent, size);
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARTS_IN_FLIGHT, parts) }, worker));
    done.sort((a, b) => a.PartNumber - b.PartNumber);
    const complete = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts: done } }),
    );
    return {
      key,
      etag: normaliseEtag(complete.ETag),
      bytes: size,
      lastModified: await lastModifiedOf(s3, bucket, key),
    };
  } catch (err) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId })).catch(() => undefined);
    throw err;
  } finally {
    await file.close();
  }
}

/** Whole seconds, as S3 reports it (an emulator keeping milliseconds is floored alike). */
async function lastModifiedOf(s3: S3Client, bucket: string, key: string): Promise<number | undefined> {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  const ms = head.LastModified?.getTime();
  return ms === undefined ? undefined : Math.floor(ms / 1000) * 1000;
}
