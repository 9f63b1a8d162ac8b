/**
 * What still needs a stored mapping, asked before `dubegrid sources rm` removes it
 * (docs/sources.md → "Removing a mapping"). Two things do:
 *
 * - raw objects that name it (`--source` metadata, or one of its raw prefixes) and have
 *   no manifest yet: once it is gone the splitter quarantines them as `unknown_format`;
 * - readings in a unit only it declares, split within the stream's retention: the
 *   consumers (and any `replay` of that window) validate units against the stored
 *   mappings, so those readings would be quarantined rather than applied.
 *
 * Read with listings and a HeadObject/GetObject only for the few objects that matter
 * (unsplit raw objects; manifests written within the retention when units are at stake).
 */
import { GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { inPool } from '../concurrency.ts';
import { manifestKeyOf, type Manifest } from '../manifest.ts';
import { PREFIXES } from '../resources.ts';
import { isSplittableKey } from '../s3-keys.ts';
import type { LoadedMapping } from './mapping.ts';
import { SOURCE_METADATA_KEY, unitsOf } from './store.ts';

export interface StillNeeded {
  /** Raw keys that name the mapping and are not split yet. */
  readonly unsplit: readonly string[];
  /** Units no other mapping (built-in or stored) declares. */
  readonly unitsOnlyHere: readonly string[];
  /** Raw keys this mapping split within the stream's retention (only looked for when `unitsOnlyHere` is not empty). */
  readonly recentlySplit: readonly string[];
}

export interface StillNeededInput {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly mapping: LoadedMapping;
  /** Every other mapping, built-in and stored: units they declare stay. */
  readonly others: readonly LoadedMapping[];
  readonly retentionHours: number;
  readonly now?: number;
}

const POOL = 8;

export async function whatStillNeeds(input: StillNeededInput): Promise<StillNeeded> {
  const { s3, bucket, mapping } = input;
  const name = mapping.mapping.name;
  const [raw, manifests] = await Promise.all([
    listKeys(s3, bucket, PREFIXES.raw),
    listKeys(s3, bucket, PREFIXES.manifests),
  ]);
  const manifestKeys = new Set(manifests.map((m) => m.key));

  const prefixes = mapping.mapping.recognise.prefixes ?? [];
  const unsplit: string[] = [];
  const candidates = raw.filter((o) => isSplittableKey(o.key) && !manifestKeys.has(manifestKeyOf(o.key)));
  await inPool(candidates, POOL, async ({ key }) => {
    if (prefixes.some((p) => key.startsWith(p))) return void unsplit.push(key);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).catch(notFound);
    if (head?.Metadata?.[SOURCE_METADATA_KEY] === name) unsplit.push(key);
  });

  const unitsOnlyHere = lostUnits(mapping, input.others);
  const recentlySplit: string[] = [];
  if (unitsOnlyHere.length > 0) {
    const since = (input.now ?? Date.now()) - input.retentionHours * 3_600_000;
    const recent = manifests.filter((m) => m.lastModified >= since);
    await inPool(recent, POOL, async ({ key }) => {
      const m = await readManifest(s3, bucket, key);
      if (m?.mapping?.name === name) recentlySplit.push(m.source.key);
    });
  }
  return { unsplit: unsplit.sort(), unitsOnlyHere, recentlySplit: recentlySplit.sort() };
}

/** The units that leave the registry with the mapping (`others`: every other mapping, built-ins included). */
export function lostUnits(mapping: LoadedMapping, others: readonly LoadedMapping[]): string[] {
  const without = unitsOf(others.filter((o) => o.mapping.name !== mapping.mapping.name));
  return Object.keys(mapping.mapping.units ?? {})
    .filter((u) => !without.has(u))
    .sort();
}

/** Why removing the mapping now would lose something, one clause each; empty when nothing needs it. */
export function reasonsToKeep(still: StillNeeded, retentionHours: number): string[] {
  const reasons: string[] = [];
  if (still.unsplit.length > 0)
    reasons.push(
      `${count(still.unsplit.length, 'raw file')} naming it ${still.unsplit.length === 1 ? 'is' : 'are'} not split yet (${sample(still.unsplit)}); without it they would be quarantined as unknown_format`,
    );
  if (still.recentlySplit.length > 0)
    reasons.push(
      `it alone declares ${still.unitsOnlyHere.join(', ')}, and ${count(still.recentlySplit.length, 'file')} it split ${still.recentlySplit.length === 1 ? 'is' : 'are'} within the stream's ${retentionHours} h retention (${sample(still.recentlySplit)}); consumers and replays would quarantine those readings`,
    );
  return reasons;
}

/** The one-line refusal of `sources rm`. */
export function refusalOf(name: string, reasons: readonly string[]): string {
  return `${name} is still needed: ${reasons.join('; ')}. Wait until they are through (\`dubegrid status\`), or remove it anyway with --force`;
}

function count(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

function sample(keys: readonly string[]): string {
  const shown = keys.slice(0, 3).join(', ');
  return keys.length > 3 ? `${shown}, … ${keys.length - 3} more` : shown;
}

interface Listed {
  readonly key: string;
  readonly lastModified: number;
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<Listed[]> {
  const out: Listed[] = [];
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix }))
    for (const o of page.Contents ?? [])
      if (o.Key !== undefined) out.push({ key: o.Key, lastModified: o.LastModified?.getTime() ?? 0 });
  return out;
}

async function readManifest(s3: S3Client, bucket: string, key: string): Promise<Manifest | undefined> {
  const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })).catch(notFound);
  const text = await got?.Body?.transformToString('utf8');
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Manifest;
  } catch {
    return undefined; // `verify` reports an unreadable manifest; it names no mapping here
  }
}

/** An object deleted between the listing and the read is simply not there. */
function notFound(err: { name?: string }): undefined {
  if (err.name === 'NotFound' || err.name === 'NoSuchKey') return undefined;
  throw err;
}
