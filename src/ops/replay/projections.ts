/**
 * The projections a replay drives, each behind one small interface:
 *
 * - `state`, `anomaly`: the consumers' own handlers, built by the same factories the
 *   embedded services use, invoked in-process with real-shaped `KinesisStreamEvent`s in
 *   batches as their event source mapping makes them (`CONSUMERS.*`: batch size, the
 *   invocation payload limit), with the mapping's error handling (`runBatch`: partial
 *   batch responses, bisect, bounded retries). What still fails is reported, never
 *   skipped silently; there is no record age limit, since old records are the point.
 * - `lake`: the delivery core with the Parquet writer the local Firehose uses, writing
 *   new objects (Firehose cannot be rewound, and delivers at least once anyway: the
 *   `readings` view keeps one row per event).
 */
import { mkdir } from 'node:fs/promises';
import type { StreamRecord } from '../../shared/kinesis/shard-reader.ts';
import { runBatch } from '../../shared/kinesis/batch-runner.ts';
import {
  INVOKE_PAYLOAD_LIMIT_BYTES,
  invokeHandler,
  recordPayloadBytes,
  type EventSource,
  type KinesisHandler,
} from '../../shared/kinesis/invoke.ts';
import { stateConsumer } from '../../local/services/state.ts';
import { anomalyDepsFromEnv, createAnomalyHandler } from '../../consumers/anomaly/handler.ts';
import type { BatchStats } from '../../consumers/anomaly/processor.ts';
import type { AlertPublisher } from '../../consumers/anomaly/publisher.ts';
import { LOCAL_BUFFERING } from '../../lake/config.ts';
import { LakeDelivery } from '../../lake/delivery.ts';
import { DuckDbParquetWriter } from '../../lake/parquet.ts';
import { s3Sink } from '../../lake/sink.ts';
import { CONSUMERS, type EventSourceMappingSettings } from '../../shared/consumers.ts';
import { FUNCTIONS, type FunctionDefinition } from '../../shared/functions.ts';
import { sleep } from '../../shared/retry.ts';
import { lakeTmpDir, type OpsEnvironment, type ProjectionName } from './environment.ts';
import { ReplayError } from './errors.ts';
import { readerUnits } from '../../producers/splitter/mapping/stored.ts';
import type { UnitsProvider } from '../../shared/units.ts';

/** One page of one shard, with the readings inside each record (counted once for all projections). */
export interface ReplayPage {
  readonly shardId: string;
  readonly records: readonly StreamRecord[];
  readonly readings: readonly number[];
}

/** Records a projection could not apply after its retries: the range, and why. */
export interface ReplayFailure {
  readonly projection: ProjectionName;
  readonly shard_id: string;
  readonly first_sequence_number: string;
  readonly last_sequence_number: string;
  readonly records: number;
  readonly error: string;
}

export interface ProjectionFigures {
  records: number;
  readings: number;
  invocations: number;
  retries: number;
  failed_records: number;
  /** Projection-specific figures (the anomaly handler's counts, the lake's objects). */
  detail: Record<string, number>;
}

export interface ReplayProjection {
  readonly name: ProjectionName;
  readonly figures: ProjectionFigures;
  readonly failures: readonly ReplayFailure[];
  apply(page: ReplayPage): Promise<void>;
  /** Writes out whatever is buffered. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

export interface ProjectionOptions {
  /** Publishes what the anomaly projection stores (a rebuild wraps the environment's). */
  readonly publisher?: AlertPublisher;
  /** Lake: write out once this much is buffered. @default LOCAL_BUFFERING.sizeBytes */
  readonly lakeBufferBytes?: number;
}

export async function openProjection(
  name: ProjectionName,
  envt: OpsEnvironment,
  options: ProjectionOptions = {},
): Promise<ReplayProjection> {
  switch (name) {
    case 'state':
      return new HandlerProjection(
        name,
        stateConsumer.createHandler({ clients: envt.clients, env: envt.env, log: envt.log }),
        CONSUMERS.state,
        FUNCTIONS.state,
        envt,
      );
    case 'anomaly': {
      const detail: Record<string, number> = {};
      const handler = createAnomalyHandler(
        anomalyDepsFromEnv(envt.clients, envt.env, {
          publisher: options.publisher ?? envt.publisher,
          log: envt.log,
          onReport: (r) => addStats(detail, r.stats),
        }),
      );
      return new HandlerProjection(name, handler, CONSUMERS.anomaly, FUNCTIONS.anomaly, envt, detail);
    }
    case 'lake':
      return LakeProjection.open(envt, options.lakeBufferBytes ?? LOCAL_BUFFERING.sizeBytes);
    default: {
      const never: never = name;
      throw new ReplayError(`unknown projection ${String(never)}`);
    }
  }
}

const ANOMALY_FIGURES = [
  'applied',
  'corrected',
  'duplicates',
  'late',
  'rejected',
  'windows_written',
  'notifications_stored',
  'notifications_published',
] as const satisfies readonly (keyof BatchStats)[];

function addStats(into: Record<string, number>, stats: BatchStats): void {
  for (const k of ANOMALY_FIGURES) into[k] = (into[k] ?? 0) + stats[k];
}

const emptyFigures = (detail: Record<string, number> = {}): ProjectionFigures => ({
  records: 0,
  readings: 0,
  invocations: 0,
  retries: 0,
  failed_records: 0,
  detail,
});

class HandlerProjection implements ReplayProjection {
  readonly figures: ProjectionFigures;
  readonly failures: ReplayFailure[] = [];

  constructor(
    readonly name: ProjectionName,
    private readonly handler: KinesisHandler,
    private readonly settings: EventSourceMappingSettings,
    private readonly fn: FunctionDefinition,
    private readonly envt: OpsEnvironment,
    detail: Record<string, number> = {},
  ) {
    this.figures = emptyFigures(detail);
  }

  async apply(page: ReplayPage): Promise<void> {
    const source: EventSource = {
      region: this.envt.clients.region,
      account: this.envt.account,
      stream: this.envt.clients.names.stream,
      shardId: page.shardId,
      consumer: this.settings.name,
    };
    const readingsOf = new Map(page.records.map((r, i) => [r.sequenceNumber, page.readings[i] ?? 0]));
    const failed = new Set<string>();
    for (const batch of invocationBatches(page.records, this.settings.batchSize)) {
      const report = await runBatch(batch, {
        // replaying old records is the point: no maximum record age
        settings: {
          retryAttempts: this.settings.retryAttempts,
          bisectBatchOnError: this.settings.bisectBatchOnError,
          maxRecordAgeSeconds: -1,
        },
        invoke: (records) =>
          invokeHandler(this.handler, records, source, this.fn, this.settings.reportBatchItemFailures),
        onFailure: async (records, failure) => {
          for (const r of records) failed.add(r.sequenceNumber);
          this.failures.push({
            projection: this.name,
            shard_id: page.shardId,
            first_sequence_number: records[0]?.sequenceNumber ?? '',
            last_sequence_number: records[records.length - 1]?.sequenceNumber ?? '',
            records: records.length,
            error: failure.error,
          });
        },
        onDone: async (records) => {
          for (const r of records) {
            if (failed.has(r.sequenceNumber)) continue;
            this.figures.records += 1;
            this.figures.readings += readingsOf.get(r.sequenceNumber) ?? 0;
          }
        },
        sleep,
        now: Date.now,
      });
      this.figures.invocations += report.invocations;
      this.figures.retries += report.retries;
      this.figures.failed_records += report.failed;
    }
  }

  async finish(): Promise<void> {}

  async close(): Promise<void> {}
}

/** Batches as the event source mapping makes them: at most `batchSize` records within the invocation payload limit. */
export function invocationBatches(records: readonly StreamRecord[], batchSize: number): StreamRecord[][] {
  const out: StreamRecord[][] = [];
  let batch: StreamRecord[] = [];
  let bytes = 0;
  for (const r of records) {
    const size = recordPayloadBytes(r);
    if (batch.length > 0 && (batch.length >= batchSize || bytes + size > INVOKE_PAYLOAD_LIMIT_BYTES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(r);
    bytes += size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

class LakeProjection implements ReplayProjection {
  readonly name = 'lake' as const;
  readonly figures = emptyFigures({ conversion_errors: 0, objects: 0, rows_written: 0, duplicates_in_buffer: 0 });
  readonly failures: ReplayFailure[] = [];

  private constructor(
    private readonly delivery: LakeDelivery,
    private readonly writer: DuckDbParquetWriter,
    private readonly bufferBytes: number,
    private readonly units: UnitsProvider,
  ) {}

  static async open(envt: OpsEnvironment, bufferBytes: number): Promise<LakeProjection> {
    const tmpDir = lakeTmpDir(envt);
    if (tmpDir) await mkdir(tmpDir, { recursive: true });
    const writer = await DuckDbParquetWriter.open(tmpDir ? { tmpDir } : {});
    // Objects are written when the replay has buffered enough or ends, never by age.
    const delivery = new LakeDelivery({
      writer,
      sink: s3Sink(envt.clients.s3, envt.clients.names.bucket),
      buffering: { sizeBytes: bufferBytes, intervalMs: Number.MAX_SAFE_INTEGER },
    });
    return new LakeProjection(delivery, writer, bufferBytes, readerUnits(envt.clients.s3, envt.clients.names.bucket));
  }

  async apply(page: ReplayPage): Promise<void> {
    const accepted = this.delivery.accept(page.shardId, page.records, await this.units());
    this.figures.records += accepted.records;
    this.figures.readings += accepted.readings;
    this.figures.detail.conversion_errors = (this.figures.detail.conversion_errors ?? 0) + accepted.errors;
    if (this.delivery.bufferedBytes >= this.bufferBytes) await this.write(false);
  }

  finish(): Promise<void> {
    return this.write(true);
  }

  async close(): Promise<void> {
    await this.writer.close();
  }

  /** Writes every buffer; one that cannot be written stays buffered for the next write, and the last one (`strict`) fails the replay. */
  private async write(strict: boolean): Promise<void> {
    const outcome = await this.delivery.flushAll();
    const d = this.figures.detail;
    d.objects = this.delivery.stats.objects;
    d.rows_written = this.delivery.stats.rows_written;
    d.duplicates_in_buffer = this.delivery.stats.duplicates_in_buffer;
    if (outcome.failures.length > 0 && strict)
      throw new ReplayError(
        `the lake could not write ${outcome.failures.length} object(s): ${outcome.failures[0]?.message}`,
        { cause: outcome.failures[0] },
      );
  }
}
