/**
 * A local mirror of one bucket prefix, kept for DuckDB: objects are read through the
 * S3 API (as any reader of the bucket would), and only new or changed ones (by ETag)
 * are fetched again; files whose objects are gone are removed. The index of what is
 * held, key → ETag, is `.index.json` in the mirror's root.
 */
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';

export interface SyncOutcome {
  readonly objects: number;
  readonly fetched: number;
  readonly removed: number;
  readonly bytes_fetched: number;
}

export class CacheError extends Error {
  override name = 'CacheError';
}

const INDEX = '.index.json';
/** Objects fetched at once: s3rver and the disk are shared with the rest of the stack. */
const PARALLEL_FETCHES = 4;

export async function syncPrefix(s3: S3Client, bucket: string, prefix: string, root: string): Promise<SyncOutcome> {
  await mkdir(root, { recursive: true });
  const index = await readIndex(root);
  const listed = new Map<string, string>();
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) listed.set(o.Key, o.ETag ?? '');
  }
  const stale: [string, string][] = [];
  for (const [key, etag] of listed) {
    if (index[key] !== etag || !(await exists(localPath(root, key)))) stale.push([key, etag]);
  }
  let bytes = 0;
  let next = 0;
  const fetchOne = async (): Promise<void> => {
    while (next < stale.length) {
      const [key, etag] = stale[next++] as [string, string];
      const file = localPath(root, key);
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = await out.Body?.transformToByteArray();
      if (!body) throw new CacheError(`s3://${bucket}/${key} has no body`);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(`${file}.${process.pid}.part`, body);
      await rename(`${file}.${process.pid}.part`, file);
      bytes += body.byteLength;
      index[key] = out.ETag ?? etag;
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_FETCHES, stale.length) }, fetchOne));
  let removed = 0;
  for (const key of Object.keys(index)) {
    if (key.startsWith(prefix) && !listed.has(key)) {
      await rm(localPath(root, key), { force: true });
      delete index[key];
      removed++;
    }
  }
  await writeFile(join(root, `${INDEX}.${process.pid}.tmp`), JSON.stringify(index));
  await rename(join(root, `${INDEX}.${process.pid}.tmp`), join(root, INDEX));
  return { objects: listed.size, fetched: stale.length, removed, bytes_fetched: bytes };
}

/** Where an object's copy lives; a key that would escape the root is refused. */
export function localPath(root: string, key: string): string {
  if (key.split('/').some((part) => part === '..' || part === '.') || key.startsWith('/')) {
    throw new CacheError(`refusing to mirror the object key ${JSON.stringify(key)}`);
  }
  return join(
    root,
    ...key
      .split('/')
      .filter((p) => p !== '')
      .map((p) => p.replaceAll(sep, '_')),
  );
}

async function readIndex(root: string): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(join(root, INDEX), 'utf8')) as Record<string, string>;
  } catch {
    // no index (or a damaged one): every object is fetched again, which is only slower
    return {};
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
