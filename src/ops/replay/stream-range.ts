/**
 * Reading a time range of the whole stream: every shard from `AT_TIMESTAMP from` up to
 * the records that arrived at `to`, shards in parallel, parents before children (so a
 * key's records keep their order across a reshard), each shard's pages handed on in
 * shard order with backpressure (the next page is read once the last one is taken).
 *
 * A shard is done when it is closed and read to its end, when a record arrived after
 * `to`, or when a read finds nothing more and the shard is not behind: the stream keeps
 * growing while a pipeline runs, and a replay stops at its own `to`.
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import {
  listShards,
  ShardReader,
  shardsReadyToRead,
  sleep,
  type ShardInfo,
  type StreamRecord,
} from '../../shared/kinesis/shard-reader.ts';

export interface StreamRange {
  readonly from: Date;
  readonly to: Date;
}

export interface ReadRangeOptions {
  readonly kinesis: KinesisClient;
  readonly stream: string;
  readonly range: StreamRange;
  /** Records per GetRecords call. */
  readonly pageRecords: number;
  /** Takes one page of one shard; the shard's next page waits for it. */
  onPage(shardId: string, records: readonly StreamRecord[]): Promise<void>;
  /** Wait before reading again a shard that is behind but returned nothing. @default 200 */
  readonly behindPauseMs?: number;
  /** `native` on Kinesis: start each shard with an AT_TIMESTAMP iterator (see `ShardReaderOptions`). @default 'scan' */
  readonly atTimestamp?: 'scan' | 'native';
}

export interface ShardRead {
  readonly shard_id: string;
  readonly records: number;
  /** Why reading stopped: `end` (closed shard), `to` (a later record), `caught_up`. */
  readonly stopped: 'end' | 'to' | 'caught_up';
}

export async function readStreamRange(o: ReadRangeOptions): Promise<ShardRead[]> {
  const shards = await listShards(o.kinesis, o.stream);
  const finished = new Set<string>();
  const running = new Map<string, Promise<ShardRead>>();
  const done: ShardRead[] = [];
  for (;;) {
    for (const shard of shardsReadyToRead(shards, (id) => finished.has(id))) {
      if (!running.has(shard.shardId)) running.set(shard.shardId, readShard(o, shard));
    }
    if (running.size === 0) return done.sort((a, b) => a.shard_id.localeCompare(b.shard_id));
    const next = await Promise.race([...running.values()]);
    running.delete(next.shard_id);
    finished.add(next.shard_id);
    done.push(next);
  }
}

async function readShard(o: ReadRangeOptions, shard: ShardInfo): Promise<ShardRead> {
  const reader = new ShardReader({
    kinesis: o.kinesis,
    stream: o.stream,
    shardId: shard.shardId,
    start: { type: 'AT_TIMESTAMP', timestamp: o.range.from },
    limit: o.pageRecords,
    atTimestamp: o.atTimestamp,
  });
  const to = o.range.to.getTime();
  let records = 0;
  for (;;) {
    const page = await reader.read();
    const inRange = page.records.filter((r) => r.arrival.getTime() <= to);
    if (inRange.length > 0) {
      await o.onPage(shard.shardId, inRange);
      records += inRange.length;
    }
    const result = (stopped: ShardRead['stopped']): ShardRead => ({ shard_id: shard.shardId, records, stopped });
    // arrival order is sequence order within a shard: one record past `to` means all later ones are
    if (inRange.length < page.records.length) return result('to');
    if (page.ended) return result('end');
    if (page.records.length === 0) {
      if (page.millisBehindLatest === 0) return result('caught_up');
      await sleep(o.behindPauseMs ?? 200);
    }
  }
}
