/**
 * User mappings in the bucket: `reference/sources/<name>.yaml`, written by `dubegrid
 * sources add`, read by the splitter (the mappings) and by every reader of events (the
 * units they declare). Reads are cached by ETag: a listing per use, and a GetObject
 * only for a mapping that is new or changed, so a mapping added now is used from the
 * next object on, on either target, without a restart.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { PREFIXES } from '../resources.ts';
import { BUILTIN_UNITS, type UnitRegistry, type UnitsProvider } from '../units.ts';
import { MappingError } from './errors.ts';
import { parseMapping } from './load.ts';
import type { LoadedMapping } from './mapping.ts';

/**
 * Object metadata naming an object's source (`x-amz-meta-dubegrid-source` on the wire;
 * the SDK's `Metadata` map drops the `x-amz-meta-` prefix).
 */
export const SOURCE_METADATA_KEY = 'dubegrid-source';

/** The key of a user mapping. */
export function sourceKeyOf(name: string): string {
  return `${PREFIXES.referenceSources}${name}.yaml`;
}

export interface StoredMapping {
  readonly name: string;
  readonly key: string;
  readonly etag: string;
  readonly lastModified: string | null;
}

/** What a load found: the mappings, and the stored files that no longer pass the check. */
export interface StoredMappings {
  readonly mappings: readonly LoadedMapping[];
  readonly invalid: readonly { readonly key: string; readonly error: MappingError }[];
  /** Changes whenever any stored mapping does: callers recompile only then. */
  readonly version: string;
}

export class MappingStore {
  private readonly cache = new Map<string, { etag: string; result: LoadedMapping | MappingError }>();

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
  ) {}

  async list(): Promise<StoredMapping[]> {
    const out: StoredMapping[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: PREFIXES.referenceSources, ContinuationToken: token }),
      );
      for (const o of page.Contents ?? []) {
        const key = o.Key ?? '';
        const m = /^reference\/sources\/([^/]+)\.ya?ml$/.exec(key);
        if (!m) continue;
        out.push({
          name: m[1] as string,
          key,
          etag: (o.ETag ?? '').replace(/"/g, ''),
          lastModified: o.LastModified?.toISOString() ?? null,
        });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Every stored mapping, parsed (GetObject only for new or changed ETags). */
  async load(): Promise<StoredMappings> {
    const listed = await this.list();
    const mappings: LoadedMapping[] = [];
    const invalid: { key: string; error: MappingError }[] = [];
    for (const item of listed) {
      let hit = this.cache.get(item.key);
      if (hit === undefined || hit.etag !== item.etag) {
        const text = await this.read(item.key);
        let result: LoadedMapping | MappingError;
        try {
          result = parseMapping(text, `s3://${this.bucket}/${item.key}`);
        } catch (err) {
          if (!(err instanceof MappingError)) throw err;
          result = err;
        }
        hit = { etag: item.etag, result };
        this.cache.set(item.key, hit);
      }
      if (hit.result instanceof MappingError) invalid.push({ key: item.key, error: hit.result });
      else mappings.push(hit.result);
    }
    for (const key of this.cache.keys()) if (!listed.some((l) => l.key === key)) this.cache.delete(key);
    return { mappings, invalid, version: listed.map((l) => `${l.key}@${l.etag}`).join(',') };
  }

  async read(key: string): Promise<string> {
    const got = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return (await got.Body?.transformToString('utf8')) ?? '';
  }

  /** Stores mapping text (already checked) under its name. */
  async put(name: string, text: string): Promise<string> {
    const key = sourceKeyOf(name);
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: text, ContentType: 'application/yaml' }),
    );
    return key;
  }

  /** Removes a stored mapping; false when there was none of that name. */
  async remove(name: string): Promise<boolean> {
    const found = (await this.list()).find((m) => m.name === name);
    if (found === undefined) return false;
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: found.key }));
    return true;
  }
}

/** The unit registry for events whose mappings are `mappings`: built-in units plus every declaration. */
export function unitsOf(mappings: readonly LoadedMapping[], base: UnitRegistry = BUILTIN_UNITS): UnitRegistry {
  let units = base;
  for (const m of mappings) {
    try {
      units = units.with(m.mapping.units ?? {}, m.mapping.name);
    } catch {
      // a conflicting declaration was refused at `sources add`; the first mapping's stands
    }
  }
  return units;
}

/**
 * The units readers need, from the built-in and the stored mappings, refreshed at most
 * every `maxAgeMs` (cached by ETag underneath): for the consumers, the lake writer and
 * verify. The built-ins come first, as in the splitter's mapping set, so a stored
 * mapping cannot redeclare their units with other bounds.
 */
export function storedUnits(
  store: MappingStore,
  builtins: readonly LoadedMapping[] = [],
  maxAgeMs = 30_000,
  now: () => number = Date.now,
): UnitsProvider {
  let cached: { at: number; version: string; units: UnitRegistry } | undefined;
  return async (options) => {
    if (cached === undefined || options?.fresh === true || now() - cached.at >= maxAgeMs) {
      const { mappings, version } = await store.load();
      // the same registry object while nothing changed: readers tell "new units" by identity
      const units = cached?.version === version ? cached.units : unitsOf([...builtins, ...mappings]);
      cached = { at: now(), version, units };
    }
    return cached.units;
  };
}
