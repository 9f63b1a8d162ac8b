/**
 * Event source mapping settings of every stream consumer. The CDK event source
 * mappings and the embedded poller (`src/local/`) both read these, so a consumer
 * behaves alike on both targets.
 */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST' | 'AT_TIMESTAMP';

export interface EventSourceMappingSettings {
  /** Consumer name: also the checkpoint and DLQ folder name in the embedded stack. */
  readonly name: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly startingPosition: StartingPosition;
  /** With `AT_TIMESTAMP`: where to start (an ISO time). */
  readonly startingPositionTimestamp?: string;
  /** Retries of a failing batch before it goes to the on-failure destination. */
  readonly retryAttempts: number;
  readonly bisectBatchOnError: boolean;
  /** Records older than this are sent to the on-failure destination unprocessed. */
  readonly maxRecordAgeSeconds: number;
  readonly reportBatchItemFailures: boolean;
  readonly parallelizationFactor: number;
}

const common = {
  startingPosition: 'TRIM_HORIZON',
  retryAttempts: 3,
  bisectBatchOnError: true,
  // Lambda's maximum: a consumer that was down for days still gets its records.
  maxRecordAgeSeconds: 604_800,
  reportBatchItemFailures: true,
  parallelizationFactor: 1,
} as const;

export const CONSUMERS = {
  state: { ...common, name: 'state', batchSize: 500, maxBatchingWindowSeconds: 1 },
  anomaly: { ...common, name: 'anomaly', batchSize: 500, maxBatchingWindowSeconds: 1 },
} as const satisfies Record<string, EventSourceMappingSettings>;
