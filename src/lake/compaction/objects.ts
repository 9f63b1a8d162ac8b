/**
 * The lake's day partitions and their objects, through the S3 API (s3rver on the
 * embedded target): which partitions exist, what one holds, and the two writes a
 * compaction makes (put its output, delete exactly the inputs it listed).
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { compactionRunOf } from '../../shared/compaction.ts';
import { FIREHOSE_CONVERSION, partitionOfKey, partitionPrefix, type PartitionValues } from '../../shared/glue.ts';
import { PREFIXES } from '../../shared/resources.ts';

export interface LakeObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified: number;
}

export class CompactionError extends Error {
  override name = 'CompactionError';
}

/** `YYYY-MM-DD` of a partition. */
export const dayOf = (p: PartitionValues): string => `${p.y}-${p.m}-${p.d}`;

export function partitionOfDay(day: string): PartitionValues {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (
    !m ||
    Number.isNaN(Date.parse(`${day}T00:00:00Z`)) ||
    new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) !== day
  )
    throw new CompactionError(`expected a day as YYYY-MM-DD, got ${JSON.stringify(day)}`);
  return { y: m[1] as string, m: m[2] as string, d: m[3] as string };
}

/**
 * Every day partition under `processed/readings/` (from `since` on), oldest first. Read
 * from the keys themselves, not from `Delimiter` listings: s3rver answers those
 * without the nested keys, and a daily listing of the keys is cheap.
 */
export async function listPartitions(
  s3: S3Client,
  bucket: string,
  since?: PartitionValues,
): Promise<PartitionValues[]> {
  const days = new Map<string, PartitionValues>();
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: PREFIXES.processed, ...(since ? { StartAfter: partitionPrefix(since) } : {}) },
  )) {
    for (const o of page.Contents ?? []) {
      const p = o.Key ? partitionOfKey(o.Key) : undefined;
      if (p) days.set(dayOf(p), p);
    }
  }
  return [...days.keys()].sort().map((d) => days.get(d) as PartitionValues);
}

/** The Parquet objects of one partition, by key. */
export async function listPartitionObjects(s3: S3Client, bucket: string, p: PartitionValues): Promise<LakeObject[]> {
  const out: LakeObject[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: partitionPrefix(p) })) {
    for (const o of page.Contents ?? []) {
      if (!o.Key?.endsWith(FIREHOSE_CONVERSION.fileExtension) || o.Key.slice(partitionPrefix(p).length).includes('/'))
        continue;
      out.push({ key: o.Key, size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
    }
  }
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

/** Already compacted: every object is the output of one and the same run (nothing arrived since, nothing left over). */
export function isCompacted(objects: readonly LakeObject[]): boolean {
  const runs = new Set(objects.map((o) => compactionRunOf(o.key.slice(o.key.lastIndexOf('/') + 1)) ?? ''));
  return objects.length > 0 && runs.size === 1 && !runs.has('');
}

export async function download(s3: S3Client, bucket: string, key: string, file: string): Promise<void> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!out.Body) throw new CompactionError(`s3://${bucket}/${key} has no body`);
  await pipeline(out.Body as Readable, createWriteStream(file));
}

export async function upload(s3: S3Client, bucket: string, key: string, body: Buffer): Promise<void> {
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/vnd.apache.parquet' }),
  );
}

/** Deletes exactly `keys` (a DeleteObjects call takes at most 1000); any key S3 reports failed is an error. */
export async function deleteExactly(s3: S3Client, bucket: string, keys: readonly string[]): Promise<void> {
  if (!keys.length) return;
  const out = await s3.send(
    new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
  );
  const failed = out.Errors ?? [];
  if (failed.length)
    throw new CompactionError(
      `could not delete ${failed.length} of ${keys.length} compacted input(s), first ${failed[0]?.Key}: ${failed[0]?.Code} ${failed[0]?.Message}`,
    );
}
