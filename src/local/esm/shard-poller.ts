/**
 * One shard of one event source mapping: reads in shard order, gathers a batch (up
 * to `batchSize` records, the invocation payload limit, or `maxBatchingWindowSeconds`
 * after the first record, whichever comes first), delivers it through `runBatch`, and
 * saves the checkpoint after every part of it that is done. One batch at a time per
 * shard (parallelization factor 1), so records of one shard are never processed out
 * of order or concurrently.
 */
import type { EventSourceMappingSettings } from '../../shared/consumers.ts';
import type { KinesisFailure, LocalDlq } from '../dlq.ts';
import type { RuntimeLog } from '../service.ts';
import { runBatch } from '../../shared/kinesis/batch-runner.ts';
import type { CheckpointStore } from '../../shared/kinesis/checkpoints.ts';
import { INVOKE_PAYLOAD_LIMIT_BYTES, recordPayloadBytes, type InvokeOutcome } from '../../shared/kinesis/invoke.ts';
import {
  AbortError,
  POLL_BACKOFF,
  ShardReader,
  sleep,
  type StartPosition,
  type StreamRecord,
} from '../../shared/kinesis/shard-reader.ts';
import type { KinesisClient } from '@aws-sdk/client-kinesis';

/** Wait after a failed read (the emulators restarting, say) before reading again. */
const READ_ERROR_BACKOFF_MS = 1_000;

export interface ShardPollerOptions {
  readonly kinesis: KinesisClient;
  readonly stream: string;
  readonly shardId: string;
  readonly start: StartPosition;
  readonly settings: EventSourceMappingSettings;
  readonly checkpoints: CheckpointStore;
  readonly dlq: LocalDlq;
  invoke(records: readonly StreamRecord[]): Promise<InvokeOutcome>;
  readonly log: RuntimeLog;
  readonly now?: () => number;
}

export interface ShardPollerStats {
  shard_id: string;
  state: 'reading' | 'ended' | 'stopped';
  checkpoint?: string | undefined;
  records: number;
  batches: number;
  invocations: number;
  retries: number;
  bisections: number;
  dlq_records: number;
  millis_behind_latest: number;
  last_error?: string;
}

export class ShardPoller {
  private readonly reader: ShardReader;
  private readonly buffer: StreamRecord[] = [];
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private readonly now: () => number;
  readonly stats: ShardPollerStats;

  constructor(private readonly o: ShardPollerOptions) {
    this.now = o.now ?? Date.now;
    this.reader = new ShardReader({
      kinesis: o.kinesis,
      stream: o.stream,
      shardId: o.shardId,
      start: o.start,
      now: this.now,
    });
    this.stats = {
      shard_id: o.shardId,
      state: 'reading',
      records: 0,
      batches: 0,
      invocations: 0,
      retries: 0,
      bisections: 0,
      dlq_records: 0,
      millis_behind_latest: 0,
    };
  }

  /** Starts the loop; the promise settles when the shard is read to its end or `stop` is called. */
  start(): Promise<void> {
    this.running ??= this.loop().catch((err: Error) => {
      if (!(err instanceof AbortError)) throw err;
    });
    return this.running;
  }

  /** Stops after the invocation in hand; what is not checkpointed yet is read again on the next start. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running?.catch(() => undefined);
    if (this.stats.state === 'reading') this.stats.state = 'stopped';
  }

  private async loop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const batch = await this.gather(signal);
      if (batch.length === 0) {
        if (this.reader.isEnded) {
          await this.o.checkpoints.markShardEnd(this.o.shardId);
          this.stats.state = 'ended';
          return;
        }
        continue;
      }
      await this.deliver(batch);
    }
  }

  /** The next batch: waits for a first record, then up to the batching window for more. */
  private async gather(signal: AbortSignal): Promise<StreamRecord[]> {
    const { batchSize, maxBatchingWindowSeconds } = this.o.settings;
    if (this.buffer.length === 0) {
      const page = await this.readSafely(() => this.reader.poll({ signal, limit: batchSize }), signal);
      if (!page) return [];
      this.buffer.push(...page.records);
    }
    const windowEnds = this.now() + maxBatchingWindowSeconds * 1000;
    let wait: number = POLL_BACKOFF.firstMs;
    while (
      this.buffer.length < batchSize &&
      !this.reader.isEnded &&
      !this.payloadFull() &&
      this.now() < windowEnds &&
      !signal.aborted
    ) {
      const page = await this.readSafely(() => this.reader.read(batchSize - this.buffer.length), signal);
      if (page && page.records.length > 0) {
        this.buffer.push(...page.records);
        wait = POLL_BACKOFF.firstMs;
        continue;
      }
      await sleep(Math.min(wait, Math.max(0, windowEnds - this.now())), signal).catch(() => undefined);
      wait = Math.min(POLL_BACKOFF.maxMs, wait * POLL_BACKOFF.factor);
    }
    return this.takeBatch();
  }

  private payloadFull(): boolean {
    let bytes = 0;
    for (const r of this.buffer) bytes += recordPayloadBytes(r);
    return bytes >= INVOKE_PAYLOAD_LIMIT_BYTES;
  }

  /** The head of the buffer that fits the batch size and the payload limit (always at least one record). */
  private takeBatch(): StreamRecord[] {
    let bytes = 0;
    let n = 0;
    while (n < this.buffer.length && n < this.o.settings.batchSize) {
      const size = recordPayloadBytes(this.buffer[n] as StreamRecord);
      if (n > 0 && bytes + size > INVOKE_PAYLOAD_LIMIT_BYTES) break;
      bytes += size;
      n += 1;
    }
    return this.buffer.splice(0, n);
  }

  private async readSafely<T extends { millisBehindLatest: number }>(
    read: () => Promise<T>,
    signal: AbortSignal,
  ): Promise<T | undefined> {
    try {
      const page = await read();
      this.stats.millis_behind_latest = page.millisBehindLatest;
      return page;
    } catch (err) {
      if (err instanceof AbortError || signal.aborted) return undefined;
      this.stats.last_error = `reading: ${(err as Error).message}`;
      this.o.log.warn(`${this.o.settings.name}/${this.o.shardId}: ${this.stats.last_error}; retrying`);
      await sleep(READ_ERROR_BACKOFF_MS, signal).catch(() => undefined);
      return undefined;
    }
  }

  private async deliver(batch: StreamRecord[]): Promise<void> {
    const { o } = this;
    this.stats.batches += 1;
    const report = await runBatch(batch, {
      settings: o.settings,
      invoke: o.invoke,
      now: this.now,
      // a stop during retry backoff leaves the failing records uncheckpointed: they are delivered again on restart
      sleep: (ms) => sleep(ms, this.abort.signal),
      onDone: async (done) => {
        const last = done[done.length - 1];
        if (!last) return;
        const cp = await o.checkpoints.save(o.shardId, last.sequenceNumber, { records: done.length });
        this.stats.checkpoint = cp.sequence_number;
        this.stats.records += done.length;
      },
      onFailure: async (failed, failure) => {
        await o.dlq.put({
          source: o.settings.name,
          error: failure.error,
          condition: failure.condition,
          attempts: failure.attempts,
          payload: failurePayload(o.stream, o.shardId, failed),
        });
        this.stats.dlq_records += failed.length;
        this.stats.last_error = failure.error;
        o.log.warn(
          `${o.settings.name}/${o.shardId}: ${failed.length} record(s) sent to the DLQ (${failure.condition}): ${failure.error}`,
        );
      },
    });
    this.stats.invocations += report.invocations;
    this.stats.retries += report.retries;
    this.stats.bisections += report.bisections;
  }
}

export function failurePayload(stream: string, shardId: string, records: readonly StreamRecord[]): KinesisFailure {
  const first = records[0];
  const last = records[records.length - 1];
  if (!first || !last) throw new RangeError('a DLQ entry needs at least one record');
  return {
    kind: 'kinesis',
    stream,
    shard_id: shardId,
    start_sequence_number: first.sequenceNumber,
    end_sequence_number: last.sequenceNumber,
    records: records.length,
    first_arrival: first.arrival.toISOString(),
  };
}
