/**
 * Low-level reading of one Kinesis shard, for every local reader of the stream (the
 * event source mapping pollers, the local Firehose, redrive). Real SDK calls, so it
 * works against kinesalite and Kinesis alike.
 *
 * API
 * - `listShards(kinesis, stream)` → `ShardInfo[]` (every shard, open and closed, with
 *   its parents; follows `NextToken`).
 * - `shardsReadyToRead(shards, isFinished)` → the shards whose parents have all been
 *   read to their end (or have aged out of the listing): read parents before children,
 *   so per-key order survives a reshard.
 * - `new ShardReader({ kinesis, stream, shardId, start, limit? })`, where `start` is a
 *   `StartPosition`: `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP` (`timestamp: Date`),
 *   `AT_SEQUENCE_NUMBER` / `AFTER_SEQUENCE_NUMBER` (`sequenceNumber`).
 *   - `read(limit?)` → one `ShardPage` (`records`, possibly empty; `millisBehindLatest`;
 *     `ended` once a closed shard has been read to its end). One GetRecords call.
 *   - `poll({ signal, limit })` → the next non-empty page (or the end of the shard),
 *     backing off between empty reads (`POLL_BACKOFF`); rejects with an `AbortError`
 *     when `signal` aborts.
 *   - `position` → where the next read starts (a `StartPosition`): persist the last
 *     sequence number you processed yourself (see `checkpoints.ts`) and pass
 *     `AFTER_SEQUENCE_NUMBER` to a new reader to resume.
 *   An expired iterator (kinesalite and Kinesis expire them after 5 minutes unused) is
 *   re-acquired from the last sequence number returned, so a slow consumer neither
 *   skips nor repeats records.
 * - `compareSequenceNumbers(a, b)`: numeric order of two sequence numbers.
 * - `ShardReaderError` for what a caller cannot fix by retrying (a shard that does not
 *   exist); SDK errors (a stopped emulator) are passed through for the caller's backoff.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type _Record,
  type GetShardIteratorCommandInput,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';

export type StartPosition =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: Date }
  | { readonly type: 'AT_SEQUENCE_NUMBER'; readonly sequenceNumber: string }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

export interface ShardInfo {
  readonly shardId: string;
  readonly parentShardId?: string;
  readonly adjacentParentShardId?: string;
  readonly startingSequenceNumber: string;
  /** Set once the shard is closed (split or merged): it takes no more records. */
  readonly endingSequenceNumber?: string;
}

/** A record as GetRecords returns it, with the fields the SDK marks optional made certain. */
export interface StreamRecord {
  readonly sequenceNumber: string;
  readonly partitionKey: string;
  readonly data: Uint8Array;
  /** Arrival time in the stream. */
  readonly arrival: Date;
}

export interface ShardPage {
  readonly records: StreamRecord[];
  readonly millisBehindLatest: number;
  /** True when the shard is closed and every record has been returned. */
  readonly ended: boolean;
}

/** Backoff between empty reads of one shard: fast while data flows, gentle when idle. */
export const POLL_BACKOFF = { firstMs: 20, maxMs: 500, factor: 2 } as const;

/** GetRecords returns at most this many records per call (the Kinesis limit). */
export const GET_RECORDS_MAX = 10_000;

export class ShardReaderError extends Error {
  override name = 'ShardReaderError';
  constructor(
    message: string,
    readonly shardId: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class AbortError extends Error {
  override name = 'AbortError';
}

export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export async function listShards(kinesis: KinesisClient, stream: string): Promise<ShardInfo[]> {
  const out: ShardInfo[] = [];
  let nextToken: string | undefined;
  do {
    const page = await kinesis.send(
      new ListShardsCommand(nextToken ? { NextToken: nextToken } : { StreamName: stream }),
    );
    for (const s of page.Shards ?? []) {
      if (!s.ShardId || !s.SequenceNumberRange?.StartingSequenceNumber) continue;
      out.push({
        shardId: s.ShardId,
        ...(s.ParentShardId ? { parentShardId: s.ParentShardId } : {}),
        ...(s.AdjacentParentShardId ? { adjacentParentShardId: s.AdjacentParentShardId } : {}),
        startingSequenceNumber: s.SequenceNumberRange.StartingSequenceNumber,
        ...(s.SequenceNumberRange.EndingSequenceNumber
          ? { endingSequenceNumber: s.SequenceNumberRange.EndingSequenceNumber }
          : {}),
      });
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return out;
}

export function parentsOf(shard: ShardInfo): string[] {
  return [shard.parentShardId, shard.adjacentParentShardId].filter((p): p is string => p !== undefined);
}

/**
 * Shards that may be read now: not finished themselves, and every parent still listed
 * is finished. A parent no longer listed has aged out of the stream: nothing to wait for.
 */
export function shardsReadyToRead(shards: readonly ShardInfo[], isFinished: (shardId: string) => boolean): ShardInfo[] {
  const listed = new Set(shards.map((s) => s.shardId));
  return shards.filter((s) => !isFinished(s.shardId) && parentsOf(s).every((p) => !listed.has(p) || isFinished(p)));
}

export interface ShardReaderOptions {
  readonly kinesis: KinesisClient;
  readonly stream: string;
  readonly shardId: string;
  readonly start: StartPosition;
  /** Records per GetRecords call; default `GET_RECORDS_MAX`. */
  readonly limit?: number | undefined;
  readonly now?: (() => number) | undefined;
  /**
   * How an `AT_TIMESTAMP` start is read: `scan` (the default, for kinesalite) from the
   * trim horizon, skipping older records; `native`, on Kinesis itself, with an
   * `AT_TIMESTAMP` iterator, so a replay of the last hour does not read the whole
   * retention first.
   */
  readonly atTimestamp?: 'scan' | 'native' | undefined;
}

export class ShardReader {
  readonly shardId: string;
  private iterator: string | undefined;
  private ended = false;
  private lastSequence: string | undefined;
  /** Records before this arrival time are skipped (AT_TIMESTAMP, see `acquire`). */
  private notBefore: number | undefined;
  private readonly now: () => number;

  constructor(private readonly options: ShardReaderOptions) {
    this.shardId = options.shardId;
    this.now = options.now ?? Date.now;
  }

  /** Where the next read starts. */
  get position(): StartPosition {
    if (this.notBefore !== undefined) return { type: 'AT_TIMESTAMP', timestamp: new Date(this.notBefore) };
    if (this.lastSequence) return { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.lastSequence };
    return this.options.start;
  }

  get isEnded(): boolean {
    return this.ended;
  }

  async read(limit = this.options.limit ?? GET_RECORDS_MAX): Promise<ShardPage> {
    for (;;) {
      if (this.ended) return { records: [], millisBehindLatest: 0, ended: true };
      const page = await this.getRecords(Math.min(limit, GET_RECORDS_MAX));
      const records: StreamRecord[] = [];
      for (const r of page.Records ?? []) {
        const record = toStreamRecord(r, this.shardId);
        this.lastSequence = record.sequenceNumber;
        if (this.notBefore !== undefined && record.arrival.getTime() < this.notBefore) continue;
        // arrival order is sequence order within a shard: once one record is recent enough, all later ones are
        this.notBefore = undefined;
        records.push(record);
      }
      this.iterator = page.NextShardIterator;
      if (!this.iterator) this.ended = true;
      // a page skipped whole (AT_TIMESTAMP) says nothing about being caught up: read on
      if (records.length === 0 && (page.Records?.length ?? 0) > 0) continue;
      return { records, millisBehindLatest: page.MillisBehindLatest ?? 0, ended: this.ended };
    }
  }

  private async getRecords(limit: number) {
    this.iterator ??= await this.acquire(this.resumeFrom());
    try {
      return await this.options.kinesis.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: limit }));
    } catch (err) {
      if ((err as Error).name !== 'ExpiredIteratorException') throw err;
      // Unused for 5 minutes (a long batch, a paused poller): start again right after the last record returned.
      this.iterator = await this.acquire(this.resumeFrom());
      return this.options.kinesis.send(new GetRecordsCommand({ ShardIterator: this.iterator, Limit: limit }));
    }
  }

  /** The next page with records, or the end of the shard; waits with backoff while the shard is empty. */
  async poll(options: { signal?: AbortSignal; limit?: number } = {}): Promise<ShardPage> {
    let wait: number = POLL_BACKOFF.firstMs;
    for (;;) {
      if (options.signal?.aborted) throw new AbortError(`reading ${this.shardId} was aborted`);
      const page = await this.read(options.limit);
      if (page.records.length > 0 || page.ended) return page;
      await sleep(wait, options.signal);
      wait = Math.min(POLL_BACKOFF.maxMs, wait * POLL_BACKOFF.factor);
    }
  }

  /** Internal restart point: right after the last record seen, even one skipped (the skipping goes on). */
  private resumeFrom(): StartPosition {
    return this.lastSequence ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: this.lastSequence } : this.position;
  }

  private async acquire(position: StartPosition): Promise<string> {
    const base = { StreamName: this.options.stream, ShardId: this.shardId };
    let input: GetShardIteratorCommandInput;
    switch (position.type) {
      case 'TRIM_HORIZON':
      case 'LATEST':
        input = { ...base, ShardIteratorType: position.type };
        break;
      case 'AT_TIMESTAMP':
        // kinesalite never answers AT_TIMESTAMP when no record is that recent (its
        // request hangs), so there we read from the trim horizon and skip older records
        // here: the same records, at the cost of reading the older ones once. (The skip
        // stays on for a native iterator too: it returns no older record, so it costs nothing.)
        this.notBefore = position.timestamp.getTime();
        input =
          this.options.atTimestamp === 'native'
            ? { ...base, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: position.timestamp }
            : { ...base, ShardIteratorType: 'TRIM_HORIZON' };
        break;
      case 'AT_SEQUENCE_NUMBER':
      case 'AFTER_SEQUENCE_NUMBER':
        input = { ...base, ShardIteratorType: position.type, StartingSequenceNumber: position.sequenceNumber };
        break;
      default: {
        const never: never = position;
        throw new ShardReaderError(`unknown start position ${JSON.stringify(never)}`, this.shardId);
      }
    }
    if (position.type === 'LATEST') {
      // Should this iterator expire before any record arrives, resume from this moment, not a later LATEST.
      this.notBefore = this.now();
    }
    try {
      const out = await this.options.kinesis.send(new GetShardIteratorCommand(input));
      if (!out.ShardIterator) throw new ShardReaderError(`no iterator returned for ${this.shardId}`, this.shardId);
      return out.ShardIterator;
    } catch (err) {
      if ((err as Error).name === 'ResourceNotFoundException') {
        throw new ShardReaderError(
          `shard ${this.shardId} of stream ${this.options.stream} does not exist`,
          this.shardId,
          { cause: err },
        );
      }
      throw err;
    }
  }
}

function toStreamRecord(r: _Record, shardId: string): StreamRecord {
  if (!r.SequenceNumber || r.PartitionKey === undefined || !r.Data) {
    throw new ShardReaderError(
      `GetRecords on ${shardId} returned a record without sequence number, key or data`,
      shardId,
    );
  }
  return {
    sequenceNumber: r.SequenceNumber,
    partitionKey: r.PartitionKey,
    data: r.Data,
    arrival: r.ApproximateArrivalTimestamp ?? new Date(0),
  };
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new AbortError('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new AbortError('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
