/**
 * The compaction part of `lake-ops`, three results from one run:
 *
 * 1. `compaction-one-asset-bytes`: the bytes a one-asset, one-month query must read,
 *    compacted ÷ uncompacted. From each file's footer (DuckDB `parquet_metadata`):
 *    the column chunks of every row group whose `asset_id` min/max does not exclude the
 *    asset — what Athena reads and bills (every column counted). Averaged over a few
 *    assets across the network. Target ≤ 0.1. Objects per partition before and after.
 * 2. `compaction-keeps-up`: compaction rows/s through the object store (the real
 *    `compactLake` against s3rver: list, download, rewrite, upload, delete) ÷ the
 *    pipeline's end-to-end ingest readings/s, measured in the same run. Target ≥ 10:
 *    a day of ingest at full speed is compacted in a tenth of the time it took.
 *    The rewrite alone over the whole month is reported too.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { compactLake } from '../../../src/lake/compaction/compact.ts';
import { DynamoLeaseStore } from '../../../src/lake/compaction/lease.ts';
import { dayOf } from '../../../src/lake/compaction/objects.ts';
import { COMPACTED_PARQUET, rewritePartition } from '../../../src/lake/compaction/rewrite.ts';
import { startStack } from '../../../src/local/stack.ts';
import { inPool } from '../../../src/shared/concurrency.ts';
import { partitionPrefix, type PartitionValues } from '../../../src/shared/glue.ts';
import { atLeast, atMost, round } from '../../types.ts';
import { ingestEndToEnd } from '../lake.ts';
import { whole, type LakeOpsContext, type LakeOpsPart } from './context.ts';

const TARGETS = { bytesRatio: 0.1, keepsUp: 10 } as const;
const DEFAULTS = { s3Days: 3, ingestSubstations: 4, ingestDays: 2, assets: 5 } as const;

const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const dirOf = (root: string, p: PartitionValues): string =>
  join(root, ...partitionPrefix(p).split('/').filter(Boolean));

export const compactionPart: LakeOpsPart = {
  name: 'compaction',
  flags: {
    's3-days': `day partitions compacted through s3rver for the throughput (default ${DEFAULTS.s3Days})`,
    'ingest-substations': `substations of the ingest rate measured alongside (default ${DEFAULTS.ingestSubstations})`,
    'ingest-days': `days of the ingest rate measured alongside (default ${DEFAULTS.ingestDays})`,
    'row-group-rows': `rows per compacted row group (default COMPACTED_PARQUET's ${COMPACTED_PARQUET.rowGroupRows}), to compare sizes`,
  },
  async run(ctx) {
    const { dataset } = ctx;
    const compactedRoot = join(ctx.dir, 'compacted');
    const rowGroupRows = whole(ctx.flags['row-group-rows'], COMPACTED_PARQUET.rowGroupRows);

    // the rewrite alone, every day of the month (the same code the Lambda runs, minus S3)
    let rewriteRows = 0;
    let rewriteMs = 0;
    for (const p of dataset.partitions) {
      const inputs = (await readdir(dirOf(dataset.uncompactedRoot, p))).map((f) =>
        join(dirOf(dataset.uncompactedRoot, p), f),
      );
      const spill = join(ctx.dir, 'spill');
      await mkdir(spill, { recursive: true });
      await mkdir(dirname(dirOf(compactedRoot, p)), { recursive: true });
      const began = performance.now();
      const out = await rewritePartition(p, inputs, dirOf(compactedRoot, p), {
        tempDir: spill,
        threads: 2,
        rowGroupRows,
      });
      rewriteMs += performance.now() - began;
      rewriteRows += out.rowsIn;
    }

    const bytes = await oneAssetBytes(ctx, compactedRoot, whole(ctx.flags['assets'], DEFAULTS.assets));
    const throughput = await throughS3(ctx, whole(ctx.flags['s3-days'], DEFAULTS.s3Days), rowGroupRows);
    const ingest = await ingestEndToEnd(
      join(ctx.dir, 'ingest'),
      whole(ctx.flags['ingest-substations'], DEFAULTS.ingestSubstations),
      whole(ctx.flags['ingest-days'], DEFAULTS.ingestDays),
    );
    const ingestPerS = ingest.readings / (ingest.ingestMs / 1000);
    return [
      atMost('compaction-one-asset-bytes', bytes.ratio, TARGETS.bytesRatio, {
        substations: dataset.substations,
        days: dataset.days,
        readings: dataset.readings,
        assets_queried: bytes.assets.length,
        uncompacted_bytes_read_per_asset: Math.round(bytes.before),
        compacted_bytes_read_per_asset: Math.round(bytes.after),
        worst_asset_ratio: round(bytes.worst),
        uncompacted_month_bytes: bytes.totalBefore,
        compacted_month_bytes: bytes.totalAfter,
        objects_per_partition_before: round(bytes.filesBefore / dataset.partitions.length, 1),
        objects_per_partition_after: round(bytes.filesAfter / dataset.partitions.length, 1),
        row_groups_per_partition_after: round(bytes.rowGroupsAfter / dataset.partitions.length, 1),
        row_group_rows: rowGroupRows,
        build_lake_s: dataset.build_s,
      }),
      atLeast('compaction-keeps-up', throughput.rowsPerS / ingestPerS, TARGETS.keepsUp, {
        compaction_rows_per_s: Math.round(throughput.rowsPerS),
        compaction_partitions: throughput.partitions,
        compaction_rows: throughput.rows,
        compaction_ms: Math.round(throughput.ms),
        ingest_e2e_readings_per_s: Math.round(ingestPerS),
        ingest_readings: ingest.readings,
        rewrite_only_rows_per_s: Math.round(rewriteRows / (rewriteMs / 1000)),
        rewrite_only_month_s: round(rewriteMs / 1000, 1),
      }),
    ];
  },
};

/** Column-chunk bytes a one-asset query reads, before and after, averaged over `n` assets spread over the network. */
async function oneAssetBytes(ctx: LakeOpsContext, compactedRoot: string, n: number) {
  const db = await DuckDBInstance.create(':memory:', { threads: '2' });
  const c = await db.connect();
  try {
    const load = async (name: string, root: string): Promise<void> => {
      await c.run(
        `CREATE TABLE ${name} AS SELECT file_name, row_group_id, path_in_schema, total_compressed_size, stats_min_value, stats_max_value ` +
          `FROM parquet_metadata(${sqlText(join(root, 'processed', 'readings', '*', '*', '*', '*.parquet'))})`,
      );
    };
    await load('before', ctx.dataset.uncompactedRoot);
    await load('after', compactedRoot);
    const assetsRes = await c.runAndReadAll(
      `SELECT DISTINCT asset_id FROM read_parquet(${sqlText(join(compactedRoot, 'processed', 'readings', '*', '*', 'd=01', '*.parquet'))}) ORDER BY 1`,
    );
    const all = assetsRes.getRowsJS().map((r) => String(r[0]));
    const assets = Array.from(
      { length: Math.min(n, all.length) },
      (_, i) => all[Math.floor(((i + 0.5) * all.length) / n)] as string,
    );
    const read = async (table: string, asset: string): Promise<number> => {
      const r = await c.runAndReadAll(
        `WITH groups AS (SELECT file_name, row_group_id FROM ${table} WHERE path_in_schema = 'asset_id' ` +
          `AND NOT (stats_max_value < $1 OR stats_min_value > $1)) ` +
          `SELECT coalesce(sum(t.total_compressed_size), 0) FROM ${table} t JOIN groups USING (file_name, row_group_id)`,
        [asset],
      );
      return Number(r.getRowsJS()[0]?.[0] ?? 0);
    };
    const ratios: number[] = [];
    let before = 0;
    let after = 0;
    for (const a of assets) {
      const [b, x] = [await read('before', a), await read('after', a)];
      before += b / assets.length;
      after += x / assets.length;
      ratios.push(x / b);
    }
    const one = async (sql: string): Promise<number> => Number((await c.runAndReadAll(sql)).getRowsJS()[0]?.[0] ?? 0);
    return {
      assets,
      before,
      after,
      ratio: after / before,
      worst: Math.max(...ratios),
      totalBefore: await one('SELECT sum(total_compressed_size) FROM before'),
      totalAfter: await one('SELECT sum(total_compressed_size) FROM after'),
      filesBefore: await one('SELECT count(DISTINCT file_name) FROM before'),
      filesAfter: await one('SELECT count(DISTINCT file_name) FROM after'),
      rowGroupsAfter: await one('SELECT count(DISTINCT (file_name, row_group_id)) FROM after'),
    };
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

/** The real compaction of `days` partitions on the embedded stack: objects uploaded as delivered, then compactLake timed. */
async function throughS3(ctx: LakeOpsContext, days: number, rowGroupRows: number) {
  const dataDir = join(ctx.dir, 's3-stack');
  const stack = await startStack({ dataDir, services: [] });
  try {
    const { s3, names, doc } = stack.clients;
    const chosen = ctx.dataset.partitions.slice(0, days);
    for (const p of chosen) {
      const dir = dirOf(ctx.dataset.uncompactedRoot, p);
      await inPool(await readdir(dir), 8, async (f) => {
        await s3.send(
          new PutObjectCommand({
            Bucket: names.bucket,
            Key: `${partitionPrefix(p)}${f}`,
            Body: await readFile(join(dir, f)),
          }),
        );
      });
    }
    const began = performance.now();
    const summary = await compactLake(
      { s3, bucket: names.bucket, leases: new DynamoLeaseStore(doc), workDir: ctx.dir, threads: 2, rowGroupRows },
      { since: dayOf(chosen[0] as PartitionValues) },
    );
    const ms = performance.now() - began;
    if (summary.failed || summary.compacted_days.length !== chosen.length)
      throw new Error(
        `compaction did not complete: ${JSON.stringify(summary.partitions.map((p) => [p.day, p.status, p.error]))}`,
      );
    return { rows: summary.rows_in, partitions: chosen.length, ms, rowsPerS: summary.rows_in / (ms / 1000) };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
