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
  registry: {
    id: 'RegistryLoaderFunction',
    entry: 'src/consumers/registry/handler.ts',
    description: 'S3 reference/assets/ ObjectCreated → the assets table',
    memoryMiB: 256,
    timeoutSeconds: 300,
  },
} as const satisfies Record<string, FunctionDefinition>;

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
