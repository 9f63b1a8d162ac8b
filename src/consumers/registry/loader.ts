/**
 * The registry loader's core: one `reference/assets/*.csv` object → the `assets`
 * table. Items are upserted (BatchWriteItem, unprocessed items retried), so loading
 * the same file again changes nothing but `loaded_at`; assets absent from a newer
 * file are kept (a registry forgets nothing by omission). Rows that cannot be read
 * go to `quarantine/<key>.jsonl` like the splitter's, one entry each; a file that is
 * not an assets file at all gets one entry naming it.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { BatchWriteCommand, type BatchWriteCommandInput, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  QUARANTINE_ENTRY_VERSION,
  quarantineKeyOf,
  rawForEntry,
  type QuarantineEntry,
} from '../../shared/quarantine.ts';
import { PREFIXES, TABLES } from '../../shared/resources.ts';
import { BATCH_WRITE_MAX, chunks } from '../../shared/concurrency.ts';
import { BACKOFF, untilDone } from '../../shared/retry.ts';
import { AssetsFileError, parseAssetsCsv, type RejectedRow } from './assets-csv.ts';

/** The stage name quarantine entries of the registry carry. */
export const REGISTRY_STAGE = 'registry';

export interface RegistryDeps {
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
  readonly tableName?: string;
  readonly now?: () => Date;
}

export interface LoadResult {
  readonly bucket: string;
  readonly key: string;
  readonly rows: number;
  /** Items written: one per feeder and one per substation. */
  readonly assets: number;
  readonly rejected: readonly RejectedRow[];
  /** Set when the whole object could not be read as an assets file. */
  readonly error?: string;
  /** Where the rejected rows went. */
  readonly quarantine_key?: string;
}

/** The assets table would not take every item after the retries: the invocation fails, to be retried. */
export class RegistryWriteError extends Error {
  override name = 'RegistryWriteError';
}

/** Is this object an assets file the loader should read? */
export function isAssetsKey(key: string): boolean {
  return key.startsWith(PREFIXES.referenceAssets) && key.toLowerCase().endsWith('.csv');
}

export async function loadAssetsObject(deps: RegistryDeps, bucket: string, key: string): Promise<LoadResult> {
  const object = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const etag = (object.ETag ?? '').replace(/"/g, '');
  const text = (await object.Body?.transformToString('utf-8')) ?? '';
  const at = (deps.now?.() ?? new Date()).toISOString();
  let parsed;
  try {
    parsed = parseAssetsCsv(text, key, at);
  } catch (err) {
    if (!(err instanceof AssetsFileError)) throw err;
    const entry = entryOf(bucket, key, etag, at, { line: null, raw: null, reason: err.reason, message: err.message });
    const quarantine_key = await putQuarantine(deps.s3, bucket, key, [entry]);
    return { bucket, key, rows: 0, assets: 0, rejected: [], error: err.message, quarantine_key };
  }
  const table = deps.tableName ?? TABLES.assets.tableName;
  for (const batch of chunks(parsed.items, BATCH_WRITE_MAX)) {
    const initial: NonNullable<BatchWriteCommandInput['RequestItems']> = {
      [table]: batch.map((Item) => ({ PutRequest: { Item } })),
    };
    await untilDone(
      BACKOFF.dynamoBatch,
      initial,
      async (RequestItems) => {
        const res = await deps.doc.send(new BatchWriteCommand({ RequestItems }));
        const rest = res.UnprocessedItems?.[table];
        return rest?.length ? { [table]: rest } : undefined;
      },
      (attempts) => new RegistryWriteError(`writing assets from ${key}: still unprocessed after ${attempts} attempts`),
    );
  }
  const base = { bucket, key, rows: parsed.rows, assets: parsed.items.length, rejected: parsed.rejected };
  if (!parsed.rejected.length) return base;
  const entries = parsed.rejected.map((r) => entryOf(bucket, key, etag, at, r));
  return { ...base, quarantine_key: await putQuarantine(deps.s3, bucket, key, entries) };
}

export function entryOf(
  bucket: string,
  key: string,
  etag: string,
  at: string,
  r: Pick<RejectedRow, 'reason' | 'message'> & { line: number | null; raw: string | null },
): QuarantineEntry {
  return {
    v: QUARANTINE_ENTRY_VERSION,
    stage: REGISTRY_STAGE,
    reason: r.reason,
    message: r.message,
    source_bucket: bucket,
    source_key: key,
    source_etag: etag,
    line: r.line,
    ...rawForEntry(r.raw),
    quarantined_at: at,
  };
}

export async function putQuarantine(
  s3: S3Client,
  bucket: string,
  key: string,
  entries: readonly QuarantineEntry[],
): Promise<string> {
  const quarantineKey = quarantineKeyOf(key);
  const body = `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`;
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: quarantineKey, Body: body, ContentType: 'application/x-ndjson' }),
  );
  return quarantineKey;
}
