/**
 * "Readings applied of N", per projection, while `catchUpProjections` waits: exact, not
 * interpolated from sequence numbers. N is the manifests' `events_emitted`; what is
 * still to apply is counted from the stream itself: each behind shard is read once,
 * from the lowest checkpoint any consumer has on it up to the target, and its user
 * records (KPL de-aggregated: one per reading) are indexed by sequence number. A
 * consumer's remaining readings on a shard are then those after its checkpoint.
 */
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { compareSequenceNumbers } from '../../shared/kinesis/shard-reader.ts';
import type { Lag, ShardSequenceTargets } from '../../shared/kinesis/wait.ts';
import { deaggregate } from '../../shared/kpl.ts';
import type { ProgressMeter } from '../../shared/progress.ts';

/** Per shard: each record's sequence number and the readings up to and including it. */
type ShardIndex = readonly { readonly seq: string; readonly upTo: number }[];

export interface ReadingsIndex {
  /** Readings on the shard after `checkpoint` (all indexed ones when there is none). */
  remaining(shardId: string, checkpoint: string | undefined): number;
}

/** Reads every listed shard from `from` (exclusive; absent: its trim horizon) through `targets`. */
export async function indexReadings(
  kinesis: KinesisClient,
  stream: string,
  from: Readonly<Record<string, string | undefined>>,
  targets: ShardSequenceTargets,
): Promise<ReadingsIndex> {
  const shards = new Map<string, ShardIndex>();
  await Promise.all(
    Object.keys(from).map(async (shardId) => {
      const target = targets[shardId];
      if (target === undefined) return;
      const start = from[shardId];
      const it = await kinesis.send(
        new GetShardIteratorCommand({
          StreamName: stream,
          ShardId: shardId,
          ...(start
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: start }
            : { ShardIteratorType: 'TRIM_HORIZON' }),
        }),
      );
      const index: { seq: string; upTo: number }[] = [];
      let readings = 0;
      let iterator = it.ShardIterator;
      while (iterator) {
        const page = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        for (const r of page.Records ?? []) {
          const seq = r.SequenceNumber as string;
          if (compareSequenceNumbers(seq, target) > 0) {
            iterator = undefined;
            break;
          }
          readings += deaggregate({
            data: Buffer.from(r.Data ?? new Uint8Array()),
            partitionKey: r.PartitionKey ?? '',
            sequenceNumber: seq,
          }).length;
          index.push({ seq, upTo: readings });
        }
        const last = index[index.length - 1];
        if (
          !iterator ||
          (last && compareSequenceNumbers(last.seq, target) >= 0) ||
          (!page.Records?.length && page.MillisBehindLatest === 0)
        )
          break;
        iterator = page.NextShardIterator;
      }
      shards.set(shardId, index);
    }),
  );
  return {
    remaining(shardId, checkpoint) {
      const index = shards.get(shardId) ?? [];
      const total = index[index.length - 1]?.upTo ?? 0;
      if (checkpoint === undefined) return total;
      let applied = 0;
      for (const e of index) {
        if (compareSequenceNumbers(e.seq, checkpoint) > 0) break;
        applied = e.upTo;
      }
      return total - applied;
    },
  };
}

export interface CatchUpMeterOptions {
  readonly kinesis: KinesisClient;
  readonly stream: string;
  readonly targets: ShardSequenceTargets;
  /** The manifests' readings: what "applied of N" counts to. */
  readonly readings: number;
  readonly meter: ProgressMeter;
  /** An index that cannot be read (a stream gone) only loses the counts, not the wait. */
  readonly onError?: (err: Error) => void;
}

/**
 * The `onProgress` of `waitForConsumers`: on the first call it starts the index from the
 * checkpoints it sees; once the index is there, each call ticks every consumer's
 * readings applied. Until then it ticks shards caught up, which is exact too.
 */
export function catchUpMeter(consumers: readonly string[], o: CatchUpMeterOptions): (behind: readonly Lag[]) => void {
  let index: ReadingsIndex | undefined;
  let started = false;
  const shardCount = Object.keys(o.targets).length;
  return (behind) => {
    if (!started && behind.length > 0) {
      started = true;
      // per shard, the lowest checkpoint of any consumer (none: from the trim horizon)
      const from: Record<string, string | undefined> = {};
      for (const lag of behind) {
        if (!Object.hasOwn(from, lag.shard_id)) from[lag.shard_id] = lag.checkpoint;
        const held = from[lag.shard_id];
        if (held === undefined || lag.checkpoint === undefined || compareSequenceNumbers(lag.checkpoint, held) < 0)
          from[lag.shard_id] = held === undefined ? undefined : lag.checkpoint;
      }
      indexReadings(o.kinesis, o.stream, from, o.targets).then(
        (built) => {
          index = built;
        },
        (err: Error) => o.onError?.(err),
      );
    }
    for (const consumer of consumers) {
      const mine = behind.filter((b) => b.consumer === consumer);
      const built = index;
      if (!built) {
        o.meter({ task: consumer, done: shardCount - mine.length, total: shardCount, unit: 'shards' });
        continue;
      }
      const remaining = mine.reduce((n, b) => n + built.remaining(b.shard_id, b.checkpoint), 0);
      const total = Math.max(o.readings, remaining);
      o.meter({ task: consumer, done: total - remaining, total, unit: 'readings applied' });
    }
  };
}
