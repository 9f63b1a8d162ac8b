/**
 * The rewrite at the heart of a compaction, in DuckDB: the objects of one day partition
 * in, few Parquet files out, holding exactly what the `readings` view shows for that day
 * — the view's own SQL (`READINGS_VIEW_SQL`) picks the winning correction — sorted by
 * `LAKE_PARQUET.sortedBy`, in row groups small enough that one asset's rows fill one
 * or two of them, so min/max statistics let Athena and DuckDB skip the rest.
 *
 * The same code runs in the compaction Lambda and in the embedded stack (docs/adr/0016).
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { GLUE } from '../../shared/resources.ts';
import { READINGS_COLUMNS, READINGS_VIEW_SQL, type PartitionValues } from '../../shared/glue.ts';
import { LAKE_PARQUET } from '../parquet.ts';

export const COMPACTED_PARQUET = {
  /**
   * Rows per row group (DuckDB's 2048-row vector, its smallest). One asset's day is ~650–900
   * rows, so it sits in one or two groups whatever the network's size, and a one-asset query
   * reads 1–2 groups of a day: measured side by side (`npm run bench -- lake-ops
   * --row-group-rows=N`, 30 substations × 2 days), 2048 reads 0.04 of the uncompacted bytes
   * against 8192's 0.133, for 3 % more bytes stored and the same rewrite rate. 8192 met
   * the target only from ~100 substations (0.03).
   */
  rowGroupRows: 2048,
  /** A new file starts past this size: few files, each still a reasonable unit for one Athena split. */
  targetFileBytes: 256 * 1024 * 1024,
} as const;

export interface RewriteOptions {
  /** DuckDB worker threads. @default 2 */
  readonly threads?: number | undefined;
  /** Where DuckDB may spill while sorting. */
  readonly tempDir: string;
  readonly rowGroupRows?: number | undefined;
  readonly targetFileBytes?: number | undefined;
}

export interface RewriteOutcome {
  readonly rowsIn: number;
  readonly rowsOut: number;
  /** The written files, in sort order. */
  readonly files: readonly string[];
}

const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Rewrites `inputs` (local Parquet files of partition `p`) into `outDir`. */
export async function rewritePartition(
  p: PartitionValues,
  inputs: readonly string[],
  outDir: string,
  options: RewriteOptions,
): Promise<RewriteOutcome> {
  const instance = await DuckDBInstance.create(':memory:', {
    threads: String(options.threads ?? 2),
    temp_directory: options.tempDir,
    preserve_insertion_order: 'true',
  });
  const c = await instance.connect();
  try {
    const names = READINGS_COLUMNS.map((col) => col.name);
    // the delivered rows of this day, with its partition values as the Glue table gives them
    await c.run(
      `CREATE TEMP VIEW ${GLUE.tableName} AS SELECT ${names.join(', ')}, ${sqlText(p.y)} AS y, ${sqlText(p.m)} AS m, ${sqlText(p.d)} AS d ` +
        `FROM read_parquet([${inputs.map(sqlText).join(', ')}], union_by_name = true, hive_partitioning = false)`,
    );
    const rowsIn = Number((await c.runAndReadAll(`SELECT count(*) FROM ${GLUE.tableName}`)).getRowsJS()[0]?.[0] ?? 0);
    // the stored types of the lake writer: `ts` as milliseconds (Firehose's INT96 inputs become TIMESTAMP_MS too)
    const columns = READINGS_COLUMNS.map((col) =>
      col.type === 'timestamp' ? `CAST(${col.name} AS TIMESTAMP_MS) AS ${col.name}` : col.name,
    );
    await c.run(
      `COPY (SELECT ${columns.join(', ')} FROM (${READINGS_VIEW_SQL}) deduplicated ORDER BY ${LAKE_PARQUET.sortedBy.join(', ')}) ` +
        `TO ${sqlText(outDir)} (FORMAT parquet, COMPRESSION ${LAKE_PARQUET.compression}, ` +
        `ROW_GROUP_SIZE ${options.rowGroupRows ?? COMPACTED_PARQUET.rowGroupRows}, ` +
        `FILE_SIZE_BYTES ${options.targetFileBytes ?? COMPACTED_PARQUET.targetFileBytes})`,
    );
    const files = (await readdir(outDir))
      .filter((f) => f.endsWith('.parquet'))
      .sort((a, b) => fileIndex(a) - fileIndex(b))
      .map((f) => join(outDir, f));
    const rowsOut = files.length
      ? Number(
          (
            await c.runAndReadAll(
              `SELECT coalesce(sum(num_rows), 0) FROM parquet_file_metadata([${files.map(sqlText).join(', ')}])`,
            )
          ).getRowsJS()[0]?.[0] ?? 0,
        )
      : 0;
    return { rowsIn, rowsOut, files };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** DuckDB names the files `data_<n>.parquet`; their order is the sort order. */
function fileIndex(name: string): number {
  return Number(/(\d+)\.parquet$/.exec(name)?.[1] ?? 0);
}
