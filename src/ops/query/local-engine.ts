/**
 * DuckDB in Athena's place: the same relations over the same Parquet objects.
 *
 * - `readings_delivered`: the Parquet files of the local mirror (`cache.ts`), with the
 *   `y`/`m`/`d` partition columns from their paths (strings, as in Glue);
 * - `readings`: the deduplicated readings — the very SQL Athena's view runs
 *   (`glue.ts`), applied once per changed day partition and kept (`dedupe.ts`);
 * - `assets`: the registry, shaped like the `assets` Glue table;
 * - `alerts`: the alert notifications under `processed/alerts/` (JSON lines), with
 *   their `y`/`m`/`d` partition columns, as the Glue table reads them;
 * - `readings_hourly`, `readings_daily`, `asset_intervals_daily`, `asset_gaps_daily`: the
 *   fact layer's Parquet under `processed/rollups/`, with their `y`/`m`/`d` partition columns.
 *
 * Every session is set to UTC, so `CAST(ts AS DATE)` is the UTC date, as on Athena.
 */
import { DuckDBInstance, DuckDBTypeId, type DuckDBConnection, type DuckDBType } from '@duckdb/node-api';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ALERTS_COLUMNS,
  ASSETS_COLUMNS,
  DUCKDB_TYPE,
  PARTITION_KEYS,
  READINGS_COLUMNS,
  FACT_TABLES,
  READINGS_VIEW_SQL,
  type GlueColumn,
} from '../../shared/glue.ts';
import { GLUE, PREFIXES } from '../../shared/resources.ts';
import { dedupeDays, dedupedDir, type DedupeOutcome } from './dedupe.ts';
import type { AssetRow } from './registry.ts';
import { oneLine, QueryError, type Cell, type QueryResult, type SqlEngine } from './result.ts';

export interface LocalEngineOptions {
  /** Root of the mirror: the lake's objects are below `<lakeDir>/processed/readings/` and `…/processed/alerts/`. */
  readonly lakeDir: string;
  readonly assets?: readonly AssetRow[];
  /** @default 2 */
  readonly threads?: number;
}

const sqlText = (s: string): string => `'${s.replace(/'/g, "''")}'`;

export class LocalSqlEngine implements SqlEngine {
  readonly target = 'local' as const;

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    /** Parquet files the lake relation reads. */
    readonly files: number,
    /** What deduplicating the changed days took. */
    readonly dedupe: DedupeOutcome,
  ) {}

  static async open(options: LocalEngineOptions): Promise<LocalSqlEngine> {
    const instance = await DuckDBInstance.create(':memory:', { threads: String(options.threads ?? 2) });
    const c = await instance.connect();
    try {
      await c.run("SET TimeZone = 'UTC'").catch(() => undefined); // without ICU there are no zones to set: already UTC
      const root = join(options.lakeDir, ...PREFIXES.processed.split('/').filter(Boolean));
      const files = await countFiles(root, '.parquet');
      const dedupe = await dedupeDays(options.lakeDir, { threads: options.threads ?? 2 });
      const columns = READINGS_COLUMNS.map((col) =>
        col.type === 'timestamp' ? `CAST(${col.name} AS TIMESTAMP) AS ${col.name}` : col.name,
      );
      const partitions = PARTITION_KEYS.map((k) => k.name);
      const over = (dir: string, file: string): string =>
        `SELECT ${[...columns, ...partitions].join(', ')} ` +
        `FROM read_parquet(${sqlText(join(dir, '*', '*', '*', file))}, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)`;
      if (files > 0) {
        await c.run(`CREATE VIEW ${GLUE.tableName} AS ${over(root, '*.parquet')}`);
        await c.run(`CREATE VIEW ${GLUE.viewName} AS ${over(dedupedDir(options.lakeDir), 'readings.parquet')}`);
      } else {
        const defs = [...READINGS_COLUMNS, ...PARTITION_KEYS].map((col) => `${col.name} ${DUCKDB_TYPE[col.type]}`);
        await c.run(`CREATE TABLE ${GLUE.tableName} (${defs.join(', ')})`);
        await c.run(`CREATE VIEW ${GLUE.viewName} AS ${READINGS_VIEW_SQL}`);
      }
      await createTable(
        c,
        GLUE.assetsTableName,
        ASSETS_COLUMNS.map((col) => [col.name, 'VARCHAR'] as const),
        options.assets ?? [],
      );
      await createAlerts(c, join(options.lakeDir, ...PREFIXES.processedAlerts.split('/').filter(Boolean)));
      for (const t of Object.values(FACT_TABLES)) {
        await createFacts(c, t.tableName, t.columns, join(options.lakeDir, ...t.prefix.split('/').filter(Boolean)));
      }
      return new LocalSqlEngine(instance, c, files, dedupe);
    } catch (err) {
      c.closeSync();
      instance.closeSync();
      throw err;
    }
  }

  async run(sql: string, params: readonly string[] = []): Promise<QueryResult> {
    let reader;
    try {
      reader = await this.connection.runAndReadAll(sql, params.length ? [...params] : undefined);
    } catch (err) {
      throw new QueryError(oneLine((err as Error).message), { cause: err });
    }
    const types = reader.columnTypes();
    const columns = reader
      .columnNames()
      .map((name, i) => ({ name, type: (types[i]?.toString() ?? 'unknown').toLowerCase() }));
    const rows = reader.getRowsJS().map((row) => row.map((v, i) => cellOf(v, types[i])));
    return { columns, rows };
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

async function createTable(
  c: DuckDBConnection,
  name: string,
  columns: readonly (readonly [string, string])[],
  rows: readonly Record<string, string | number | null>[],
): Promise<void> {
  await c.run(`CREATE TABLE ${name} (${columns.map(([n, t]) => `${n} ${t}`).join(', ')})`);
  if (!rows.length) return;
  const appender = await c.createAppender(name);
  try {
    for (const row of rows) {
      for (const [n, t] of columns) {
        const v = row[n];
        if (v === null || v === undefined) appender.appendNull();
        else if (t === 'DOUBLE') appender.appendDouble(Number(v));
        else appender.appendVarchar(String(v));
      }
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
}

/** The `alerts` relation: the notification objects, typed by the Glue columns (an empty table when there are none). */
async function createAlerts(c: DuckDBConnection, root: string): Promise<void> {
  const partitions = PARTITION_KEYS.map((k) => k.name);
  if ((await countFiles(root, '.json')) === 0) {
    const defs = [...ALERTS_COLUMNS, ...PARTITION_KEYS].map((col) => `${col.name} ${DUCKDB_TYPE[col.type]}`);
    await c.run(`CREATE TABLE ${GLUE.alertsTableName} (${defs.join(', ')})`);
    return;
  }
  const columns = `{${ALERTS_COLUMNS.map((col) => `${sqlText(col.name)}: ${sqlText(DUCKDB_TYPE[col.type])}`).join(', ')}}`;
  await c.run(
    `CREATE VIEW ${GLUE.alertsTableName} AS SELECT ${[...ALERTS_COLUMNS.map((col) => col.name), ...partitions].join(', ')} ` +
      `FROM read_json(${sqlText(join(root, '*', '*', '*', '*.json'))}, format = 'newline_delimited', columns = ${columns}, hive_partitioning = true, hive_types_autocast = false)`,
  );
}

/** A fact layer relation: its Parquet objects with their partition columns (an empty table when there are none). */
async function createFacts(
  c: DuckDBConnection,
  name: string,
  dataColumns: readonly GlueColumn[],
  root: string,
): Promise<void> {
  const columns = [...dataColumns, ...PARTITION_KEYS];
  if ((await countFiles(root, '.parquet')) === 0) {
    await c.run(`CREATE TABLE ${name} (${columns.map((col) => `${col.name} ${DUCKDB_TYPE[col.type]}`).join(', ')})`);
    return;
  }
  await c.run(
    `CREATE VIEW ${name} AS SELECT ${columns.map((col) => (col.type === 'timestamp' ? `CAST(${col.name} AS TIMESTAMP) AS ${col.name}` : col.name)).join(', ')} ` +
      `FROM read_parquet(${sqlText(join(root, '*', '*', '*', '*.parquet'))}, hive_partitioning = true, hive_types_autocast = false)`,
  );
}

async function countFiles(root: string, suffix: string): Promise<number> {
  try {
    const entries = await readdir(root, { recursive: true });
    return entries.filter((e) => e.endsWith(suffix)).length;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

function cellOf(value: unknown, type: DuckDBType | undefined): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date)
    return type?.typeId === DuckDBTypeId.DATE ? value.toISOString().slice(0, 10) : value.toISOString();
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}
