/**
 * The raw zone's accounts: every splittable raw object has a manifest of its current
 * upload; every manifest adds up (`rows_read = rows_accepted + rows_quarantined`, the
 * reasons sum to the quarantined rows); its quarantine object (one per part, for a split
 * that took several invocations) holds exactly one entry per quarantined row (plus any
 * entry about the whole object, which the manifest counts in `quarantine.entries`).
 */
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { isSplittableKey } from '../../../shared/s3-keys.ts';
import { inPool } from '../../../shared/concurrency.ts';
import { manifestKeyOf, normaliseEtag, quarantineObjectsOf, type Manifest } from '../../../shared/manifest.ts';
import { PREFIXES } from '../../../shared/resources.ts';
import type { Difference } from './model.ts';

export interface RawObject {
  readonly key: string;
  readonly etag: string;
}

/** What a quarantine object holds. */
export interface QuarantineCount {
  readonly lines: number;
  /** Entries about one row (`line` set). */
  readonly rowEntries: number;
  /** Lines that are not entries at all. */
  readonly unreadable: number;
}

export interface RawZoneFacts {
  readonly objects: readonly RawObject[];
  /** By the raw key each describes. */
  readonly manifests: ReadonlyMap<string, Manifest>;
  /** Manifest objects that could not be read as manifests, with why. */
  readonly unreadableManifests: readonly { readonly key: string; readonly error: string }[];
  /** By quarantine object key; absent when the object does not exist. */
  readonly quarantine: ReadonlyMap<string, QuarantineCount>;
}

export function checkRawZone(f: RawZoneFacts): Difference[] {
  const out: Difference[] = [];
  const diff = (check: string, subject: string, detail: string): void =>
    void out.push({ zone: 'raw', check, subject, detail });
  const raw = new Map(f.objects.map((o) => [o.key, o]));
  for (const o of f.objects) {
    const m = f.manifests.get(o.key);
    if (!m)
      diff('not_split', o.key, 'the raw object has no manifest: the splitter has not finished it (see `dubegrid dlq`)');
    else if (normaliseEtag(m.source.etag) !== o.etag)
      diff(
        'manifest_outdated',
        o.key,
        `the manifest is of an earlier upload (ETag ${m.source.etag}, the object now ${o.etag}): the current upload has not been split`,
      );
  }
  for (const bad of f.unreadableManifests) diff('manifest_unreadable', bad.key, bad.error);
  for (const [key, m] of f.manifests) {
    if (!raw.has(key))
      diff(
        'raw_missing',
        key,
        `a manifest describes s3://${m.source.bucket}/${key}, which is no longer in the raw zone (the raw zone is never modified)`,
      );
    if (m.rows_read !== m.rows_accepted + m.rows_quarantined) {
      diff(
        'manifest_rows',
        key,
        `rows_read ${m.rows_read} ≠ rows_accepted ${m.rows_accepted} + rows_quarantined ${m.rows_quarantined}`,
      );
    }
    const byReason = Object.values(m.quarantine_reasons).reduce((s: number, n) => s + (n ?? 0), 0);
    if (byReason !== m.rows_quarantined)
      diff(
        'manifest_reasons',
        key,
        `the quarantine reasons sum to ${byReason}, rows_quarantined is ${m.rows_quarantined}`,
      );
    const qKeys = quarantineObjectsOf(m);
    if (qKeys.length === 0) {
      if (m.rows_quarantined > 0 || m.quarantine.entries > 0)
        diff(
          'quarantine_missing',
          key,
          `${m.rows_quarantined} row(s) quarantined but the manifest names no quarantine object`,
        );
      continue;
    }
    // a split over several invocations wrote one object per part: together they are its quarantine
    const missing = qKeys.filter((k) => !f.quarantine.has(k));
    if (missing.length > 0) {
      diff(
        'quarantine_missing',
        key,
        `the quarantine object${missing.length === 1 ? '' : 's'} ${missing.join(', ')} do${missing.length === 1 ? 'es' : ''} not exist (the manifest counts ${m.quarantine.entries} entries)`,
      );
      continue;
    }
    const counts = qKeys.map((k) => f.quarantine.get(k) as QuarantineCount);
    const q = {
      lines: counts.reduce((n, c) => n + c.lines, 0),
      rowEntries: counts.reduce((n, c) => n + c.rowEntries, 0),
    };
    const qKey = qKeys.join(' + ');
    if (q.rowEntries !== m.rows_quarantined)
      diff(
        'quarantine_entries',
        key,
        `${qKey} hold${qKeys.length === 1 ? 's' : ''} ${q.rowEntries} row entr${q.rowEntries === 1 ? 'y' : 'ies'}, the manifest quarantined ${m.rows_quarantined} row(s)`,
      );
    if (q.lines !== m.quarantine.entries)
      diff(
        'quarantine_entries',
        key,
        `${qKey} hold${qKeys.length === 1 ? 's' : ''} ${q.lines} entries in all, the manifest counts ${m.quarantine.entries}`,
      );
    qKeys.forEach((k, i) => {
      const unreadable = (counts[i] as QuarantineCount).unreadable;
      if (unreadable > 0) diff('quarantine_unreadable', k, `${unreadable} line(s) are not quarantine entries`);
    });
  }
  return out;
}

/** Reads the raw zone's facts: objects, manifests, and the quarantine objects they name. */
export async function readRawZone(s3: S3Client, bucket: string, concurrency = 8): Promise<RawZoneFacts> {
  const objects = (await list(s3, bucket, PREFIXES.raw)).filter((o) => isSplittableKey(o.key));
  const { manifests, unreadableManifests } = await readManifests(s3, bucket, concurrency);
  const quarantine = new Map<string, QuarantineCount>();
  const qKeys = [...new Set([...manifests.values()].flatMap((m) => quarantineObjectsOf(m)))];
  await inPool(qKeys, concurrency, async (key) => {
    let body: string;
    try {
      body = await text(s3, bucket, key);
    } catch (err) {
      if ((err as Error).name === 'NoSuchKey') return;
      throw err;
    }
    quarantine.set(key, countEntries(body));
  });
  return { objects, manifests, unreadableManifests, quarantine };
}

/** Every manifest of the raw zone, by the raw key it describes. */
export async function readManifests(
  s3: S3Client,
  bucket: string,
  concurrency = 8,
): Promise<Pick<RawZoneFacts, 'manifests' | 'unreadableManifests'>> {
  const manifestKeys = (await list(s3, bucket, `${PREFIXES.manifests}${PREFIXES.raw}`))
    .map((o) => o.key)
    .filter((k) => k.endsWith('.json'));
  const manifests = new Map<string, Manifest>();
  const unreadableManifests: { key: string; error: string }[] = [];
  await inPool(manifestKeys, concurrency, async (key) => {
    try {
      const m = JSON.parse(await text(s3, bucket, key)) as Manifest;
      if (typeof m?.source?.key !== 'string' || manifestKeyOf(m.source.key) !== key)
        throw new Error('it does not describe the raw object its key names');
      manifests.set(m.source.key, m);
    } catch (err) {
      unreadableManifests.push({ key, error: `not a manifest: ${(err as Error).message.split('\n')[0]}` });
    }
  });
  return { manifests, unreadableManifests };
}

export function countEntries(jsonl: string): QuarantineCount {
  let lines = 0;
  let rowEntries = 0;
  let unreadable = 0;
  for (const line of jsonl.split('\n')) {
    if (line.trim() === '') continue;
    lines++;
    try {
      const e = JSON.parse(line) as { line?: unknown; reason?: unknown };
      if (typeof e.reason !== 'string') unreadable++;
      else if (e.line !== null && e.line !== undefined) rowEntries++;
    } catch {
      unreadable++;
    }
  }
  return { lines, rowEntries, unreadable };
}

async function list(s3: S3Client, bucket: string, prefix: string): Promise<RawObject[]> {
  const out: RawObject[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) if (o.Key) out.push({ key: o.Key, etag: normaliseEtag(o.ETag) });
  }
  return out;
}

async function text(s3: S3Client, bucket: string, key: string): Promise<string> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await got.Body?.transformToString()) ?? '';
}
