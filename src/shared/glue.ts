/**
 * The lake's catalogue: the ONE definition of the Glue tables, the deduplicating view,
 * the partition layout and the Firehose conversion settings. The CDK stack builds
 * `AWS::Glue::Table`s and the delivery stream from here; the local delivery stream
 * writes Parquet with these columns; DuckDB builds the same relations locally.
 *
 * - `readings_delivered` (`GLUE.tableName`): Parquet under `processed/readings/
 *   y=YYYY/m=MM/d=DD/`, the contract-v1 columns in `EVENT_FIELDS` order, partition
 *   projection (no crawler, no MSCK REPAIR). Delivery is at least once: it may hold a
 *   reading twice.
 * - `readings` (`GLUE.viewName`): one row per `event_id`, the winning correction
 *   (later `ingested_at`, then `source_key`, then `source_line` — `compareEmission`).
 * - `assets` (`GLUE.assetsTableName`): the registry CSVs under `reference/assets/`,
 *   every column a string, as `dubegrid generate` writes `assets.csv`.
 * - `readings_hourly`, `readings_daily` (`ROLLUP_GRAINS`): the fact layer, one row per
 *   asset × measurement × hour or day, Parquet under `processed/rollups/{hourly,daily}/
 *   y=/m=/d=/` (built by `src/lake/rollups/`, docs/lake.md → "The fact layer");
 *   `asset_intervals_daily`, `asset_gaps_daily`: the summaries' interval facts per asset ×
 *   day, beside them (`FACT_TABLES`).
 * - `alerts` (`GLUE.alertsTableName`): one JSON object per alert notification under
 *   `processed/alerts/y=/m=/d=/` (the day its incident opened), keyed by notification
 *   id, so writing one again replaces it: the summaries count alerts from here.
 */
import { ASSETS_CSV_COLUMNS } from './assets-csv.ts';
import { EVENT_FIELDS, type ReadingEvent } from './event.ts';
import { GLUE, PREFIXES } from './resources.ts';

/** Hive/Glue column types the lake uses. */
export type GlueType = 'int' | 'bigint' | 'double' | 'string' | 'timestamp';

export interface GlueColumn {
  readonly name: string;
  readonly type: GlueType;
}

type EventField = (typeof EVENT_FIELDS)[number];

/** Columns that are not strings; every other contract field is a `string`. */
const NON_STRING: Partial<Record<EventField, GlueType>> = {
  v: 'int',
  value: 'double',
  // A Glue `timestamp`: Athena reads it from INT96 (what Firehose writes) and from
  // INT64 TIMESTAMP_MILLIS (what the local writer writes); both are UTC instants.
  ts: 'timestamp',
  source_line: 'int',
};

/** The data columns of the readings table, derived from the contract's field order. */
export const READINGS_COLUMNS: readonly GlueColumn[] = EVENT_FIELDS.map((name) => ({
  name,
  type: NON_STRING[name] ?? 'string',
}));

/** Partition keys: the reading's own UTC date (not its arrival time). Strings, zero-padded. */
export const PARTITION_KEYS: readonly GlueColumn[] = [
  { name: 'y', type: 'string' },
  { name: 'm', type: 'string' },
  { name: 'd', type: 'string' },
];

export interface PartitionValues {
  readonly y: string;
  readonly m: string;
  readonly d: string;
}

/**
 * The partition of a canonical `ts` (`YYYY-MM-DDTHH:MM:SS.sssZ`): the same slices the
 * Firehose jq query takes (`FIREHOSE_CONVERSION.partitionQueries`).
 */
export function partitionOf(ts: ReadingEvent['ts']): PartitionValues {
  return { y: ts.slice(0, 4), m: ts.slice(5, 7), d: ts.slice(8, 10) };
}

/** `processed/readings/y=YYYY/m=MM/d=DD/` */
export function partitionPrefix(p: PartitionValues): string {
  return `${PREFIXES.processed}y=${p.y}/m=${p.m}/d=${p.d}/`;
}

/** Parses a key below `PREFIXES.processed` back into its partition; undefined for any other key. */
export function partitionOfKey(key: string): PartitionValues | undefined {
  const m = /^processed\/readings\/y=(\d{4})\/m=(\d{2})\/d=(\d{2})\/[^/]+$/.exec(key);
  return m ? { y: m[1] as string, m: m[2] as string, d: m[3] as string } : undefined;
}

/**
 * Partition projection ranges. Years outside the range are invisible to Athena, so the
 * range is generous; a query without a `y`/`m` filter lists every projected day, so
 * every named query filters on `y` and `m`.
 */
export const PROJECTION_YEARS = { from: 2000, to: 2099 } as const;

const s3Uri = (bucket: string, prefix: string): string => `s3://${bucket}/${prefix}`;

/** Table properties of the readings table: Parquet, and partition projection over y/m/d. */
export function readingsTableParameters(bucket: string): Record<string, string> {
  return { classification: 'parquet', EXTERNAL: 'TRUE', ...projectedPartitions(bucket, PREFIXES.processed) };
}

/** Hive class names of the Parquet storage (what Glue needs for a Parquet table). */
export const PARQUET_STORAGE = {
  inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
  serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
} as const;

/** Hive class names of the registry's CSVs (quoted fields, a header row). */
export const CSV_STORAGE = {
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serializationLibrary: 'org.apache.hadoop.hive.serde2.OpenCSVSerde',
} as const;

/**
 * The registry's columns, in `assets.csv` order (OpenCSVSerde maps by position). All
 * strings: queries `TRY_CAST` the numbers, so one bad cell nulls a rating instead of
 * failing the query.
 */
export const ASSETS_COLUMNS: readonly GlueColumn[] = ASSETS_CSV_COLUMNS.map((name) => ({ name, type: 'string' }));

/**
 * The alert notifications' columns (the anomaly consumer's `NotificationRecord`): one
 * row per transition (`kind` open, escalate or close) of an incident (`alert_id`).
 * Times are canonical ISO-8601 strings, as in the SNS message body.
 */
export const ALERTS_COLUMNS: readonly GlueColumn[] = [
  ['notification_id', 'string'],
  ['alert_id', 'string'],
  ['kind', 'string'],
  ['ts', 'string'],
  ['asset_id', 'string'],
  ['substation_id', 'string'],
  ['rule', 'string'],
  ['measurement', 'string'],
  ['severity', 'string'],
  ['opened_at', 'string'],
  ['closed_at', 'string'],
  ['value', 'double'],
  ['threshold', 'double'],
  ['unit', 'string'],
  ['detail', 'string'],
].map(([name, type]) => ({ name, type }) as GlueColumn);

/** `processed/alerts/y=YYYY/m=MM/d=DD/<notification_id>.json`, the day being its incident's opening day. */
export function alertObjectKey(n: { readonly opened_at: string; readonly notification_id: string }): string {
  const p = partitionOf(n.opened_at);
  return `${PREFIXES.processedAlerts}y=${p.y}/m=${p.m}/d=${p.d}/${n.notification_id}.json`;
}

/** Hive class names of the alert objects: one JSON object per line (the OpenX SerDe Athena documents). */
export const JSON_STORAGE = {
  inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
  outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
  serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
} as const;

/** Partition projection over y/m/d of objects below `prefix` (no crawler, no MSCK REPAIR). */
function projectedPartitions(bucket: string, prefix: string): Record<string, string> {
  return {
    'projection.enabled': 'true',
    'projection.y.type': 'integer',
    'projection.y.range': `${PROJECTION_YEARS.from},${PROJECTION_YEARS.to}`,
    'projection.m.type': 'integer',
    'projection.m.range': '1,12',
    'projection.m.digits': '2',
    'projection.d.type': 'integer',
    'projection.d.range': '1,31',
    'projection.d.digits': '2',
    'storage.location.template': `${s3Uri(bucket, prefix)}y=\${y}/m=\${m}/d=\${d}/`,
  };
}

/**
 * The window partition of the deduplicating view. `event_id` alone decides (it is a
 * hash of `asset_id`, `measurement` and `ts`, and the partition follows from `ts`), so
 * adding the other columns changes no answer; but a filter on a column of the window's
 * PARTITION BY is pushed below the window, so `WHERE y = … AND m = …` prunes partitions
 * and `WHERE asset_id = …` reaches the scan, where min/max statistics of compacted
 * (sorted) objects skip the other assets' row groups (docs/lake.md → "Compaction").
 */
export const READINGS_VIEW_PARTITION = ['event_id', 'asset_id', 'measurement', 'y', 'm', 'd'] as const;

/**
 * The deduplicating view's SQL: Trino (Athena) and DuckDB both run it as is; the Glue
 * view (`readingsViewTableInput`), the local engine and the compaction all read this.
 */
export const READINGS_VIEW_SQL = [
  `SELECT ${[...READINGS_COLUMNS, ...PARTITION_KEYS].map((c) => c.name).join(', ')}`,
  'FROM (',
  `  SELECT ${[...READINGS_COLUMNS, ...PARTITION_KEYS].map((c) => c.name).join(', ')},`,
  `    row_number() OVER (PARTITION BY ${READINGS_VIEW_PARTITION.join(', ')} ORDER BY ingested_at DESC, source_key DESC, source_line DESC) AS emission_rank`,
  `  FROM ${GLUE.tableName}`,
  ') ranked',
  'WHERE emission_rank = 1',
].join('\n');

/** Glue type → the type Trino reports for it (the Presto view blob needs these). */
const TRINO_TYPE: Record<GlueType, string> = {
  int: 'integer',
  bigint: 'bigint',
  double: 'double',
  string: 'varchar',
  timestamp: 'timestamp(3)',
};

/** Glue type → DuckDB type, for the local relations. */
export const DUCKDB_TYPE: Record<GlueType, string> = {
  int: 'INTEGER',
  bigint: 'BIGINT',
  double: 'DOUBLE',
  string: 'VARCHAR',
  timestamp: 'TIMESTAMP',
};

/** Athena engine the SQL here is written for (INT64 timestamps need v3). */
export const ATHENA_ENGINE_VERSION = 'Athena engine version 3';

/**
 * The shape of `AWS::Glue::Table`'s `TableInput` (camelCase, as `CfnTable` takes it),
 * so the CDK stack passes these objects straight through.
 */
export interface GlueTableInput {
  readonly name: string;
  readonly description: string;
  readonly tableType: 'EXTERNAL_TABLE' | 'VIRTUAL_VIEW';
  readonly parameters: Record<string, string>;
  readonly partitionKeys: readonly GlueColumn[];
  readonly storageDescriptor: {
    readonly columns: readonly GlueColumn[];
    readonly location?: string;
    readonly inputFormat?: string;
    readonly outputFormat?: string;
    readonly compressed?: boolean;
    readonly serdeInfo: { readonly serializationLibrary?: string; readonly parameters?: Record<string, string> };
  };
  readonly viewOriginalText?: string;
  readonly viewExpandedText?: string;
}

export function readingsTableInput(bucket: string): GlueTableInput {
  return {
    name: GLUE.tableName,
    description:
      'Reading events as delivered to the Parquet lake (at least once: deduplicate, or read the readings view)',
    tableType: 'EXTERNAL_TABLE',
    parameters: readingsTableParameters(bucket),
    partitionKeys: PARTITION_KEYS,
    storageDescriptor: {
      columns: READINGS_COLUMNS,
      location: s3Uri(bucket, PREFIXES.processed),
      inputFormat: PARQUET_STORAGE.inputFormat,
      outputFormat: PARQUET_STORAGE.outputFormat,
      compressed: false,
      serdeInfo: {
        serializationLibrary: PARQUET_STORAGE.serializationLibrary,
        parameters: { 'serialization.format': '1' },
      },
    },
  };
}

/**
 * The `readings` view as a Glue table, the way Athena itself stores a view: a
 * `VIRTUAL_VIEW` whose original text is the base64 "Presto view" JSON.
 */
export function readingsViewTableInput(): GlueTableInput {
  const columns = [...READINGS_COLUMNS, ...PARTITION_KEYS];
  const blob = {
    originalSql: READINGS_VIEW_SQL,
    catalog: 'awsdatacatalog',
    schema: GLUE.databaseName,
    columns: columns.map((c) => ({ name: c.name, type: TRINO_TYPE[c.type] })),
  };
  return {
    name: GLUE.viewName,
    description: 'One row per reading event: the winning correction of every event_id',
    tableType: 'VIRTUAL_VIEW',
    parameters: { presto_view: 'true', comment: 'Presto View' },
    partitionKeys: [],
    storageDescriptor: { columns, serdeInfo: {} },
    viewOriginalText: `/* Presto View: ${Buffer.from(JSON.stringify(blob)).toString('base64')} */`,
    viewExpandedText: '/* Presto View */',
  };
}

export function assetsTableInput(bucket: string): GlueTableInput {
  return {
    name: GLUE.assetsTableName,
    description: 'Asset registry CSVs (ratings and flags) as uploaded under reference/assets/',
    tableType: 'EXTERNAL_TABLE',
    parameters: { classification: 'csv', EXTERNAL: 'TRUE', 'skip.header.line.count': '1' },
    partitionKeys: [],
    storageDescriptor: {
      columns: ASSETS_COLUMNS,
      location: s3Uri(bucket, PREFIXES.referenceAssets),
      inputFormat: CSV_STORAGE.inputFormat,
      outputFormat: CSV_STORAGE.outputFormat,
      serdeInfo: {
        serializationLibrary: CSV_STORAGE.serializationLibrary,
        parameters: { separatorChar: ',', quoteChar: '"', escapeChar: '\\' },
      },
    },
  };
}

export function alertsTableInput(bucket: string): GlueTableInput {
  return {
    name: GLUE.alertsTableName,
    description:
      'Alert notifications (open, escalate, close) as the anomaly consumer publishes them, by the day their incident opened',
    tableType: 'EXTERNAL_TABLE',
    parameters: { classification: 'json', EXTERNAL: 'TRUE', ...projectedPartitions(bucket, PREFIXES.processedAlerts) },
    partitionKeys: PARTITION_KEYS,
    storageDescriptor: {
      columns: ALERTS_COLUMNS,
      location: s3Uri(bucket, PREFIXES.processedAlerts),
      inputFormat: JSON_STORAGE.inputFormat,
      outputFormat: JSON_STORAGE.outputFormat,
      serdeInfo: {
        serializationLibrary: JSON_STORAGE.serializationLibrary,
        parameters: { 'ignore.malformed.json': 'FALSE' },
      },
    },
  };
}

/**
 * What the Firehose delivery stream needs besides names: record format conversion
 * (OpenX JSON in — it parses ISO-8601 `…Z` into a `timestamp` column, the Hive JSON
 * SerDe does not — Parquet out, schema from the readings table), dynamic partitioning
 * by the reading's date, the error prefix, buffering. Firehose de-aggregates KPL
 * records of a Kinesis source by itself: no de-aggregation processor.
 */
export const FIREHOSE_CONVERSION = {
  inputSerDe: 'OpenXJsonSerDe',
  openXJsonSerDe: { caseInsensitive: false, convertDotsInJsonKeysToUnderscores: false },
  /** Firehose's Parquet SerDe offers SNAPPY, GZIP, UNCOMPRESSED; GZIP halves `event_id` (hex), the widest column. */
  parquetCompression: 'GZIP',
  /** jq 1.6 (`JQ-1.6`): slices of the canonical `ts`, matching `partitionOf`. */
  partitionQueries: { y: '.ts[0:4]', m: '.ts[5:7]', d: '.ts[8:10]' },
  metadataExtractionQuery: '{y: .ts[0:4], m: .ts[5:7], d: .ts[8:10]}',
  jsonParsingEngine: 'JQ-1.6',
  prefix: `${PREFIXES.processed}y=!{partitionKeyFromQuery:y}/m=!{partitionKeyFromQuery:m}/d=!{partitionKeyFromQuery:d}/`,
  errorOutputPrefix: `${PREFIXES.processedErrors}!{firehose:error-output-type}/y=!{timestamp:yyyy}/m=!{timestamp:MM}/d=!{timestamp:dd}/`,
  fileExtension: '.parquet',
  /** Firehose's minimum with format conversion is 64 MiB; a wide backfill opens one buffer per day partition. */
  buffering: { sizeMiB: 128, intervalSeconds: 300 },
} as const;

/**
 * The fact layer's columns (both grains): one row per asset × measurement × period that
 * has at least one reading. `period_start` is the UTC hour or day; `stddev` is the
 * population standard deviation of the period's values (0 for one reading), so a
 * period's figures need nothing outside it. `interval_s` is the asset's interval the
 * `expected_count` was counted with (`src/shared/expected.ts`), null when the day gives
 * no cadence (fewer than two readings).
 */
export const ROLLUP_COLUMNS: readonly GlueColumn[] = [
  ['asset_id', 'string'],
  ['measurement', 'string'],
  ['period_start', 'timestamp'],
  ['substation_id', 'string'],
  ['feeder_id', 'string'],
  ['unit', 'string'],
  ['count', 'bigint'],
  ['min', 'double'],
  ['max', 'double'],
  ['mean', 'double'],
  ['sum', 'double'],
  ['stddev', 'double'],
  ['first_ts', 'timestamp'],
  ['last_ts', 'timestamp'],
  ['interval_s', 'bigint'],
  ['expected_count', 'bigint'],
].map(([name, type]) => ({ name, type }) as GlueColumn);

/** The two grains of the fact layer: table name, prefix, and the SQL unit of a period. */
export const ROLLUP_GRAINS = {
  hourly: { tableName: GLUE.hourlyTableName, prefix: `${PREFIXES.processedRollups}hourly/`, unit: 'hour' },
  daily: { tableName: GLUE.dailyTableName, prefix: `${PREFIXES.processedRollups}daily/`, unit: 'day' },
} as const;

export type RollupGrain = keyof typeof ROLLUP_GRAINS;

/**
 * The summaries' interval facts (`asset_intervals_daily`): one row per asset (feeder or
 * substation) × UTC day with at least one interval, built from the same per-interval
 * CTEs the summaries read (`src/shared/queries.ts`), holding only partials that compose
 * exactly over days: counts, sums, maxima, flag counts, the day's first and last interval.
 * No means (a month's mean is Σ sums ÷ Σ counts) and no ratings (read from the registry at
 * query time, so a rating change shows at once). `rated_load` is what a rating is compared
 * with: a feeder's highest phase current (A), a substation's apparent power (kVA).
 */
export const INTERVAL_FACT_COLUMNS: readonly GlueColumn[] = [
  ['asset_id', 'string'],
  ['period_start', 'timestamp'],
  ['substation_id', 'string'],
  ['feeder_id', 'string'],
  ['intervals', 'bigint'],
  ['kw_count', 'bigint'],
  ['kw_sum', 'double'],
  ['kw_max', 'double'],
  ['rated_load_count', 'bigint'],
  ['rated_load_sum', 'double'],
  ['rated_load_max', 'double'],
  ['imbalance_count', 'bigint'],
  ['imbalance_sum', 'double'],
  ['imbalance_max', 'double'],
  ['voltage_out_intervals', 'bigint'],
  ['reverse_power_intervals', 'bigint'],
  ['first_ts', 'timestamp'],
  ['last_ts', 'timestamp'],
].map(([name, type]) => ({ name, type }) as GlueColumn);

/**
 * The gaps between an asset's consecutive intervals within one day (`asset_gaps_daily`):
 * one row per asset × day × gap in whole seconds, with how many times it occurred. With
 * each day's `first_ts`/`last_ts` (the gap across a day boundary) they give the month's
 * gap histogram exactly, so its most common gap (the cadence) too.
 */
export const GAP_FACT_COLUMNS: readonly GlueColumn[] = [
  ['asset_id', 'string'],
  ['period_start', 'timestamp'],
  ['gap_s', 'bigint'],
  ['gap_count', 'bigint'],
].map(([name, type]) => ({ name, type }) as GlueColumn);

/**
 * Every table of the fact layer: name, prefix, columns. One object per table per day
 * partition, all built together from the day's readings (`src/lake/rollups/`).
 */
export const FACT_TABLES = {
  hourly: {
    ...ROLLUP_GRAINS.hourly,
    columns: ROLLUP_COLUMNS,
    description:
      'Fact layer: count, min, max, mean, sum, stddev, first/last time and expected count per asset × measurement × hour',
  },
  daily: {
    ...ROLLUP_GRAINS.daily,
    columns: ROLLUP_COLUMNS,
    description:
      'Fact layer: count, min, max, mean, sum, stddev, first/last time and expected count per asset × measurement × day',
  },
  asset_intervals: {
    tableName: GLUE.intervalFactsTableName,
    prefix: `${PREFIXES.processedRollups}asset_intervals/`,
    columns: INTERVAL_FACT_COLUMNS,
    description:
      'Fact layer: the performance summaries’ interval partials (counts, sums, maxima, flag counts) per asset × day',
  },
  asset_gaps: {
    tableName: GLUE.gapFactsTableName,
    prefix: `${PREFIXES.processedRollups}asset_gaps/`,
    columns: GAP_FACT_COLUMNS,
    description: 'Fact layer: how often each gap (seconds) between an asset’s consecutive intervals occurred, per day',
  },
} as const;

export type FactTable = keyof typeof FACT_TABLES;
export const FACT_TABLE_KINDS = Object.keys(FACT_TABLES) as FactTable[];

/** One object per fact table per day partition: rebuilding a day replaces it whole. */
export function rollupObjectKey(table: FactTable, p: PartitionValues): string {
  return `${FACT_TABLES[table].prefix}y=${p.y}/m=${p.m}/d=${p.d}/rollup.parquet`;
}

/** Parses a fact object key back into its table and partition; undefined for any other key. */
export function rollupOfKey(key: string): { table: FactTable; partition: PartitionValues } | undefined {
  const m = /^processed\/rollups\/([a-z_]+)\/y=(\d{4})\/m=(\d{2})\/d=(\d{2})\/[^/]+$/.exec(key);
  const table = m?.[1] as FactTable | undefined;
  return m && table && Object.hasOwn(FACT_TABLES, table)
    ? { table, partition: { y: m[2] as string, m: m[3] as string, d: m[4] as string } }
    : undefined;
}

export function factTableInput(bucket: string, table: FactTable): GlueTableInput {
  const t = FACT_TABLES[table];
  return {
    name: t.tableName,
    description: t.description,
    tableType: 'EXTERNAL_TABLE',
    parameters: { classification: 'parquet', EXTERNAL: 'TRUE', ...projectedPartitions(bucket, t.prefix) },
    partitionKeys: PARTITION_KEYS,
    storageDescriptor: {
      columns: t.columns,
      location: s3Uri(bucket, t.prefix),
      inputFormat: PARQUET_STORAGE.inputFormat,
      outputFormat: PARQUET_STORAGE.outputFormat,
      compressed: false,
      serdeInfo: {
        serializationLibrary: PARQUET_STORAGE.serializationLibrary,
        parameters: { 'serialization.format': '1' },
      },
    },
  };
}
