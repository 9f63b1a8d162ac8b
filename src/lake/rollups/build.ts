/**
 * Builds the fact layer (`processed/rollups/{hourly,daily,asset_intervals,asset_gaps}/
 * y=/m=/d=/rollup.parquet`: the per-measurement rollups and the summaries' interval facts)
 * incrementally: only day partitions whose readings objects changed are rebuilt, plus
 * the days where the lake's coverage (first reading, watermark) moved, since their
 * `expected_count` depends on it. Same code on Lambda (the scheduled function) and
 * locally (`dubegrid rollups`, the timer in `dubegrid up`).
 *
 * What a rollup object was built from travels WITH it, as object metadata: the day's
 * source signature (its readings objects' keys and ETags), the day's first and last
 * reading, and the coverage clip its expected counts used. So there is no separate
 * state to get out of step: a run killed anywhere, or two runs racing, leave objects
 * whose metadata no longer matches the listing, and the next run rebuilds them. Each
 * object is replaced by one PUT, so a reader sees the old rows or the new, never none.
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inPool } from '../../shared/concurrency.ts';
import type { Coverage } from '../../shared/expected.ts';
import {
  FACT_TABLE_KINDS,
  FACT_TABLES,
  READINGS_COLUMNS,
  READINGS_VIEW_SQL,
  rollupObjectKey,
  rollupOfKey,
  type FactTable,
} from '../../shared/glue.ts';
import { INTERVAL_FACTS } from '../../shared/queries.ts';
import type { ProgressMeter } from '../../shared/progress.ts';
import { GLUE, PREFIXES } from '../../shared/resources.ts';
import {
  builtFrom,
  dayOf,
  FACTS_DEFINITION,
  isCurrent,
  listSources,
  META,
  partitionOfDay,
  signatureOf,
  type Built,
  type SourceObject,
} from './built.ts';
import { REGISTRY_INTERVALS, rollupSql } from './sql.ts';

export interface RollupDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  /** Where a day's objects are fetched and its rollups written before upload. @default a fresh temp dir */
  readonly workDir?: string | undefined;
  /** DuckDB worker threads. @default 2 */
  readonly threads?: number | undefined;
  readonly meter?: ProgressMeter | undefined;
  /**
   * The registry's intervals (asset id → seconds) that win over the observed cadence in
   * `expected_count` (`registryIntervals` over the assets table). A change rebuilds every day.
   * @default none: the observed cadence everywhere
   */
  readonly registryIntervals?: (() => Promise<ReadonlyMap<string, number>>) | undefined;
}

export interface RollupRequest {
  /** Rebuild every day, changed or not. */
  readonly force?: boolean | undefined;
  /**
   * Asked before fetching each changed day after the first, and before rebuilding each day
   * after the first: false leaves the rest for the next run (the Lambda's remaining time).
   * A run always fetches and rebuilds at least one day, so successive runs work through
   * any backlog. @default - always go on
   */
  readonly keepGoing?: ((phase: 'fetch' | 'rebuild') => boolean) | undefined;
}

export interface RollupOutcome {
  /** Day partitions of the readings table. */
  readonly days: number;
  /** Days whose rollups were (re)built, `YYYY-MM-DD`. */
  readonly rebuilt: readonly string[];
  /** Days whose readings are gone, so their rollups were deleted. */
  readonly removed: readonly string[];
  /** Days still to (re)build, left by `keepGoing`: the next run does them. */
  readonly left_for_next_run: number;
  /** The network-wide coverage the expected counts were counted over. */
  readonly coverage?: { readonly first_ts: string; readonly watermark_ts: string } | undefined;
}

const PARALLEL = 8;
const DAY_MS = 86_400_000;
const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** What the registry's intervals are, as text: a changed registry interval changes every day's expected counts. */
export function intervalsSignature(intervals: ReadonlyMap<string, number>): string {
  const h = createHash('sha256');
  for (const [id, s] of [...intervals].sort(([a], [b]) => a.localeCompare(b))) h.update(`${id}\u0000${s}\n`);
  return h.digest('hex').slice(0, 32);
}

/** The part of a day its expected counts are counted over, as text (what changes when coverage moves). */
export function clipOf(day: string, coverage: Coverage): string {
  const start = Date.parse(`${day}T00:00:00.000Z`);
  const from = Math.max(start, coverage.firstMs);
  const to = Math.min(start + DAY_MS, coverage.watermarkMs);
  return `${new Date(from).toISOString()}/${new Date(to).toISOString()}`;
}

export async function buildRollups(deps: RollupDeps, options: RollupRequest = {}): Promise<RollupOutcome> {
  const keepGoing = options.keepGoing ?? (() => true);
  const sources = await listSources(deps.s3, deps.bucket);
  const intervals = (await deps.registryIntervals?.()) ?? new Map<string, number>();
  const intervalsSig = intervalsSignature(intervals);
  const rollupDays = await listRollupDays(deps.s3, deps.bucket);
  const days = [...sources.keys()].sort();
  const built = new Map<string, Built | undefined>();
  await inPool(days, PARALLEL, async (day) => {
    built.set(day, await builtFrom(deps, day));
  });

  const changed = days.filter(
    (day) =>
      options.force || !isCurrent(built.get(day), sources.get(day)!) || built.get(day)?.intervals !== intervalsSig,
  );
  const removed = [...rollupDays].filter((day) => !sources.has(day)).sort();
  const work = deps.workDir ?? (await mkdtemp(join(tmpdir(), 'dubegrid-rollups-')));
  const instance = await DuckDBInstance.create(':memory:', { threads: String(deps.threads ?? 2) });
  const c = await instance.connect();
  try {
    await c.run("SET TimeZone = 'UTC'").catch(() => undefined);
    await c.run(`CREATE TEMP TABLE ${REGISTRY_INTERVALS} (asset_id VARCHAR, interval_s BIGINT)`);
    if (intervals.size)
      await c.run(
        `INSERT INTO ${REGISTRY_INTERVALS} VALUES ${[...intervals].map(([id, sec]) => `(${sqlText(id)}, ${Math.round(sec)})`).join(', ')}`,
      );
    // the changed days' own bounds first: the coverage depends on them
    const bounds = new Map<string, { firstMs: number; lastMs: number }>();
    const fetched = new Map<string, string[]>();
    let done = 0;
    const fetchDay = async (day: string): Promise<void> => {
      const files = await fetchDayObjects(deps.s3, deps.bucket, sources.get(day)!, join(work, day));
      fetched.set(day, files);
      await useDay(c, files);
      bounds.set(day, await dayBounds(c));
    };
    // Changed days not fetched are deferred whole. The coverage is then counted without their
    // new bounds; the days it clips record the clip they used, so the run that fetches the
    // deferred days rebuilds them if the coverage moved.
    const deferred = new Set<string>();
    for (const day of changed) {
      if (bounds.size > 0 && !keepGoing('fetch')) {
        deferred.add(day);
        continue;
      }
      await fetchDay(day);
      deps.meter?.({ task: 'rollups', done: ++done, total: changed.length, unit: 'days' });
    }
    for (const day of days) {
      const b = built.get(day);
      if (!bounds.has(day) && b) bounds.set(day, { firstMs: b.firstMs, lastMs: b.lastMs });
    }
    const all = [...bounds.values()].filter((b) => Number.isFinite(b.firstMs));
    const coverage: Coverage | undefined = all.length
      ? { firstMs: Math.min(...all.map((b) => b.firstMs)), watermarkMs: Math.max(...all.map((b) => b.lastMs)) }
      : undefined;
    const due = coverage
      ? days.filter(
          (day) => !deferred.has(day) && (changed.includes(day) || built.get(day)?.clip !== clipOf(day, coverage)),
        )
      : [];
    const rebuild: string[] = [];
    done = 0;
    for (const day of due) {
      if (rebuild.length > 0 && !keepGoing('rebuild')) break;
      rebuild.push(day);
      if (!fetched.has(day)) await fetchDay(day);
      await useDay(c, fetched.get(day)!);
      const b = bounds.get(day)!;
      await writeDay(c, deps, day, join(work, day), coverage!, {
        signature: signatureOf(sources.get(day)!),
        firstMs: b.firstMs,
        lastMs: b.lastMs,
        clip: clipOf(day, coverage!),
        intervals: intervalsSig,
        definition: FACTS_DEFINITION,
      });
      await rm(join(work, day), { recursive: true, force: true });
      deps.meter?.({ task: 'rollups', done: ++done, total: due.length, unit: 'days' });
    }
    await deleteDays(deps.s3, deps.bucket, removed);
    return {
      days: days.length,
      rebuilt: rebuild,
      removed,
      left_for_next_run: deferred.size + due.length - rebuild.length,
      coverage: coverage && {
        first_ts: new Date(coverage.firstMs).toISOString(),
        watermark_ts: new Date(coverage.watermarkMs).toISOString(),
      },
    };
  } finally {
    c.closeSync();
    instance.closeSync();
    if (!deps.workDir) await rm(work, { recursive: true, force: true });
  }
}

async function listRollupDays(s3: S3Client, bucket: string): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const page of paginateListObjectsV2(
    { client: s3 },
    { Bucket: bucket, Prefix: PREFIXES.processedRollups },
  )) {
    for (const o of page.Contents ?? []) {
      const r = o.Key ? rollupOfKey(o.Key) : undefined;
      if (r) out.add(dayOf(r.partition));
    }
  }
  return out;
}

async function fetchDayObjects(
  s3: S3Client,
  bucket: string,
  objects: readonly SourceObject[],
  dir: string,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  await inPool(objects, PARALLEL, async (o, i) => {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.key }));
    const body = await out.Body?.transformToByteArray();
    if (!body) throw new Error(`s3://${bucket}/${o.key} has no body`);
    const file = join(dir, `${i}.parquet`);
    await writeFile(file, body);
    files[i] = file;
  });
  return files;
}

/** Points `readings_delivered` at one day's files and `readings` at the view's SQL over them. */
export async function useDay(c: DuckDBConnection, files: readonly string[]): Promise<void> {
  const columns = READINGS_COLUMNS.map((col) =>
    col.type === 'timestamp' ? `CAST(${col.name} AS TIMESTAMP) AS ${col.name}` : col.name,
  );
  // y/m/d are constant within a day; the view partitions by them, so any constant will do
  await c.run(
    `CREATE OR REPLACE TEMP VIEW ${GLUE.tableName} AS SELECT ${columns.join(', ')}, '' AS y, '' AS m, '' AS d ` +
      `FROM read_parquet([${files.map(sqlText).join(', ')}], union_by_name = true)`,
  );
  await c.run(`CREATE OR REPLACE TEMP VIEW ${GLUE.viewName} AS ${READINGS_VIEW_SQL}`);
}

async function dayBounds(c: DuckDBConnection): Promise<{ firstMs: number; lastMs: number }> {
  const r = await c.runAndReadAll(`SELECT epoch_ms(min(ts)) AS f, epoch_ms(max(ts)) AS l FROM ${GLUE.viewName}`);
  const [f, l] = r.getRowsJS()[0] ?? [];
  return { firstMs: f == null ? NaN : Number(f), lastMs: l == null ? NaN : Number(l) };
}

async function writeDay(
  c: DuckDBConnection,
  deps: RollupDeps,
  day: string,
  dir: string,
  coverage: Coverage,
  built: Built,
): Promise<void> {
  const metadata = {
    [META.signature]: built.signature,
    [META.first]: new Date(built.firstMs).toISOString(),
    [META.last]: new Date(built.lastMs).toISOString(),
    [META.clip]: built.clip,
    [META.intervals]: built.intervals,
    [META.definition]: built.definition,
  };
  await useIntervals(c);
  // daily last: builtFrom only trusts a day whose objects all agree, so any order would do;
  // this one keeps the oldest readers' table (readings_daily) the last to change
  for (const kind of [...FACT_TABLE_KINDS.filter((k) => k !== 'daily'), 'daily' as const]) {
    const file = join(dir, `${kind}.rollup.parquet`);
    await writeFactFile(c, kind, coverage, file);
    await deps.s3.send(
      new PutObjectCommand({
        Bucket: deps.bucket,
        Key: rollupObjectKey(kind, partitionOfDay(day)),
        Body: await readFile(file),
        ContentType: 'application/vnd.apache.parquet',
        Metadata: metadata,
      }),
    );
  }
}

/** The day's intervals (of the relation `readings`), once, as `intervals`: the interval facts' two tables read them. */
export async function useIntervals(c: DuckDBConnection): Promise<void> {
  await c.run(`CREATE OR REPLACE TEMP TABLE intervals AS ${INTERVAL_FACTS.daySql}`);
}

/** One fact table's rows of the day (`useDay`, then `useIntervals`) as a Parquet file. */
export async function writeFactFile(
  c: DuckDBConnection,
  kind: FactTable,
  coverage: Coverage,
  file: string,
): Promise<void> {
  const sql =
    kind === 'asset_intervals'
      ? INTERVAL_FACTS.factsSql
      : kind === 'asset_gaps'
        ? INTERVAL_FACTS.gapsSql
        : rollupSql(kind, coverage);
  // INT64 TIMESTAMP_MILLIS, as the lake's own writer stores times: what Athena engine v3 reads;
  // integers as BIGINT (DuckDB sums integers into HUGEINT, which Glue has no type for)
  const columns = FACT_TABLES[kind].columns.map((col) =>
    col.type === 'timestamp'
      ? `CAST(${col.name} AS TIMESTAMP_MS) AS ${col.name}`
      : col.type === 'bigint'
        ? `CAST(${col.name} AS BIGINT) AS ${col.name}`
        : col.name,
  );
  await c.run(
    `COPY (SELECT ${columns.join(', ')} FROM (${sql}) facts) TO ${sqlText(file)} (FORMAT parquet, COMPRESSION zstd)`,
  );
}

async function deleteDays(s3: S3Client, bucket: string, days: readonly string[]): Promise<void> {
  const keys = days.flatMap((day) => FACT_TABLE_KINDS.map((k) => rollupObjectKey(k, partitionOfDay(day))));
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) },
      }),
    );
  }
}
