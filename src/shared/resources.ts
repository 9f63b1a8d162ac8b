/**
 * The one definition of every AWS resource DubeGrid uses. The CDK stack (`infra/`),
 * the embedded bootstrap (`src/local/bootstrap.ts`) and the tests all read this
 * file; nothing else spells a resource name, a key schema or a prefix.
 */
import { CONSUMERS } from './consumers.ts';

/** Attribute types DynamoDB key schemas use. */
export type KeyType = 'S' | 'N';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyType;
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
}

export interface TableDefinition {
  /** Logical id, used for CDK construct ids and in `status`. */
  readonly id: string;
  /** Physical table name: identical on AWS and in the embedded stack. */
  readonly tableName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalIndexes?: readonly IndexDefinition[];
  /** Attribute holding an epoch-seconds expiry, when the table has a TTL. */
  readonly ttlAttribute?: string;
  readonly description: string;
}

/** Prefix of every physical name, so several deployments can be told apart. */
export const NAME_PREFIX = 'dubegrid';

/** Region and account the embedded stack pretends to be. */
export const LOCAL_REGION = 'eu-west-2';
export const LOCAL_ACCOUNT = '000000000000';

/**
 * One bucket, zones as prefixes: one encryption key, one policy and one event
 * configuration to reason about, while lifecycle rules and notifications still
 * filter by prefix. S3 bucket names are global, so the name carries the account
 * and region; the embedded stack uses the local pair.
 */
export function bucketName(account: string, region: string): string {
  return `${NAME_PREFIX}-${account}-${region}`;
}

/** Zones of the data bucket. Every prefix ends with `/`. */
export const PREFIXES = {
  raw: 'raw/',
  /** Where production LV files land, partitioned `y=YYYY/m=MM/`. */
  rawLv: 'raw/prod/lv/',
  quarantine: 'quarantine/',
  manifests: 'manifests/',
  referenceAssets: 'reference/assets/',
  /** Reference files read through a mapping's `reference` block (names, locations) into the asset registry. */
  referenceMapped: 'reference/mapped/',
  /** User mappings (`dubegrid sources add`), one `<name>.yaml` each: the splitter and every reader of units read them. */
  referenceSources: 'reference/sources/',
  processed: 'processed/readings/',
  /** Every alert notification, one JSON object each, `y=/m=/d=` of its incident's opening: what SQL counts alerts from. */
  processedAlerts: 'processed/alerts/',
  /**
   * The fact layer, `y=/m=/d=/` below each table's folder: hourly and daily rollups per asset × measurement
   * (`hourly/`, `daily/`) and the summaries' interval facts per asset × day (`asset_intervals/`, `asset_gaps/`).
   */
  processedRollups: 'processed/rollups/',
  processedErrors: 'processed-errors/',
  athenaResults: 'athena-results/',
} as const;

/**
 * How the splitter reads a raw object, by its key's suffix: the one list of what is
 * splittable, read by the S3 notification filters (infra), the embedded wiring,
 * `ingest`'s directory walk and the splitter. Gzip is sniffed from the bytes, whatever
 * the suffix says. No suffix here ends with another (`.json` is not a suffix of
 * `.ndjson`): S3 refuses overlapping notification filters.
 */
export const RAW_SHAPES = {
  '.csv': 'csv',
  '.csv.gz': 'csv',
  '.json': 'json',
  '.json.gz': 'json',
  '.jsonl': 'ndjson',
  '.jsonl.gz': 'ndjson',
  '.ndjson': 'ndjson',
  '.ndjson.gz': 'ndjson',
} as const;

/** How records are laid out in a raw object: CSV rows, a JSON document, or JSON lines. */
export type RawShape = (typeof RAW_SHAPES)[keyof typeof RAW_SHAPES];

/** Object key suffixes the splitter accepts. */
export const RAW_SUFFIXES = Object.keys(RAW_SHAPES) as readonly (keyof typeof RAW_SHAPES)[];

export const STREAM = {
  id: 'ReadingsStream',
  streamName: `${NAME_PREFIX}-readings`,
  /** Shards in the embedded stack (on AWS the stream is on-demand by default). */
  localShardCount: 4,
  /** Replay depends on it: what the stream no longer holds must be backfilled from raw/. */
  retentionHours: 168,
} as const;

export const TOPICS = {
  alerts: { id: 'AlertsTopic', topicName: `${NAME_PREFIX}-alerts` },
} as const;

export const TABLES = {
  readings: {
    id: 'ReadingsTable',
    tableName: `${NAME_PREFIX}-readings`,
    partitionKey: { name: 'asset_id', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'expires_at',
    description: 'Time series: one item per reading, sort key `<ts>#<measurement>`.',
  },
  latest: {
    id: 'LatestTable',
    tableName: `${NAME_PREFIX}-latest`,
    partitionKey: { name: 'asset_id', type: 'S' },
    sortKey: { name: 'measurement', type: 'S' },
    description: 'Latest state: the newest reading per asset and measurement.',
  },
  assets: {
    id: 'AssetsTable',
    tableName: `${NAME_PREFIX}-assets`,
    partitionKey: { name: 'asset_id', type: 'S' },
    description: 'Asset registry: ratings and flags loaded from reference/assets/.',
  },
  windows: {
    id: 'WindowsTable',
    tableName: `${NAME_PREFIX}-windows`,
    partitionKey: { name: 'series_id', type: 'S' },
    description: 'Anomaly window state per series, written with versioned conditional writes.',
  },
  alerts: {
    id: 'AlertsTable',
    tableName: `${NAME_PREFIX}-alerts`,
    partitionKey: { name: 'asset_id', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    globalIndexes: [
      {
        // Incidents by the day they opened, notifications by the day of their reading (data time).
        indexName: 'by_day',
        partitionKey: { name: 'day', type: 'S' },
        sortKey: { name: 'sk', type: 'S' },
      },
      {
        // Sparse: only notifications not yet published carry `outbox`; the sweeper queries it.
        indexName: 'outbox',
        partitionKey: { name: 'outbox', type: 'S' },
        sortKey: { name: 'sk', type: 'S' },
      },
      {
        // Notifications by the (wall-clock) day they were stored: what `dubegrid alerts --follow` tails.
        indexName: 'by_stored',
        partitionKey: { name: 'stored_day', type: 'S' },
        sortKey: { name: 'stored_sk', type: 'S' },
      },
    ],
    description:
      'Incidents (sk `incident#<opened_at>#…`) and their notifications, each its own outbox item (sk `notification#<ts>#<id>`), queryable by asset and by day.',
  },
  leases: {
    id: 'LeasesTable',
    tableName: `${NAME_PREFIX}-leases`,
    partitionKey: { name: 'lease_id', type: 'S' },
    ttlAttribute: 'expires_at',
    description:
      'Leases of scheduled jobs (one per lake day partition being compacted): taken by a conditional put, released by a conditional delete, expired by time.',
  },
  feeds: {
    id: 'FeedsTable',
    tableName: `${NAME_PREFIX}-feeds`,
    partitionKey: { name: 'id', type: 'S' },
    globalIndexes: [
      {
        // `kind` `shard`: one item per stream shard (its watermark); `kind` `due`: feeds not yet
        // opened as stale, by the instant they become stale (sparse: opened feeds leave it).
        indexName: 'by_kind',
        partitionKey: { name: 'kind', type: 'S' },
        sortKey: { name: 'due', type: 'N' },
      },
    ],
    description:
      'The stale_feed watchdog: per-shard watermarks (`shard#<id>`) all anomaly consumers update, and per-asset feed state (`feed#<asset_id>`).',
  },
} as const satisfies Record<string, TableDefinition>;

export type TableKey = keyof typeof TABLES;

/**
 * The Glue catalogue of the lake (`src/shared/glue.ts` holds the table definitions).
 * Firehose delivers at least once, so the physical table may hold a reading twice;
 * users and named queries read the `readings` view, which keeps one row per event
 * (the winning correction).
 */
export const GLUE = {
  databaseName: 'dubegrid',
  /** The Parquet table Firehose (and the local delivery stream) writes: duplicates possible. */
  tableName: 'readings_delivered',
  /** The deduplicated view over it: what every query reads. */
  viewName: 'readings',
  /** The asset registry's CSVs under `reference/assets/`, as a table (ratings for the summaries). */
  assetsTableName: 'assets',
  /** The alert notifications under `processed/alerts/` (one row per open, escalation, close). */
  alertsTableName: 'alerts',
  /** The fact layer: per asset × measurement × hour, under `processed/rollups/hourly/`. */
  hourlyTableName: 'readings_hourly',
  /** The fact layer: per asset × measurement × day, under `processed/rollups/daily/`. */
  dailyTableName: 'readings_daily',
  /** The fact layer: per asset × day, the summaries' interval partials, under `processed/rollups/asset_intervals/`. */
  intervalFactsTableName: 'asset_intervals_daily',
  /** The fact layer: per asset × day × gap between readings, their count, under `processed/rollups/asset_gaps/`. */
  gapFactsTableName: 'asset_gaps_daily',
} as const;

/** The delivery stream that turns the Kinesis stream into the Parquet lake. */
export const LAKE_DELIVERY = {
  id: 'LakeDeliveryStream',
  deliveryStreamName: `${NAME_PREFIX}-lake`,
} as const;

export const ATHENA = {
  workgroup: `${NAME_PREFIX}`,
  /**
   * The HTTP API's own workgroup. IAM cannot limit Athena to named queries, so the API
   * runs in a workgroup of its own whose per-query bytes-scanned cutoff bounds what any
   * request can cost, and whose results stay apart from the operators'.
   */
  apiWorkgroup: `${NAME_PREFIX}-api`,
  /** Per query in the API's workgroup: a month of a 1,000-asset network scans well under this. */
  apiBytesScannedCutoff: 2 * 1024 ** 3,
} as const;

/** The physical names a target resolves to; only the bucket differs between targets. */
export interface ResourceNames {
  readonly bucket: string;
  readonly stream: string;
  readonly tables: { readonly [K in TableKey]: string };
  readonly alertsTopic: string;
}

export function resourceNames(account: string, region: string): ResourceNames {
  const tables = Object.fromEntries(Object.entries(TABLES).map(([key, def]) => [key, def.tableName])) as {
    [K in TableKey]: string;
  };
  return {
    bucket: bucketName(account, region),
    stream: STREAM.streamName,
    tables,
    alertsTopic: TOPICS.alerts.topicName,
  };
}

export const LOCAL_NAMES: ResourceNames = resourceNames(LOCAL_ACCOUNT, LOCAL_REGION);

/**
 * Resources that exist only on AWS (the embedded stack has a local stand-in or none),
 * named here so the CDK stack and `--target aws` agree.
 */
export const AWS_ONLY = {
  /** Alarms of the deployment (iterator age, DLQ depth, errors, throttles, delivery failures). */
  opsTopicName: `${NAME_PREFIX}-ops`,
  /** The customer-managed key of the bucket, tables, queues and topics. */
  dataKeyAlias: `alias/${NAME_PREFIX}-data`,
  dashboardName: `${NAME_PREFIX}`,
  /**
   * The Step Functions Standard state machine that carries on a split longer than one
   * splitter invocation (docs/adr/0020-split-continuation-by-step-functions.md); the
   * embedded stack's invoker plays its part locally.
   */
  splitContinuationName: `${NAME_PREFIX}-split-continuation`,
} as const;

/** The failure sources with a dead-letter queue: the S3-invoked functions and the stream consumers. */
export const DLQ_SOURCES = ['splitter', 'registry', CONSUMERS.state.name, CONSUMERS.anomaly.name] as const;

/**
 * The SQS on-failure destination of one failure source on AWS: `splitter`, `registry`,
 * or a consumer name (`CONSUMERS.*.name`). The embedded DLQ keeps the same source as
 * its folder name (`src/local/dlq.ts`).
 */
export function dlqName(source: string): string {
  return `${NAME_PREFIX}-${source}-dlq`;
}
