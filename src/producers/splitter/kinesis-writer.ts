/**
 * Aggregated records → PutRecords, within Kinesis's limits (500 entries and 5 MiB a
 * request, 1 MiB a record; requests are cut at PUT_REQUEST_TARGET_BYTES), one request
 * in flight at a time. Entries that fail
 * (`FailedRecordCount > 0`: throughput exceeded, internal failure) and requests that
 * fail retryably are resent with the shared backoff, up to
 * BACKOFF.kinesisPut.attempts; a later request waits until every entry of the earlier one is
 * in, so a key's later records are held back behind a failed one across requests
 * (within one request Kinesis may accept later entries of the key first; consumers
 * never assume perfect order). When entries still fail, the writer fails: the caller
 * fails the invocation so the whole file is retried — never half-silently.
 */
import { PutRecordsCommand, type PutRecordsCommandOutput, type PutRecordsRequestEntry } from '@aws-sdk/client-kinesis';
import type { AggregatedRecord } from '../../shared/kpl.ts';
import type { ManifestKinesis } from '../../shared/manifest.ts';
import { BACKOFF, backoffMs, isRetryableRequestError, sleep, type BackoffSettings } from '../../shared/retry.ts';
import { BillingTally, recordPayloadBytes } from './billing.ts';
import type { RecordSink } from './core.ts';
import { KinesisWriteError } from './errors.ts';
import {
  KINESIS_MAX_RECORD_BYTES,
  PUT_RECORDS_MAX_BYTES,
  PUT_RECORDS_MAX_ENTRIES,
  PUT_REQUEST_TARGET_BYTES,
  WRITER_MAX_QUEUED_BYTES,
} from './limits.ts';

/** What the writer needs of a Kinesis client. */
export interface PutRecordsClient {
  send(command: PutRecordsCommand): Promise<PutRecordsCommandOutput>;
}

export interface KinesisWriterOptions {
  readonly kinesis: PutRecordsClient;
  readonly stream: string;
  readonly retry?: BackoffSettings;
  /** Records queued beyond this make `needsDrain` true. @default WRITER_MAX_QUEUED_BYTES */
  readonly maxQueuedBytes?: number;
  readonly maxRequestEntries?: number;
  readonly maxRequestBytes?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** The manifest's Kinesis figures the writer knows (event bytes are the core's). */
export type WriterFigures = Omit<ManifestKinesis, 'event_bytes'>;

interface Entry {
  readonly record: AggregatedRecord;
  readonly bytes: number;
}

/** KMS refusals other than throttling do not heal by waiting. */
function isFatalEntryError(code: string): boolean {
  return code.startsWith('KMS') && code !== 'KMSThrottlingException';
}

export class KinesisWriter implements RecordSink {
  private readonly queue: Entry[] = [];
  private queuedBytes = 0;
  private pumping: Promise<void> | undefined;
  private closing = false;
  private failure: Error | undefined;
  private waiters: (() => void)[] = [];
  private readonly billing = new BillingTally();
  private readonly shards = new Map<string, bigint>();
  private userRecords = 0;
  private requests = 0;
  private retried = 0;
  private readonly retry: NonNullable<KinesisWriterOptions['retry']>;
  private readonly maxQueuedBytes: number;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly options: KinesisWriterOptions) {
    this.retry = options.retry ?? BACKOFF.kinesisPut;
    this.maxQueuedBytes = options.maxQueuedBytes ?? WRITER_MAX_QUEUED_BYTES;
    this.maxEntries = options.maxRequestEntries ?? PUT_RECORDS_MAX_ENTRIES;
    this.maxBytes = Math.min(options.maxRequestBytes ?? PUT_REQUEST_TARGET_BYTES, PUT_RECORDS_MAX_BYTES);
    this.sleep = options.sleep ?? sleep;
    this.random = options.random ?? Math.random;
  }

  put(record: AggregatedRecord): void {
    if (this.closing) throw new Error('KinesisWriter.put after close');
    const bytes = recordPayloadBytes(record.data.length, record.partitionKey);
    if (bytes > KINESIS_MAX_RECORD_BYTES) {
      // the aggregator's cap keeps records far below this; a breach is a bug, not data
      throw new RangeError(`a record of ${bytes} bytes exceeds Kinesis's ${KINESIS_MAX_RECORD_BYTES}-byte limit`);
    }
    this.queue.push({ record, bytes });
    this.queuedBytes += bytes;
    if (this.hasFullRequest()) this.pump();
  }

  get needsDrain(): boolean {
    return this.failure !== undefined || this.queuedBytes > this.maxQueuedBytes;
  }

  /** Resolves once the queue is back under its bound; rejects if the writer failed. */
  async drain(): Promise<void> {
    while (!this.failure && this.queuedBytes > this.maxQueuedBytes) {
      this.pump();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.failure) throw this.failure;
  }

  /** Sends everything still queued; resolves with the figures once all is in the stream. */
  async close(): Promise<WriterFigures> {
    this.closing = true;
    while (!this.failure && (this.queue.length > 0 || this.pumping)) {
      this.pump();
      await this.pumping;
    }
    if (this.failure) throw this.failure;
    return this.figures();
  }

  figures(): WriterFigures {
    return {
      stream: this.options.stream,
      records: this.billing.records,
      user_records: this.userRecords,
      payload_bytes: this.billing.payloadBytes,
      put_payload_units: this.billing.putPayloadUnits,
      billed_bytes_on_demand: this.billing.billedBytesOnDemand,
      put_requests: this.requests,
      retried_entries: this.retried,
      shards: Object.fromEntries(
        [...this.shards].sort(([a], [b]) => a.localeCompare(b)).map(([shard, seq]) => [shard, seq.toString()]),
      ),
    };
  }

  private hasFullRequest(): boolean {
    return this.queue.length >= this.maxEntries || this.queuedBytes >= this.maxBytes;
  }

  private pump(): void {
    if (this.pumping || this.failure) return;
    this.pumping = (async () => {
      try {
        while (!this.failure && (this.hasFullRequest() || (this.closing && this.queue.length > 0))) {
          await this.send(this.takeRequest());
          this.wake();
        }
      } catch (err) {
        this.failure = err as Error;
      } finally {
        this.pumping = undefined;
        this.wake();
      }
    })();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private takeRequest(): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && out.length < this.maxEntries) {
      const next = this.queue[0] as Entry;
      if (out.length > 0 && bytes + next.bytes > this.maxBytes) break;
      out.push(next);
      bytes += next.bytes;
      this.queue.shift();
    }
    this.queuedBytes -= bytes;
    return out;
  }

  /** Puts every entry of one request, resending failures until all are in or the budget is spent. */
  private async send(entries: Entry[]): Promise<void> {
    let pending = entries;
    for (let attempt = 1; ; attempt++) {
      let result: PutRecordsCommandOutput | undefined;
      let requestError: unknown;
      try {
        this.requests++;
        result = await this.options.kinesis.send(
          new PutRecordsCommand({ StreamName: this.options.stream, Records: pending.map(toRequestEntry) }),
        );
      } catch (err) {
        if (!isRetryableRequestError(err))
          throw this.giveUp(pending.length, attempt, `PutRecords failed: ${(err as Error).message}`, err);
        requestError = err;
      }
      let failed: Entry[] = pending;
      let lastCode = (requestError as Error | undefined)?.name ?? '';
      if (result) {
        failed = [];
        const answers = result.Records ?? [];
        pending.forEach((entry, i) => {
          const answer = answers[i];
          if (answer?.SequenceNumber && answer.ShardId && !answer.ErrorCode)
            this.written(entry, answer.ShardId, answer.SequenceNumber);
          else {
            failed.push(entry);
            lastCode = answer?.ErrorCode ?? 'NoAnswer';
          }
        });
        const fatal = answers.find((a) => a.ErrorCode && isFatalEntryError(a.ErrorCode));
        if (fatal)
          throw this.giveUp(
            failed.length,
            attempt,
            `Kinesis refused records: ${fatal.ErrorCode}: ${fatal.ErrorMessage ?? ''}`,
          );
      }
      if (failed.length === 0) return;
      if (attempt >= this.retry.attempts) {
        throw this.giveUp(
          failed.length,
          attempt,
          `${failed.length} of ${entries.length} records still failed after ${attempt} attempts (last: ${lastCode})`,
          requestError,
        );
      }
      this.retried += failed.length;
      pending = failed;
      await this.sleep(this.backoff(attempt));
    }
  }

  private backoff(attempt: number): number {
    return backoffMs(this.retry, attempt, this.random);
  }

  private written(entry: Entry, shardId: string, sequenceNumber: string): void {
    this.billing.add(entry.record.data.length, entry.record.partitionKey);
    this.userRecords += entry.record.count;
    const seq = BigInt(sequenceNumber);
    const prev = this.shards.get(shardId);
    if (prev === undefined || seq > prev) this.shards.set(shardId, seq);
  }

  private giveUp(failed: number, attempts: number, message: string, cause?: unknown): KinesisWriteError {
    return new KinesisWriteError(
      `stream ${this.options.stream}: ${message}`,
      this.options.stream,
      failed,
      attempts,
      cause === undefined ? undefined : { cause },
    );
  }
}

function toRequestEntry(entry: Entry): PutRecordsRequestEntry {
  return { PartitionKey: entry.record.partitionKey, Data: entry.record.data };
}
