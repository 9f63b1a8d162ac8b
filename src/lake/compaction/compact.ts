/**
 * Lake compaction: each day partition's objects rewritten into as few sorted,
 * deduplicated Parquet objects as the size target allows (docs/lake.md → "Compaction").
 *
 * Order of the steps, and why no reader ever misses a row:
 *
 *   lease → list → download → rewrite → upload (each output) → delete (exactly the
 *   listed inputs) → release
 *
 * The outputs hold exactly what the view shows for the inputs, and are all written
 * before any input is deleted. Between the two, readers see both copies, which the
 * view dedupes (identical rows); before and after, one of them. Objects that arrive
 * after the listing are not inputs: they are never deleted, and the next run merges
 * them. A run killed at any step leaves the old objects, the new ones, or both; the
 * next run lists them all and finishes the job, since a partition counts as compacted
 * only when every object in it comes from one run (`isCompacted`).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { readFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPACTION, compactedObjectName } from '../../shared/compaction.ts';
import { chunks, inPool } from '../../shared/concurrency.ts';
import { partitionPrefix, type PartitionValues } from '../../shared/glue.ts';
import type { LeaseStore } from './lease.ts';
import {
  CompactionError,
  dayOf,
  deleteExactly,
  download,
  isCompacted,
  listPartitionObjects,
  listPartitions,
  partitionOfDay,
  upload,
  type LakeObject,
} from './objects.ts';
import { rewritePartition } from './rewrite.ts';

/** The steps of one partition's compaction, in order: where a test injects a crash. */
export const COMPACTION_STEPS = ['lease', 'list', 'download', 'rewrite', 'upload', 'delete', 'release'] as const;
export type CompactionStep = (typeof COMPACTION_STEPS)[number];

export interface CompactionDeps {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly leases: LeaseStore;
  /** @default Date.now */
  readonly now?: (() => number) | undefined;
  /** Where inputs are downloaded and outputs written. @default the OS temp dir */
  readonly workDir?: string | undefined;
  /** DuckDB threads. @default 2 */
  readonly threads?: number | undefined;
  readonly rowGroupRows?: number | undefined;
  readonly targetFileBytes?: number | undefined;
  /** @default COMPACTION.leaseSeconds */
  readonly leaseMs?: number | undefined;
  /** Keys per DeleteObjects call. @default 1000 (the API's maximum) */
  readonly deleteBatch?: number | undefined;
  /**
   * Called before each step (`n`: the output or delete batch about to be written).
   * Throwing here is a crash at that step: the failure-injection seam of the tests.
   */
  readonly beforeStep?: ((step: CompactionStep, p: PartitionValues, n: number) => void | Promise<void>) | undefined;
  /**
   * A partition was rewritten (its inputs are gone, its outputs in place, the lease
   * released): the natural trigger of that day's rollups. An error here fails the run.
   */
  readonly onPartitionCompacted?: ((c: PartitionCompaction) => Promise<void>) | undefined;
}

export interface CompactionRequest {
  /** One day (`YYYY-MM-DD`). */
  readonly day?: string | undefined;
  /** This day and every later one. Neither: every partition. */
  readonly since?: string | undefined;
  /** Only partitions whose newest object is at least this old. @default 0 (on demand) */
  readonly quietMs?: number | undefined;
  /** Asked before each partition: false stops the run (the Lambda's remaining time). */
  readonly keepGoing?: (() => boolean) | undefined;
  readonly onProgress?: ((done: number, total: number, day: string) => void) | undefined;
}

export type PartitionStatus = 'compacted' | 'already-compacted' | 'not-quiet' | 'leased' | 'empty' | 'failed';

export interface PartitionCompaction {
  readonly day: string;
  readonly partition: PartitionValues;
  readonly status: PartitionStatus;
  readonly inputs: number;
  readonly input_bytes: number;
  readonly outputs: number;
  readonly output_bytes: number;
  readonly rows_in: number;
  readonly rows_out: number;
  /** The keys written (status `compacted`). */
  readonly output_keys: readonly string[];
  readonly elapsed_ms: number;
  readonly error?: string | undefined;
}

export interface CompactionSummary {
  readonly partitions: readonly PartitionCompaction[];
  /** Days rewritten by this run: what the rollups rebuild. */
  readonly compacted_days: readonly string[];
  readonly rows_in: number;
  readonly rows_out: number;
  readonly inputs: number;
  readonly outputs: number;
  readonly failed: number;
  /** Partitions left for the next run because `keepGoing` said stop. */
  readonly left_for_next_run: number;
  readonly elapsed_ms: number;
}

/** Compacts the requested partitions one after the other; a failed partition does not stop the others. */
export async function compactLake(deps: CompactionDeps, request: CompactionRequest = {}): Promise<CompactionSummary> {
  const began = performance.now();
  const chosen = await choosePartitions(deps, request);
  const partitions: PartitionCompaction[] = [];
  let left = 0;
  for (const [i, p] of chosen.entries()) {
    if (request.keepGoing && !request.keepGoing()) {
      left = chosen.length - i;
      break;
    }
    partitions.push(await compactPartition(deps, p, request.quietMs ?? 0));
    request.onProgress?.(i + 1, chosen.length, dayOf(p));
  }
  const done = partitions.filter((r) => r.status === 'compacted');
  const sum = (k: 'rows_in' | 'rows_out' | 'inputs' | 'outputs'): number => done.reduce((n, r) => n + r[k], 0);
  return {
    partitions,
    compacted_days: done.map((r) => r.day),
    rows_in: sum('rows_in'),
    rows_out: sum('rows_out'),
    inputs: sum('inputs'),
    outputs: sum('outputs'),
    failed: partitions.filter((r) => r.status === 'failed').length,
    left_for_next_run: left,
    elapsed_ms: Math.round(performance.now() - began),
  };
}

async function choosePartitions(deps: CompactionDeps, request: CompactionRequest): Promise<PartitionValues[]> {
  if (request.day !== undefined && request.since !== undefined)
    throw new CompactionError('give --day or --since, not both');
  if (request.day !== undefined) return [partitionOfDay(request.day)];
  return listPartitions(deps.s3, deps.bucket, request.since === undefined ? undefined : partitionOfDay(request.since));
}

/** One partition, start to end. Any error is reported as status `failed` (the lease released). */
export async function compactPartition(
  deps: CompactionDeps,
  p: PartitionValues,
  quietMs = 0,
): Promise<PartitionCompaction> {
  const began = performance.now();
  const now = deps.now ?? Date.now;
  const result = (
    status: PartitionStatus,
    objects: readonly LakeObject[],
    extra: Partial<PartitionCompaction> = {},
  ) => ({
    day: dayOf(p),
    partition: p,
    status,
    inputs: objects.length,
    input_bytes: objects.reduce((n, o) => n + o.size, 0),
    outputs: 0,
    output_bytes: 0,
    rows_in: 0,
    rows_out: 0,
    output_keys: [],
    elapsed_ms: Math.round(performance.now() - began),
    ...extra,
  });
  const step = async (s: CompactionStep, n = 0): Promise<void> => deps.beforeStep?.(s, p, n);

  // A look before the lease, so that a timer passing over a year of settled days writes nothing.
  const seen = await listPartitionObjects(deps.s3, deps.bucket, p);
  if (!seen.length) return result('empty', seen);
  if (isCompacted(seen)) return result('already-compacted', seen);
  if (quietMs > 0 && now() - Math.max(...seen.map((o) => o.lastModified)) < quietMs) return result('not-quiet', seen);

  const leaseId = `compaction#${partitionPrefix(p)}`;
  const runId = newRunId(now());
  const work = await mkdtemp(join(deps.workDir ?? tmpdir(), `dubegrid-compact-${dayOf(p)}-`));
  let leased = false;
  try {
    await step('lease');
    const lease = await deps.leases.acquire(leaseId, runId, now(), deps.leaseMs ?? COMPACTION.leaseSeconds * 1000);
    if (!lease.ok) return result('leased', seen, { error: `held by run ${lease.holder?.owner ?? '?'}` });
    leased = true;

    await step('list');
    // the inputs: exactly what is there now, under the lease; anything later is not ours to delete
    const inputs = await listPartitionObjects(deps.s3, deps.bucket, p);
    if (!inputs.length) return result('empty', inputs);
    if (isCompacted(inputs)) return result('already-compacted', inputs);

    await step('download');
    await mkdir(join(work, 'in'));
    const local = inputs.map((_, i) => join(work, 'in', `${i}.parquet`));
    await inPool(inputs, 4, (o, i) => download(deps.s3, deps.bucket, o.key, local[i] as string));

    await step('rewrite');
    await mkdir(join(work, 'spill'));
    const rewritten = await rewritePartition(p, local, join(work, 'out'), {
      threads: deps.threads,
      tempDir: join(work, 'spill'),
      rowGroupRows: deps.rowGroupRows,
      targetFileBytes: deps.targetFileBytes,
    });
    if (rewritten.rowsIn > 0 && (rewritten.rowsOut === 0 || rewritten.rowsOut > rewritten.rowsIn))
      throw new CompactionError(`rewrite of ${dayOf(p)} read ${rewritten.rowsIn} rows but wrote ${rewritten.rowsOut}`);

    const keys: string[] = [];
    let outputBytes = 0;
    for (const [i, file] of rewritten.files.entries()) {
      await step('upload', i);
      const key = `${partitionPrefix(p)}${compactedObjectName(runId, i)}`;
      const body = await readFile(file);
      await upload(deps.s3, deps.bucket, key, body);
      keys.push(key);
      outputBytes += body.length;
    }

    for (const [i, batch] of chunks(inputs, deps.deleteBatch ?? 1000).entries()) {
      await step('delete', i);
      await deleteExactly(
        deps.s3,
        deps.bucket,
        batch.map((o) => o.key),
      );
    }

    await step('release');
    await deps.leases.release(leaseId, runId);
    leased = false;
    const done = result('compacted', inputs, {
      outputs: keys.length,
      output_bytes: outputBytes,
      rows_in: rewritten.rowsIn,
      rows_out: rewritten.rowsOut,
      output_keys: keys,
    });
    await deps.onPartitionCompacted?.(done);
    return done;
  } catch (err) {
    return result('failed', seen, { error: (err as Error).message.split('\n')[0] });
  } finally {
    // a failed step leaves a state the next run completes; the lease only has to let it in
    if (leased) await deps.leases.release(leaseId, runId).catch(() => undefined);
    await rm(work, { recursive: true, force: true });
  }
}

/** `YYYYMMDDTHHMMSSZ-<8 hex>`: sorts by time, unique per run. */
function newRunId(nowMs: number): string {
  const stamp = new Date(nowMs)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${randomBytes(4).toString('hex')}`;
}
