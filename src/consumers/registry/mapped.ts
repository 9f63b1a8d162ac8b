/**
 * Reference files read through a mapping: `reference/mapped/<file>` (CSV, JSON, JSON
 * Lines, gzipped or not) → the `assets` table. The file is read by the splitter's own
 * streaming core with the mappings that have a `reference` block (the object's
 * `--source` metadata, else a raw prefix, else recognition among them), so a record
 * is read exactly as a readings file's would be: each accepted record gives its site
 * and the attributes the block names (substation name, latitude, longitude).
 *
 * The merge never erases: an update sets only the attributes the file gave, so a
 * stored rating (`transformer_kva`, `rated_current_a`), generation flag or feeder count
 * stays as the assets file set it, and an asset known only from a mapping is created
 * with none of them.
 */
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UpdateCommand, type DynamoDBDocumentClient, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { AssetItem } from '../../shared/asset-item.ts';
import { inPool } from '../../shared/concurrency.ts';
import { normaliseEtag } from '../../shared/manifest.ts';
import type { QuarantineEntry } from '../../shared/quarantine.ts';
import { PREFIXES, TABLES } from '../../shared/resources.ts';
import { rawShapeOf } from '../../shared/s3-keys.ts';
import type { LoadedMapping } from '../../shared/sources/mapping.ts';
import { splitBody } from '../../producers/splitter/core.ts';
import type { ReferenceAttrs } from '../../producers/splitter/mapping/mapper.ts';
import { MappingSet } from '../../producers/splitter/mapping/set.ts';
import type { Site } from '../../producers/splitter/rows.ts';
import { objectChoice } from '../../producers/splitter/split-object.ts';
import { entryOf, putQuarantine, REGISTRY_STAGE, type LoadResult } from './loader.ts';

export interface MappedReferenceDeps {
  readonly s3: S3Client;
  readonly doc: DynamoDBDocumentClient;
  /** The stored mappings of the bucket (`MappingStore.load`, cached by ETag). */
  readonly mappings: (bucket: string) => Promise<readonly LoadedMapping[]>;
  readonly tableName?: string | undefined;
  readonly sourceTimeZone?: string | undefined;
  readonly now?: (() => Date) | undefined;
}

/** The attributes of one registry item a reference file sets; everything else of the item is left alone. */
export type AssetReference = Pick<AssetItem, 'asset_id' | 'kind' | 'substation_id' | 'feeder_id'> &
  Partial<Pick<AssetItem, 'substation_name' | 'latitude' | 'longitude'>>;

/** Concurrent UpdateItem calls per file. */
const UPDATE_POOL = 8;

/** Is this object a reference file for a mapping (rather than an assets.csv)? */
export function isMappedReferenceKey(key: string): boolean {
  return key.startsWith(PREFIXES.referenceMapped) && rawShapeOf(key) !== undefined;
}

/**
 * Folds one record's site and attributes into the items it touches: the site's own
 * asset and, for a feeder, its substation (names and locations are the substation's,
 * so a feeder's file places its substation too). A later record's attribute wins.
 */
export function addReference(into: Map<string, AssetReference>, site: Site, attrs: ReferenceAttrs): void {
  const merge = (item: AssetReference): void => {
    into.set(item.asset_id, { ...into.get(item.asset_id), ...item, ...attrs });
  };
  const sub = site.substation_id;
  merge({ asset_id: sub, kind: 'substation', substation_id: sub, feeder_id: '' });
  if (site.asset_id !== sub)
    merge({ asset_id: site.asset_id, kind: 'feeder', substation_id: sub, feeder_id: site.feeder_id });
}

/** The update that merges one item: only the attributes given are set; ratings and flags are never named. */
export function referenceUpdate(
  table: string,
  item: AssetReference,
  sourceKey: string,
  loadedAt: string,
): UpdateCommandInput {
  const { asset_id, ...rest } = item;
  const values: Record<string, unknown> = { ...rest, source_key: sourceKey, loaded_at: loadedAt };
  const names: Record<string, string> = {};
  const sets: string[] = [];
  for (const [i, [name, value]] of Object.entries(values).entries()) {
    if (value === undefined) continue;
    names[`#a${i}`] = name;
    sets.push(`#a${i} = :a${i}`);
  }
  return {
    TableName: table,
    Key: { asset_id },
    UpdateExpression: `SET ${sets.join(', ')}`,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: Object.fromEntries(
      Object.entries(names).map(([placeholder, name]) => [`:${placeholder.slice(1)}`, values[name]]),
    ),
  };
}

export async function loadMappedReference(deps: MappedReferenceDeps, bucket: string, key: string): Promise<LoadResult> {
  const object = await deps.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const etag = normaliseEtag(object.ETag);
  const at = (deps.now?.() ?? new Date()).toISOString();
  const found = new Map<string, AssetReference>();
  const { set } = MappingSet.compile(await deps.mappings(bucket), {
    sourceTimeZone: deps.sourceTimeZone,
    onReference: (site, attrs) => addReference(found, site, attrs),
  });
  // only a mapping that says what feeds the registry may read a reference file
  const mappings = new MappingSet(
    set.mappings.filter((m) => m.mapping.reference !== undefined),
    set.units,
  );
  const entries: QuarantineEntry[] = [];
  const discard = { put: () => undefined, needsDrain: false, drain: async () => undefined };
  const summary = await splitBody(
    object.Body as AsyncIterable<Uint8Array>,
    { source: { bucket, key, etag }, ingestedAt: at, mappings, ...objectChoice(key, object.Metadata) },
    discard,
    { add: (e) => void entries.push({ ...e, stage: REGISTRY_STAGE }), needsDrain: false, drain: async () => undefined },
  );
  if (summary.mapping === null) {
    const message = `${key}: no mapping with a reference block reads it (${entries[0]?.message ?? summary.format})`;
    const entry = entryOf(bucket, key, etag, at, { line: null, raw: null, reason: 'unknown_format', message });
    const quarantine_key = await putQuarantine(deps.s3, bucket, key, [entry]);
    return { bucket, key, rows: summary.rows_read, assets: 0, rejected: [], error: message, quarantine_key };
  }
  const table = deps.tableName ?? TABLES.assets.tableName;
  const items = [...found.values()];
  await inPool(items, UPDATE_POOL, async (item) => {
    await deps.doc.send(new UpdateCommand(referenceUpdate(table, item, key, at)));
  });
  const rejected = entries.map((e) => ({ line: e.line ?? 0, raw: e.raw ?? '', reason: e.reason, message: e.message }));
  const base = { bucket, key, rows: summary.rows_read, assets: items.length, rejected };
  if (!entries.length) return base;
  return { ...base, quarantine_key: await putQuarantine(deps.s3, bucket, key, entries) };
}
