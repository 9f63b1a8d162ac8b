/**
 * The splitter's mappings on either target: built-in plus those stored under
 * `reference/sources/`, recompiled only when a stored mapping changed (the store
 * caches by ETag), so a mapping added with `dubegrid sources add` is used from the
 * next object on.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { MappingStore, storedUnits } from '../../../shared/sources/store.ts';
import type { UnitsProvider } from '../../../shared/units.ts';
import { builtinMappings } from './builtin.ts';
import { MappingSet } from './set.ts';

export function storedMappingSet(
  store: MappingStore,
  sourceTimeZone?: string | undefined,
  warn: (message: string) => void = console.warn,
): () => Promise<MappingSet> {
  let cached: { version: string; set: MappingSet } | undefined;
  return async () => {
    const loaded = await store.load();
    if (cached?.version !== loaded.version) {
      for (const bad of loaded.invalid) warn(`splitter: ignoring ${bad.key}: ${bad.error.message}`);
      const { set, rejected } = MappingSet.compile(loaded.mappings, { sourceTimeZone });
      for (const r of rejected) warn(`splitter: ignoring ${r.origin}: ${r.error.message}`);
      cached = { version: loaded.version, set };
    }
    return cached.set;
  };
}

/** Per bucket (a notification names its bucket), the stored mapping set: what both targets' splitters use. */
export function bucketMappings(
  s3: S3Client,
  sourceTimeZone?: string | undefined,
  warn?: (message: string) => void,
): (bucket: string) => Promise<MappingSet> {
  const byBucket = new Map<string, () => Promise<MappingSet>>();
  return (bucket) => {
    let get = byBucket.get(bucket);
    if (get === undefined) {
      get = storedMappingSet(new MappingStore(s3, bucket), sourceTimeZone, warn);
      byBucket.set(bucket, get);
    }
    return get();
  };
}

/**
 * The unit registry every reader of the event uses (consumers, lake writer, verify):
 * the units the built-in and the stored mappings declare, the same ones the splitter
 * accepted. Assembled here, beside the splitter's own, so both read one set of mappings.
 */
export function readerUnits(s3: S3Client, bucket: string, maxAgeMs?: number): UnitsProvider {
  return storedUnits(new MappingStore(s3, bucket), builtinMappings(), maxAgeMs);
}
