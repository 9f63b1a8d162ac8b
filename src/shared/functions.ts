/**
 * The Lambda functions of the pipeline: where each handler lives and what it is
 * given. The CDK stack builds a NodejsFunction from each entry; the embedded
 * runtime invokes the same handler modules' factories with local clients.
 */
export interface FunctionDefinition {
  readonly id: string;
  /** Path from the project root to the module exporting `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly memoryMiB: number;
  readonly timeoutSeconds: number;
  /**
   * Native packages the handler loads (kept out of the esbuild bundle and shipped
   * beside it with their prebuilt linux-x64 binaries, so the function runs on x86_64).
   * @default - none: a pure-JavaScript bundle on ARM64
   */
  readonly nativePackages?: readonly string[];
  /** @default 512 (Lambda's default /tmp) */
  readonly ephemeralStorageMiB?: number;
}

export const FUNCTIONS = {
  splitter: {
    id: 'SplitterFunction',
    entry: 'src/producers/splitter/handler.ts',
    description: 'S3 raw/ ObjectCreated → validated per-reading events on the Kinesis stream',
    memoryMiB: 1024,
    timeoutSeconds: 900,
  },
  state: {
    id: 'StateConsumerFunction',
    entry: 'src/consumers/state/handler.ts',
    description: 'Kinesis → DynamoDB latest-state and time-series tables',
    memoryMiB: 512,
    timeoutSeconds: 120,
  },
  anomaly: {
    id: 'AnomalyConsumerFunction',
    entry: 'src/consumers/anomaly/handler.ts',
    description: 'Kinesis → rolling anomaly windows, incidents and the alert outbox',
    memoryMiB: 512,
    timeoutSeconds: 120,
  },
  outbox: {
    id: 'AlertOutboxFunction',
    entry: 'src/consumers/anomaly/outbox-handler.ts',
    description: 'Publishes every stored notification whose published_at is still unset to SNS',
    memoryMiB: 256,
    timeoutSeconds: 60,
  },
  compaction: {
    id: 'LakeCompactionFunction',
    entry: 'src/lake/compaction/handler.ts',
    description: 'Daily: rewrites each changed lake day partition into few sorted, deduplicated Parquet objects',
    // DuckDB sorts in memory and spills to /tmp; memory also buys CPU
    memoryMiB: 3008,
    timeoutSeconds: 900,
    nativePackages: ['@duckdb/node-api'],
    // a day partition's inputs, outputs and DuckDB's sort spill
    ephemeralStorageMiB: 4096,
  },
  rollups: {
    id: 'LakeRollupsFunction',
    entry: 'src/lake/rollups/handler.ts',
    description:
      'Scheduled: rebuilds the fact layer (readings_hourly, readings_daily, asset_intervals_daily, asset_gaps_daily) of each lake day partition that changed',
    // DuckDB aggregates a day partition in memory; memory also buys CPU
    memoryMiB: 3008,
    timeoutSeconds: 900,
    nativePackages: ['@duckdb/node-api'],
    // the changed days' readings objects are all downloaded before the first is rebuilt (the coverage needs their bounds)
    ephemeralStorageMiB: 4096,
  },
  registry: {
    id: 'RegistryLoaderFunction',
    entry: 'src/consumers/registry/handler.ts',
    description: 'S3 reference/assets/ ObjectCreated → the assets table',
    memoryMiB: 256,
    timeoutSeconds: 300,
  },
  watchdog: {
    id: 'StaleFeedWatchdogFunction',
    entry: 'src/consumers/anomaly/watchdog-handler.ts',
    description:
      'Scheduled: the stale_feed watchdog opens the feeds the low watermark (idle shards left out) has passed',
    memoryMiB: 256,
    timeoutSeconds: 120,
  },
} as const satisfies Record<string, FunctionDefinition>;

/**
 * Scheduled work, in minutes: EventBridge rules on AWS, timers in `dubegrid up` (the same
 * numbers). The watchdog runs while the stream is quiet too, so an idle shard's exclusion
 * from the low watermark takes effect; the rollups pick up the day partitions that changed.
 */
export const SCHEDULES = {
  watchdog: { minutes: 5 },
  rollups: { minutes: 60 },
} as const;

/**
 * The HTTP API's function: not a pipeline handler (nothing on the stream or in the
 * bucket invokes it), so it is not in `FUNCTIONS`; API Gateway does, through the
 * `ConsoleApi` construct. The embedded server runs the same app (`src/api/app.ts`).
 */
export const API_FUNCTION = {
  id: 'ApiFunction',
  entry: 'src/api/lambda.ts',
  description: 'The DubeGrid HTTP API (the same Hono app as the embedded server) behind API Gateway',
  memoryMiB: 1024,
  // API Gateway gives up after 30 s; the app answers `running` after 20 s of a query.
  timeoutSeconds: 29,
} as const satisfies FunctionDefinition;

/** A function's key: also its Powertools service name (`POWERTOOLS_SERVICE_NAME`). */
export type FunctionKey = keyof typeof FUNCTIONS;

/**
 * Environment variables the handlers read at module scope (the only place they are
 * read). Table and stream names are fixed by `resources.ts`; the bucket and topic
 * carry account-specific names, so they are passed in.
 */
export const ENV = {
  bucket: 'DUBEGRID_BUCKET',
  stream: 'DUBEGRID_STREAM',
  alertsTopicArn: 'DUBEGRID_ALERTS_TOPIC_ARN',
  readingsTtlDays: 'DUBEGRID_READINGS_TTL_DAYS',
  /** IANA zone (e.g. `Europe/London`) for zone-less LV monitor timestamps; UTC when unset. */
  sourceTimeZone: 'DUBEGRID_SOURCE_TIME_ZONE',
  /** The deployment's account id: `createClients({ target: 'aws' })` derives the bucket name from it. */
  awsAccount: 'DUBEGRID_AWS_ACCOUNT',
  /** JSON overrides of the anomaly rules' thresholds (src/consumers/anomaly/rules/config.ts). */
  anomalyRules: 'DUBEGRID_ANOMALY_RULES',
  /** Minutes a lake day partition must have had no new object before the scheduled compaction rewrites it. */
  compactQuietMinutes: 'DUBEGRID_COMPACT_QUIET_MINUTES',
  /** The split continuation state machine's ARN: the splitter starts it when a file outlasts one invocation. */
  splitStateMachineArn: 'DUBEGRID_SPLIT_STATE_MACHINE_ARN',
  /**
   * Attempts per AWS request (the SDK's standard retry: exponential backoff with jitter);
   * unset: the SDK's 3. More for a network that throttles or fails often.
   */
  maxAttempts: 'DUBEGRID_MAX_ATTEMPTS',
} as const;

/**
 * Asynchronous invocation of the S3-invoked functions (splitter, registry loader): a
 * file whose invocation keeps failing is retried this often, then listed on the
 * function's on-failure destination (an SQS queue on AWS, the local DLQ embedded).
 */
export const ASYNC_INVOCATION = {
  retryAttempts: 2,
  /** An event not processed within this age goes to the on-failure destination unprocessed. */
  maxEventAgeSeconds: 21_600,
} as const;

/** CloudWatch namespace of the functions' Powertools metrics (`POWERTOOLS_METRICS_NAMESPACE`). */
export const METRICS_NAMESPACE = 'DubeGrid';
