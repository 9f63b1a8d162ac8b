/**
 * The Parquet writer of the lake: reading events in, the bytes of one Parquet object
 * out, with the columns of the Glue readings table (`READINGS_COLUMNS`).
 *
 * DuckDB writes it (rows through its appender, then `COPY … (FORMAT parquet)`): measured
 * against parquetjs-lite in `bench/benchmarks/lake.ts` it is several times faster and,
 * with dictionary encoding and ZSTD, writes fewer bytes (docs/adr/0006-duckdb-writes-parquet.md).
 * `ts` is stored as INT64 TIMESTAMP_MILLIS (isAdjustedToUTC=false, i.e. Glue's
 * `timestamp` semantics: a UTC wall-clock instant): exact for the contract's
 * millisecond timestamps, read as TIMESTAMP by DuckDB and as `timestamp` by Athena
 * engine v3 — which also reads the INT96 that Firehose itself writes on AWS.
 * Rows are sorted by asset, measurement and time: runs of equal values compress, and
 * row-group statistics let readers skip.
 */
import {
  DuckDBInstance,
  DuckDBTimestampMillisecondsValue,
  type DuckDBAppender,
  type DuckDBConnection,
} from '@duckdb/node-api';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadingEvent } from '../shared/event.ts';
import { READINGS_COLUMNS, type GlueType } from '../shared/glue.ts';

export interface ParquetWriter {
  /** The bytes of one Parquet object holding `events`. */
  write(events: readonly ReadingEvent[]): Promise<Buffer>;
  close(): Promise<void>;
}

export const LAKE_PARQUET = {
  /** Athena and DuckDB both read ZSTD Parquet; it halves the hex `event_id` column that Snappy cannot. */
  compression: 'zstd',
  sortedBy: ['asset_id', 'measurement', 'ts'],
} as const;

/** Storage types of the writer's table: `ts` as milliseconds, the contract's precision. */
const STORAGE_TYPE: Record<GlueType, string> = {
  int: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  string: 'VARCHAR',
  timestamp: 'TIMESTAMP_MS',
};

export class ParquetWriteError extends Error {
  override name = 'ParquetWriteError';
}

export interface DuckDbWriterOptions {
  /** DuckDB worker threads; the writer shares the machine with the rest of the pipeline. @default 1 */
  readonly threads?: number;
  /** Where the temporary Parquet files go. @default a fresh dir under the OS temp dir */
  readonly tmpDir?: string;
}

/**
 * One DuckDB instance per `write`, closed before it returns. Closing is what gives DuckDB's
 * memory back: a kept instance grew ~130 MiB above its start while writing 19,000-row
 * buffers in a loop (its allocator keeps what a write used, and the table keeps deleted
 * rows' storage) and held it until closed, whatever `memory_limit` or
 * `allocator_flush_threshold` said; in `up` that was memory held between every flush
 * (docs/reliability.md → "Peak memory"). An instance costs ~30 ms to open.
 */
export class DuckDbParquetWriter implements ParquetWriter {
  private files = 0;
  private closed = false;

  private constructor(
    private readonly threads: number,
    private readonly dir: string,
    private readonly ownsDir: boolean,
  ) {}

  static async open(options: DuckDbWriterOptions = {}): Promise<DuckDbParquetWriter> {
    const order = READINGS_COLUMNS.map((c) => c.name).join(',');
    if (order !== APPEND_ORDER.join(',')) {
      throw new ParquetWriteError(
        `the writer appends ${APPEND_ORDER.join(',')} but the Glue columns are ${order}: update appendEvent`,
      );
    }
    const dir = options.tmpDir ?? (await mkdtemp(join(tmpdir(), 'dubegrid-lake-')));
    return new DuckDbParquetWriter(options.threads ?? 1, dir, options.tmpDir === undefined);
  }

  async write(events: readonly ReadingEvent[]): Promise<Buffer> {
    if (this.closed) throw new ParquetWriteError('the Parquet writer is closed');
    const file = join(this.dir, `part-${process.pid}-${++this.files}.parquet`);
    let instance: DuckDBInstance | undefined;
    try {
      instance = await DuckDBInstance.create(':memory:', { threads: String(this.threads) });
      const connection = await instance.connect();
      try {
        await writeParquetFile(connection, events, file);
      } finally {
        connection.closeSync();
      }
      return await readFile(file);
    } catch (err) {
      throw new ParquetWriteError(
        `could not write ${events.length} rows as Parquet: ${(err as Error).message.split('\n')[0]}`,
        { cause: err },
      );
    } finally {
      instance?.closeSync();
      await rm(file, { force: true });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** `events` as the Parquet file `file`, sorted, through a table of the Glue columns. */
async function writeParquetFile(c: DuckDBConnection, events: readonly ReadingEvent[], file: string): Promise<void> {
  const columns = READINGS_COLUMNS.map((col) => `${col.name} ${STORAGE_TYPE[col.type]}`).join(', ');
  await c.run(`CREATE TABLE lake_rows (${columns})`);
  const appender = await c.createAppender('lake_rows');
  try {
    for (const e of events) appendEvent(appender, e);
  } finally {
    appender.closeSync();
  }
  await c.run(
    `COPY (SELECT * FROM lake_rows ORDER BY ${LAKE_PARQUET.sortedBy.join(', ')}) TO '${file.replace(/'/g, "''")}' (FORMAT parquet, COMPRESSION ${LAKE_PARQUET.compression})`,
  );
}

/** The column order `appendEvent` writes; `open` refuses a schema that differs. */
const APPEND_ORDER = [
  'v',
  'event_id',
  'asset_id',
  'substation_id',
  'substation_name',
  'feeder_id',
  'measurement',
  'phase',
  'unit',
  'value',
  'ts',
  'source_bucket',
  'source_key',
  'source_etag',
  'source_line',
  'ingested_at',
] as const;

/** One row in `APPEND_ORDER`. */
function appendEvent(a: DuckDBAppender, e: ReadingEvent): void {
  a.appendInteger(e.v);
  a.appendVarchar(e.event_id);
  a.appendVarchar(e.asset_id);
  a.appendVarchar(e.substation_id);
  a.appendVarchar(e.substation_name);
  a.appendVarchar(e.feeder_id);
  a.appendVarchar(e.measurement);
  if (e.phase === null) a.appendNull();
  else a.appendVarchar(e.phase);
  a.appendVarchar(e.unit);
  a.appendDouble(e.value);
  a.appendTimestampMilliseconds(new DuckDBTimestampMillisecondsValue(BigInt(Date.parse(e.ts))));
  a.appendVarchar(e.source_bucket);
  a.appendVarchar(e.source_key);
  a.appendVarchar(e.source_etag);
  a.appendInteger(e.source_line);
  a.appendVarchar(e.ingested_at);
  a.endRow();
}
