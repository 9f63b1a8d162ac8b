/**
 * Monthly cost of the deployed pipeline for a number of readings, with and without KPL
 * aggregation. Pure: the measured sizes come from `estimate.ts` (the real splitter on
 * generated data), the rates from `rates.ts`, every other figure is an assumption
 * named in `ASSUMPTIONS` and printed with the result.
 */
import { CONSUMERS } from '../../src/shared/consumers.ts';
import { FUNCTIONS, SCHEDULES } from '../../src/shared/functions.ts';
import { STREAM } from '../../src/shared/resources.ts';
import { PUBLISHED_METRICS } from '../../src/shared/telemetry.ts';
import type { RateKey, RATES } from './rates.ts';

const KIB = 1024;
const GB = 1024 ** 3;
const TB = 1024 ** 4;
const HOURS_PER_MONTH = 730;
/** Lambda hands a Kinesis consumer at most 6 MB per invocation. */
const LAMBDA_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** What the real splitter produced (see `estimate.ts`). */
export interface Measured {
  /** Average contract-v1 event JSON. */
  readonly eventBytes: number;
  readonly partitionKeyBytes: number;
  /** User records per KPL-aggregated Kinesis record. */
  readonly eventsPerRecord: number;
  /** Average aggregated record, data plus partition key. */
  readonly recordBytes: number;
  /** Raw CSV bytes per reading (the LV monitor long format). */
  readonly csvBytesPerReading: number;
}

export const ASSUMPTIONS = {
  /** Readers of the stream, each billed for what it reads on-demand: state, anomaly, Firehose. */
  streamReaders: 3,
  /** Provisioned alternative: readings this small fit one shard up to ~100 M a month. */
  provisionedShards: 1,
  /** Billed Lambda time per reading (handler work; replace with CloudWatch Duration after a week). */
  lambdaMsPerReading: { splitter: 0.05, state: 0.5, anomaly: 0.5 },
  /** Billed Lambda time per invocation beyond the per-reading work (start-up, commit, SDK calls). */
  lambdaMsPerInvocation: 50,
  /** Readings per raw file (one S3-invoked splitter run each). */
  readingsPerFile: 100_000,
  /**
   * DynamoDB request units per reading, upper bound: every reading its own series in its
   * batch. State: 1 WRU (readings put) + 1 WRU and 0.5 RRU (latest get/update); anomaly:
   * 2 WRU and 0.5 RRU (window get/put of a ≤2 KB item). Batches holding many readings
   * of a series need fewer.
   */
  dynamoWruPerReading: 4,
  dynamoRruPerReading: 1,
  /** A readings item: the event, its sort key, its TTL, DynamoDB's 100-byte overhead. */
  dynamoItemBytes: 620,
  /** `readingsTtlDays`: the time series keeps this many days; the lake keeps everything. */
  readingsTtlDays: 90,
  /** Parquet (GZIP) bytes per reading in the lake. */
  parquetBytesPerReading: 50,
  /** Day partitions one raw file's readings fall into (a file covers about a day). */
  activePartitions: 2,
  /** JQ time per million readings. */
  jqHoursPerMillion: 0.01,
  athenaQueriesPerMonth: 300,
  /** Each query reads one month and about half the columns. */
  athenaScannedFraction: 0.5,
  /** CloudWatch log bytes per invocation (Powertools JSON lines). */
  logBytesPerInvocation: 2_000,
  /** The stack's alarms (a template test keeps this equal to what it synthesizes). */
  alarms: 31,
  dashboards: 1,
  /** The handlers' Powertools metrics: one custom metric per name and service. */
  customMetrics: Object.values(PUBLISHED_METRICS).reduce((n, names) => n + names.length, 0),
} as const;

export interface LineItem {
  readonly service: string;
  readonly item: string;
  readonly quantity: number;
  readonly unit: string;
  readonly usd: number;
}

export interface Estimate {
  readonly readings: number;
  readonly aggregated: boolean;
  readonly capacity: 'on-demand' | 'provisioned';
  readonly lines: readonly LineItem[];
  readonly totalUsd: number;
}

type Rates = typeof RATES;

/**
 * Invocations a month of each scheduled function, from the periods its rules use: the
 * outbox sweep every minute, the watchdog and the rollups every `SCHEDULES` period,
 * the compaction daily. Only the two Arm functions' compute is priced (at
 * `lambdaMsPerInvocation`): the DuckDB jobs' time depends on the lake and is unmeasured.
 */
export function scheduledRuns(): { readonly [K in 'outbox' | 'watchdog' | 'rollups' | 'compaction']: number } {
  const perMonth = (minutes: number): number => (HOURS_PER_MONTH * 60) / minutes;
  return {
    outbox: perMonth(1),
    watchdog: perMonth(SCHEDULES.watchdog.minutes),
    rollups: perMonth(SCHEDULES.rollups.minutes),
    compaction: perMonth(24 * 60),
  };
}

/** Bytes a record is billed as when sizes are rounded up to `unit`. */
const roundedUp = (bytes: number, unit: number): number => Math.max(1, Math.ceil(bytes / unit)) * unit;

export function estimate(
  readings: number,
  m: Measured,
  rates: Rates,
  options: { aggregated: boolean; capacity?: 'on-demand' | 'provisioned' },
): Estimate {
  const a = ASSUMPTIONS;
  const aggregated = options.aggregated;
  const capacity = options.capacity ?? 'on-demand';
  const lines: LineItem[] = [];
  const add = (service: string, item: string, quantity: number, unit: string, rate: RateKey, per = 1): void => {
    lines.push({ service, item, quantity, unit, usd: (quantity / per) * rates[rate].usd });
  };

  // What goes onto the stream: one record per reading, or KPL aggregates.
  const records = aggregated ? readings / m.eventsPerRecord : readings;
  const recordBytes = aggregated ? m.recordBytes : m.eventBytes + m.partitionKeyBytes;

  if (capacity === 'on-demand') {
    const billedGB = (records * roundedUp(recordBytes, KIB)) / GB;
    add('Kinesis', 'stream-hours', HOURS_PER_MONTH, 'h', 'kinesisOnDemandStreamHour');
    add('Kinesis', 'data in (1 KB rounding per record)', billedGB, 'GB', 'kinesisOnDemandInGB');
    add('Kinesis', `data out (${a.streamReaders} readers)`, billedGB * a.streamReaders, 'GB', 'kinesisOnDemandOutGB');
    const keptDays = Math.max(0, STREAM.retentionHours / 24 - 1);
    add(
      'Kinesis',
      'retention beyond 24 h',
      (billedGB * keptDays) / 30.4,
      'GB-month',
      'kinesisOnDemandRetentionGBMonth',
    );
  } else {
    const shardHours = a.provisionedShards * HOURS_PER_MONTH;
    add('Kinesis', 'shard-hours', shardHours, 'h', 'kinesisShardHour');
    add(
      'Kinesis',
      'PUT payload units (25 KB)',
      records * Math.ceil(recordBytes / (25 * KIB)),
      'units',
      'kinesisPutUnitsMillion',
      1e6,
    );
    add('Kinesis', 'retention beyond 24 h', shardHours, 'shard-h', 'kinesisRetentionShardHour');
  }

  // Lambda: one splitter run per file; consumers get full batches (6 MB or batchSize records).
  const perBatch = Math.max(1, Math.min(CONSUMERS.state.batchSize, Math.floor(LAMBDA_PAYLOAD_BYTES / recordBytes)));
  const files = Math.ceil(readings / a.readingsPerFile);
  const consumerInvocations = Math.ceil(records / perBatch);
  const invocations = { splitter: files, state: consumerInvocations, anomaly: consumerInvocations };
  let gbSeconds = 0;
  for (const [fn, n] of Object.entries(invocations) as [keyof typeof invocations, number][]) {
    const ms = readings * a.lambdaMsPerReading[fn] + n * a.lambdaMsPerInvocation;
    gbSeconds += (ms / 1000) * (FUNCTIONS[fn].memoryMiB / 1024);
  }
  // The scheduled functions run whatever the volume: their EventBridge rules fix the count.
  const scheduled = scheduledRuns();
  for (const fn of ['outbox', 'watchdog'] as const)
    gbSeconds += scheduled[fn] * (a.lambdaMsPerInvocation / 1000) * (FUNCTIONS[fn].memoryMiB / 1024);
  const allInvocations =
    files + 2 * consumerInvocations + Object.values(scheduled).reduce((sum, runs) => sum + runs, 0);
  add(
    'Lambda',
    'requests (incl. the scheduled sweeper, watchdog, rollups, compaction)',
    allInvocations,
    'requests',
    'lambdaRequestsMillion',
    1e6,
  );
  add('Lambda', 'compute, Arm', gbSeconds, 'GB-s', 'lambdaArmGBSecond');

  // DynamoDB: the same writes with or without aggregation.
  add('DynamoDB', 'write request units', readings * a.dynamoWruPerReading, 'WRU', 'dynamoWriteMillion', 1e6);
  add('DynamoDB', 'read request units', readings * a.dynamoRruPerReading, 'RRU', 'dynamoReadMillion', 1e6);
  // Steady state: the table holds `readingsTtlDays` of readings.
  const tableGB = (readings * (a.readingsTtlDays / 30.4) * a.dynamoItemBytes) / GB;
  add(
    'DynamoDB',
    `time-series storage (${a.readingsTtlDays}-day TTL, steady state)`,
    tableGB,
    'GB-month',
    'dynamoStorageGBMonth',
  );
  add('DynamoDB', 'point-in-time recovery', tableGB, 'GB-month', 'dynamoPitrGBMonth');

  // Firehose meters the records it reads from the stream, in 5 KB steps (see docs/cost.md on this assumption).
  const firehoseGB = (records * roundedUp(recordBytes, 5 * KIB)) / GB;
  add('Firehose', 'ingestion (5 KB rounding per record)', firehoseGB, 'GB', 'firehoseIngestGB');
  add('Firehose', 'Parquet conversion', firehoseGB, 'GB', 'firehoseConversionGB');
  add('Firehose', 'dynamic partitioning', (readings * m.eventBytes) / GB, 'GB', 'firehosePartitioningGB');
  // Files land in bursts: each file's readings reach Firehose within one buffer, spread over its day partitions.
  const objects = files * a.activePartitions;
  add('Firehose', 'partitioned objects', objects, 'objects', 'firehosePartitioningObjectsThousand', 1000);
  add('Firehose', 'JQ processing', (readings / 1e6) * a.jqHoursPerMillion, 'h', 'firehoseJqHour');

  // S3: the month's raw CSVs and Parquet (one month of storage), and the requests that wrote them.
  const s3GB = (readings * (m.csvBytesPerReading + a.parquetBytesPerReading)) / GB;
  add('S3', 'storage added this month (raw + Parquet)', s3GB, 'GB-month', 's3StandardGBMonth');
  add('S3', 'PUTs (raw files, manifests, Parquet objects)', files * 2 + objects, 'requests', 's3PutThousand', 1000);
  add(
    'S3',
    'GETs (splitter reads raw files, Athena reads Parquet)',
    files + a.athenaQueriesPerMonth * objects,
    'requests',
    's3GetTenThousand',
    10_000,
  );

  // Athena: each query reads a month of Parquet, about half the columns; 10 MB minimum.
  const perQuery = Math.max(10 * 1024 ** 2, readings * a.parquetBytesPerReading * a.athenaScannedFraction);
  add(
    'Athena',
    `${a.athenaQueriesPerMonth} queries over one month`,
    (a.athenaQueriesPerMonth * perQuery) / TB,
    'TB',
    'athenaTB',
  );

  // Fixed and operational items.
  add('KMS', 'data key', 1, 'key', 'kmsKeyMonth');
  add('CloudWatch', 'alarms beyond the 10 free', Math.max(0, a.alarms - 10), 'alarms', 'cloudWatchAlarmMonth');
  add('CloudWatch', 'dashboard', a.dashboards, 'dashboard', 'cloudWatchDashboardMonth');
  add(
    'CloudWatch',
    'custom metrics beyond the 10 free (Powertools)',
    Math.max(0, a.customMetrics - 10),
    'metrics',
    'cloudWatchMetricMonth',
  );
  add(
    'CloudWatch',
    'logs ingested',
    Math.max(0, (allInvocations * a.logBytesPerInvocation) / GB - 5),
    'GB',
    'cloudWatchLogsGB',
  );

  return { readings, aggregated, capacity, lines, totalUsd: lines.reduce((s, l) => s + l.usd, 0) };
}
