/**
 * The local Firehose (service `firehose`): the Kinesis stream → Parquet lake delivery
 * stream of the embedded target. One reader per shard (parents before children), the
 * delivery core (`src/lake/delivery.ts`) for de-aggregation, conversion, partitioning
 * and buffering, its own checkpoint per shard (`<data dir>/checkpoints/firehose/`).
 *
 * At least once: an object is written first, the checkpoint moved after; a crash in
 * between re-reads and re-delivers those readings (the `readings` view dedupes them).
 * Starts at TRIM_HORIZON on a fresh data dir (Firehose on AWS starts at LATEST, but
 * there it is created together with the stream).
 *
 * `flush()` is a barrier: it reads every shard up to its current end, writes every
 * buffer and checkpoints, so whatever was on the stream when it was called is in the
 * lake when it returns. The stack's flush (and so `ingest --wait`) and `stop()` use it.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDbParquetWriter } from '../../lake/parquet.ts';
import { bufferingFromEnv } from '../../lake/config.ts';
import { LakeDelivery, type BufferingHints, type FlushOutcome } from '../../lake/delivery.ts';
import { s3Sink } from '../../lake/sink.ts';
import { readerUnits } from '../../producers/splitter/mapping/stored.ts';
import type { UnitsProvider } from '../../shared/units.ts';
import { CheckpointStore, resumePosition } from '../../shared/kinesis/checkpoints.ts';
import {
  listShards,
  POLL_BACKOFF,
  ShardReader,
  ShardReaderError,
  shardsReadyToRead,
  type ShardInfo,
} from '../../shared/kinesis/shard-reader.ts';
import type { Service, ServiceContext, ServiceFactory } from '../service.ts';

export const FIREHOSE_SERVICE = 'firehose';

export interface LocalFirehoseOptions {
  readonly buffering: BufferingHints;
  /** Records per GetRecords call. @default `FIREHOSE_MEMORY.readLimit` */
  readonly readLimit?: number;
  /** How often the list of shards is read again (reshards). @default 10 s */
  readonly rediscoverMs?: number;
  /** `flush()` stops waiting for the shards' ends after this long without reading a record. @default 60 s */
  readonly catchUpTimeoutMs?: number;
  /** Readers pause while this much is buffered, until a write frees room. @default `FIREHOSE_MEMORY.maxBufferedBytes` */
  readonly maxBufferedBytes?: number;
  /** The units readings may carry. @default the built-in and stored mappings' (`readerUnits`) */
  readonly units?: UnitsProvider;
}

/**
 * What the local Firehose may hold in `up`'s heap, which a heap pacer keeps near its live
 * set (`heap-pacer.ts`), so the live set is what counts. A buffered reading costs ~1.4 times
 * its JSON there (measured: 622 bytes of heap for 433 of JSON), and the old bound, 4 × the
 * 16 MiB buffer size, was never reached: each day's buffer stayed under its size until the
 * 60 s interval, so a 96 k-reading ingest held up to its whole ~40 MB of JSON (~57 MiB).
 * Now at most 4 MiB of readings' JSON is buffered (then every buffer is written, as when
 * one is due; 8 MiB until the third pass of "Peak memory"), read in pages of 16 KPL
 * aggregates (~1.5 MiB, under the local stream's 2 MiB cap) so that four shard readers
 * between two checks of the bound add little to it and each response is less garbage.
 * Parquet objects are then smaller and twice as many (a DuckDB instance of ~30 ms each);
 * compaction merges them.
 */
export const FIREHOSE_MEMORY = { maxBufferedBytes: 4 * 1024 * 1024, readLimit: 16 } as const;

interface Worker {
  readonly shardId: string;
  /** Start time of the latest read that found the shard empty (nothing behind). */
  emptyReadStartedAt: number;
  ended: boolean;
  endMarked: boolean;
  wake: () => void;
  done: Promise<void>;
}

export class LocalFirehose implements Service {
  readonly name = FIREHOSE_SERVICE;
  private delivery: LakeDelivery | undefined;
  private writer: DuckDbParquetWriter | undefined;
  private readonly store: CheckpointStore;
  private readonly units: UnitsProvider;
  private readonly workers = new Map<string, Worker>();
  private readonly abort = new AbortController();
  private timers: NodeJS.Timeout[] = [];
  /** Writes and checkpoints run one at a time, in order: a checkpoint never moves back. */
  private chain: Promise<unknown> = Promise.resolve();
  private writing = false;
  private lastError: string | undefined;
  private lastProgressAt = 0;
  private stopped = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly options: LocalFirehoseOptions,
  ) {
    // Re-read every second, not every 30 s: a reading the lake refuses is not retried, and a
    // listing of the local bucket costs nothing (Firehose on AWS does not check units at all).
    this.units = options.units ?? readerUnits(ctx.clients.s3, ctx.clients.names.bucket, 1_000);
    this.store = new CheckpointStore(ctx.paths.checkpoints, FIREHOSE_SERVICE, { onDamaged: (m) => ctx.log.warn(m) });
  }

  async start(): Promise<void> {
    const tmpDir = join(this.ctx.paths.cache, 'lake-writer');
    await mkdir(tmpDir, { recursive: true });
    this.writer = await DuckDbParquetWriter.open({ tmpDir });
    this.delivery = new LakeDelivery({
      writer: this.writer,
      sink: s3Sink(this.ctx.clients.s3, this.ctx.clients.names.bucket),
      buffering: this.options.buffering,
    });
    await this.discover();
    const tick = Math.max(50, Math.min(1_000, this.options.buffering.intervalMs / 4));
    this.timers.push(setInterval(() => this.kick(), tick));
    this.timers.push(
      setInterval(
        () => void this.discover().catch((err: Error) => this.note(err)),
        this.options.rediscoverMs ?? 10_000,
      ),
    );
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.abort.abort();
    for (const w of this.workers.values()) w.wake();
    await Promise.all([...this.workers.values()].map((w) => w.done));
    const delivery = this.delivery;
    if (delivery) {
      await this.serial(async () => {
        const outcome = await delivery.flushAll();
        await this.commit(outcome);
        if (outcome.failures.length)
          this.ctx.log.warn(
            `firehose: ${outcome.failures.length} buffer(s) not written at shutdown; they are re-read from the stream on the next start`,
          );
      });
    }
    await this.writer?.close();
  }

  async flush(): Promise<void> {
    const delivery = this.required();
    await this.discover();
    const since = Date.now();
    const patience = this.options.catchUpTimeoutMs ?? 60_000;
    for (const w of this.workers.values()) w.wake();
    // a long backlog may take minutes to read: wait while reading makes progress
    while (![...this.workers.values()].every((w) => w.ended || w.emptyReadStartedAt >= since)) {
      if (Date.now() - Math.max(since, this.lastProgressAt) > patience) {
        this.ctx.log.warn(
          `firehose: no record read for ${Math.round(patience / 1000)} s and the shards' ends not reached; writing what has been read`,
        );
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await this.serial(async () => {
      const outcome = await delivery.flushAll();
      await this.commit(outcome);
      if (outcome.failures.length)
        throw new Error(
          `firehose could not write ${outcome.failures.length} object(s): ${outcome.failures[0]?.message}`,
        );
    });
  }

  async status(): Promise<Record<string, unknown>> {
    const d = this.delivery;
    const checkpoints = await this.store.all();
    return {
      shards: this.workers.size,
      buffered_bytes: d?.bufferedBytes ?? 0,
      open_buffers: d?.bufferCount ?? 0,
      ...(d ? d.stats : {}),
      checkpointed_records: [...checkpoints.values()].reduce((s, c) => s + c.records, 0),
      buffering: { size_bytes: this.options.buffering.sizeBytes, interval_s: this.options.buffering.intervalMs / 1000 },
      ...(this.lastError ? { last_error: this.lastError } : {}),
    };
  }

  private required(): LakeDelivery {
    if (!this.delivery) throw new Error('the firehose service has not been started');
    return this.delivery;
  }

  /** Starts a reader for every shard that may be read now (its parents are finished). */
  private async discover(): Promise<void> {
    if (this.stopped) return;
    const shards = await listShards(this.ctx.clients.kinesis, this.ctx.clients.names.stream);
    const checkpoints = await this.store.all();
    const finished = (id: string): boolean =>
      checkpoints.get(id)?.shard_end === true || this.workers.get(id)?.endMarked === true;
    for (const shard of shardsReadyToRead(shards, finished)) {
      if (!this.workers.has(shard.shardId) && !this.stopped)
        this.workers.set(shard.shardId, this.startWorker(shard, checkpoints.get(shard.shardId)));
    }
  }

  private startWorker(shard: ShardInfo, checkpoint: Parameters<typeof resumePosition>[0]): Worker {
    const worker: Worker = {
      shardId: shard.shardId,
      emptyReadStartedAt: 0,
      ended: false,
      endMarked: false,
      wake: () => undefined,
      done: Promise.resolve(),
    };
    const reader = new ShardReader({
      kinesis: this.ctx.clients.kinesis,
      stream: this.ctx.clients.names.stream,
      shardId: shard.shardId,
      start: resumePosition(checkpoint) ?? { type: 'TRIM_HORIZON' },
      limit: this.options.readLimit ?? FIREHOSE_MEMORY.readLimit,
    });
    worker.done = this.runWorker(worker, reader).catch((err: Error) => this.note(err));
    return worker;
  }

  private async runWorker(worker: Worker, reader: ShardReader): Promise<void> {
    const signal = this.abort.signal;
    let backoff: number = POLL_BACKOFF.firstMs;
    while (!signal.aborted) {
      await this.roomToRead(worker);
      if (signal.aborted) break;
      const startedAt = Date.now();
      let page;
      let units;
      try {
        // the units first: a page once read must be accepted, and the mappings may be unreadable for a moment
        units = await this.units();
        page = await reader.read();
      } catch (err) {
        if (err instanceof ShardReaderError) throw err;
        this.note(err as Error);
        await this.pause(worker, POLL_BACKOFF.maxMs);
        continue;
      }
      if (page.records.length > 0) {
        this.required().accept(worker.shardId, page.records, units);
        this.lastProgressAt = Date.now();
        if (this.required().hasDue()) this.kick();
        backoff = POLL_BACKOFF.firstMs;
      } else if (page.millisBehindLatest === 0) {
        worker.emptyReadStartedAt = startedAt;
      }
      if (page.ended) {
        worker.ended = true;
        this.kick();
        return;
      }
      if (page.records.length === 0) {
        await this.pause(worker, backoff);
        backoff = Math.min(POLL_BACKOFF.maxMs, backoff * POLL_BACKOFF.factor);
      }
    }
  }

  /** Sleeps, unless woken (by `flush`, `stop`). */
  private pause(worker: Worker, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      worker.wake = done;
    });
  }

  /** Bounded memory: while too much is buffered, write (kick) and wait. */
  private async roomToRead(worker: Worker): Promise<void> {
    const cap = this.options.maxBufferedBytes ?? FIREHOSE_MEMORY.maxBufferedBytes;
    while (!this.abort.signal.aborted && this.required().bufferedBytes >= cap) {
      this.kick(true);
      await this.pause(worker, 50);
    }
  }

  /** Writes due buffers (or all, when memory is short) unless a write is already running. */
  private kick(all = false): void {
    const delivery = this.delivery;
    if (!delivery || this.writing || this.stopped) return;
    if (!all && !delivery.hasDue()) return;
    this.writing = true;
    void this.serial(async () => {
      try {
        await this.commit(await (all ? delivery.flushAll() : delivery.flushDue()));
      } catch (err) {
        this.note(err as Error);
      } finally {
        this.writing = false;
      }
    });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Checkpoints what the outcome made safe; marks read-out closed shards finished. */
  private async commit(outcome: FlushOutcome): Promise<void> {
    for (const c of outcome.commits) await this.store.save(c.shardId, c.sequenceNumber, { records: c.records });
    for (const f of outcome.failures) this.note(f);
    let ended = false;
    for (const w of this.workers.values()) {
      if (w.ended && !w.endMarked && this.required().outstanding(w.shardId) === 0) {
        await this.store.markShardEnd(w.shardId);
        w.endMarked = true;
        ended = true;
      }
    }
    if (ended) await this.discover();
  }

  private note(err: Error): void {
    this.lastError = `${new Date().toISOString()} ${err.message.split('\n')[0]}`;
    this.ctx.log.warn(`firehose: ${err.message.split('\n')[0]}`);
  }
}

export function createLocalFirehose(ctx: ServiceContext, options: LocalFirehoseOptions): LocalFirehose {
  return new LocalFirehose(ctx, options);
}

/** The pipeline's entry: buffering from the defaults and the environment. */
export const firehoseService: ServiceFactory = (ctx) =>
  createLocalFirehose(ctx, { buffering: bufferingFromEnv(process.env) });
