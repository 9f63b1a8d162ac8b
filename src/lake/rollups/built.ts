/**
 * What a rollup object was built from, as its metadata says, against the lake's readings
 * objects as they are now: the builder's "is this day current" test, shared with the
 * readers that take a day's rollups in place of its readings (the API's long series).
 * No DuckDB here, so a reader's bundle (the API's Lambda) does not carry it.
 */
import { HeadObjectCommand, NotFound, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { inPool } from '../../shared/concurrency.ts';
import {
  FACT_TABLE_KINDS,
  FACT_TABLES,
  partitionOfKey,
  rollupObjectKey,
  type PartitionValues,
} from '../../shared/glue.ts';
import { INTERVAL_FACTS } from '../../shared/queries.ts';
import { PREFIXES } from '../../shared/resources.ts';

export interface RollupStore {
  readonly s3: S3Client;
  readonly bucket: string;
}

/** Metadata keys of a rollup object (S3 lower-cases them; keep them lower-case). */
export const META = {
  signature: 'source-signature',
  first: 'day-first-ts',
  last: 'day-last-ts',
  clip: 'coverage-clip',
  intervals: 'registry-intervals',
  definition: 'facts-definition',
} as const;

/**
 * What the interval facts are computed by (their SQL, so the voltage band too) and the
 * tables' columns, as a hash: a day built by another definition is rebuilt, and is not
 * current for a reader. Objects built before the interval facts existed lack it, so a
 * lake gains them at the next run.
 */
export const FACTS_DEFINITION = createHash('sha256')
  .update(JSON.stringify([INTERVAL_FACTS, FACT_TABLES]))
  .digest('hex')
  .slice(0, 32);
const PARALLEL = 8;

export interface SourceObject {
  readonly key: string;
  readonly etag: string;
}

export interface Built {
  readonly signature: string;
  readonly firstMs: number;
  readonly lastMs: number;
  readonly clip: string;
  /** `intervalsSignature` of the registry intervals the expected counts used. */
  readonly intervals: string;
  /** `FACTS_DEFINITION` of the build. */
  readonly definition: string;
}

/** Whether a day's facts, built from `built`, answer for its readings objects as they are now. */
export const isCurrent = (built: Built | undefined, objects: readonly SourceObject[]): boolean =>
  built !== undefined && built.signature === signatureOf(objects) && built.definition === FACTS_DEFINITION;

export const dayOf = (p: PartitionValues): string => `${p.y}-${p.m}-${p.d}`;
export const partitionOfDay = (day: string): PartitionValues => ({
  y: day.slice(0, 4),
  m: day.slice(5, 7),
  d: day.slice(8, 10),
});

/** The day's source signature: what its readings objects are, by key and ETag. */
export function signatureOf(objects: readonly SourceObject[]): string {
  const h = createHash('sha256');
  for (const o of [...objects].sort((a, b) => a.key.localeCompare(b.key))) h.update(`${o.key}\u0000${o.etag}\n`);
  return h.digest('hex').slice(0, 32);
}

/**
 * Which of `days` (`YYYY-MM-DD`) have rollups built from the lake's readings objects as
 * they are now (the same signature test the builder makes), so a reader can take a
 * day's rollups for its readings: a day delivered to, compacted or never built since is
 * left out. One listing per month and a HEAD per fact table per day.
 */
export async function currentRollupDays(deps: RollupStore, days: readonly string[]): Promise<Set<string>> {
  const months = [...new Set(days.map((d) => d.slice(0, 7)))];
  const sources = new Map<string, SourceObject[]>();
  await inPool(months, PARALLEL, async (month) => {
    const prefix = `${PREFIXES.processed}y=${month.slice(0, 4)}/m=${month.slice(5, 7)}/`;
    for (const [day, objects] of await listSources(deps.s3, deps.bucket, prefix)) sources.set(day, objects);
  });
  const out = new Set<string>();
  await inPool(
    days.filter((d) => sources.has(d)),
    PARALLEL,
    async (day) => {
      if (isCurrent(await builtFrom(deps, day), sources.get(day)!)) out.add(day);
    },
  );
  return out;
}

/**
 * Whether every day of the month with readings has current facts: then the summaries
 * composed from the interval facts answer exactly what the readings would, else a
 * reader takes the readings form (`NamedQuery.fallback`). One listing, a HEAD per fact
 * table per day.
 */
export async function monthFactsCurrent(deps: RollupStore, year: string, month: string): Promise<boolean> {
  const days = [...(await listSources(deps.s3, deps.bucket, `${PREFIXES.processed}y=${year}/m=${month}/`)).keys()];
  return (await currentRollupDays(deps, days)).size === days.length;
}

/** Readings objects by day (`YYYY-MM-DD`), below `prefix` (a month's, or the whole zone). */
export async function listSources(
  s3: S3Client,
  bucket: string,
  prefix: string = PREFIXES.processed,
): Promise<Map<string, SourceObject[]>> {
  const out = new Map<string, SourceObject[]>();
  for await (const page of paginateListObjectsV2({ client: s3 }, { Bucket: bucket, Prefix: prefix })) {
    for (const o of page.Contents ?? []) {
      const p = o.Key && o.Key.endsWith('.parquet') ? partitionOfKey(o.Key) : undefined;
      if (!p || !o.Key) continue;
      const day = dayOf(p);
      out.set(day, [...(out.get(day) ?? []), { key: o.Key, etag: o.ETag ?? '' }]);
    }
  }
  return out;
}

/** What the day's facts were built from, if every table's object agrees; undefined means "build it". */
export async function builtFrom(deps: RollupStore, day: string): Promise<Built | undefined> {
  const metas: Record<string, string>[] = [];
  for (const grain of FACT_TABLE_KINDS) {
    try {
      const head = await deps.s3.send(
        new HeadObjectCommand({ Bucket: deps.bucket, Key: rollupObjectKey(grain, partitionOfDay(day)) }),
      );
      metas.push(head.Metadata ?? {});
    } catch (err) {
      if (err instanceof NotFound || (err as { name?: string }).name === 'NotFound') return undefined;
      throw err;
    }
  }
  const a = metas[0]!;
  if (Object.values(META).some((k) => a[k] === undefined || metas.some((b) => b[k] !== a[k]))) return undefined;
  return {
    signature: a[META.signature]!,
    firstMs: Date.parse(a[META.first]!),
    lastMs: Date.parse(a[META.last]!),
    clip: a[META.clip]!,
    intervals: a[META.intervals]!,
    definition: a[META.definition]!,
  };
}
