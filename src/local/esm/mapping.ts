/**
 * The local event source mapping of one consumer: a `ShardPoller` per readable shard,
 * all shards in parallel. Shards are listed again periodically and whenever a shard
 * ends, so a reshard is followed: a closed parent is read to its end before its
 * children start (from their trim horizon), as Lambda does.
 */
import type { Clients } from '../../shared/clients.ts';
import type { EventSourceMappingSettings } from '../../shared/consumers.ts';
import type { FunctionDefinition } from '../../shared/functions.ts';
import { LOCAL_ACCOUNT } from '../../shared/resources.ts';
import { LocalDlq } from '../dlq.ts';
import type { RuntimeLog } from '../service.ts';
import { CheckpointStore, resumePosition, type ShardCheckpoint } from '../../shared/kinesis/checkpoints.ts';
import {
  invokeHandler,
  type EventSource,
  type InvokeOutcome,
  type KinesisHandler,
} from '../../shared/kinesis/invoke.ts';
import { ShardPoller, type ShardPollerStats } from './shard-poller.ts';
import {
  listShards,
  parentsOf,
  shardsReadyToRead,
  type ShardInfo,
  type StartPosition,
  type StreamRecord,
} from '../../shared/kinesis/shard-reader.ts';

/** How often the shard list is read again to notice a reshard. */
export const SHARD_RESCAN_MS = 5_000;

export interface EventSourceMappingOptions {
  readonly clients: Pick<Clients, 'kinesis' | 'region' | 'names'>;
  readonly settings: EventSourceMappingSettings;
  readonly fn: Pick<FunctionDefinition, 'memoryMiB' | 'timeoutSeconds'>;
  readonly handler: KinesisHandler;
  /** `paths.checkpoints` and `paths.dlq` of the data dir. */
  readonly checkpointsRoot: string;
  readonly dlqRoot: string;
  readonly log: RuntimeLog;
  readonly account?: string;
}

export class EventSourceMapping {
  readonly checkpoints: CheckpointStore;
  readonly dlq: LocalDlq;
  private readonly pollers = new Map<string, ShardPoller>();
  private readonly finished = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private rescanning: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastListError: string | undefined;

  constructor(private readonly o: EventSourceMappingOptions) {
    this.checkpoints = new CheckpointStore(o.checkpointsRoot, o.settings.name, { onDamaged: (m) => o.log.warn(m) });
    this.dlq = new LocalDlq(o.dlqRoot);
  }

  get name(): string {
    return this.o.settings.name;
  }

  async start(): Promise<void> {
    for (const [shardId, cp] of await this.checkpoints.all()) if (cp.shard_end) this.finished.add(shardId);
    await this.rescan();
    this.timer = setInterval(() => void this.rescan(), SHARD_RESCAN_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.rescanning;
    await Promise.all([...this.pollers.values()].map((p) => p.stop()));
  }

  /** Starts a poller for every shard that may be read now and has none. Serialised: one scan at a time. */
  rescan(): Promise<void> {
    this.rescanning = this.rescanning
      .then(() => this.scanOnce())
      .catch((err: Error) => {
        this.lastListError = err.message;
        this.o.log.warn(`${this.name}: listing the shards of ${this.o.clients.names.stream} failed: ${err.message}`);
      });
    return this.rescanning;
  }

  private async scanOnce(): Promise<void> {
    if (this.stopped) return;
    const shards = await listShards(this.o.clients.kinesis, this.o.clients.names.stream);
    this.lastListError = undefined;
    const checkpoints = await this.checkpoints.all();
    for (const shard of shardsReadyToRead(shards, (id) => this.finished.has(id))) {
      if (this.pollers.has(shard.shardId) || this.stopped) continue;
      const start = this.startOf(shard, shards, checkpoints.get(shard.shardId));
      const poller = new ShardPoller({
        kinesis: this.o.clients.kinesis,
        stream: this.o.clients.names.stream,
        shardId: shard.shardId,
        start,
        settings: this.o.settings,
        checkpoints: this.checkpoints,
        dlq: this.dlq,
        invoke: (records) => this.invoke(shard.shardId, records),
        log: this.o.log,
      });
      this.pollers.set(shard.shardId, poller);
      poller.start().then(
        () => {
          if (poller.stats.state !== 'ended') return;
          this.finished.add(shard.shardId);
          void this.rescan();
        },
        (err: Error) => {
          // only a checkpoint that cannot be written gets here: stop this shard rather than lose track
          poller.stats.last_error = err.message;
          this.o.log.error(`${this.name}/${shard.shardId} stopped: ${err.message}`);
        },
      );
    }
  }

  /**
   * Right after the checkpoint; else a child of shards this consumer has read starts
   * at its trim horizon (its records follow its parents'); else the mapping's position.
   */
  private startOf(
    shard: ShardInfo,
    shards: readonly ShardInfo[],
    checkpoint: ShardCheckpoint | undefined,
  ): StartPosition {
    const resume = resumePosition(checkpoint);
    if (resume) return resume;
    const listed = new Set(shards.map((s) => s.shardId));
    if (parentsOf(shard).some((p) => listed.has(p))) return { type: 'TRIM_HORIZON' };
    return mappingStart(this.o.settings);
  }

  private async invoke(shardId: string, records: readonly StreamRecord[]): Promise<InvokeOutcome> {
    const source: EventSource = {
      region: this.o.clients.region,
      account: this.o.account ?? LOCAL_ACCOUNT,
      stream: this.o.clients.names.stream,
      shardId,
      consumer: this.name,
    };
    return invokeHandler(this.o.handler, records, source, this.o.fn, this.o.settings.reportBatchItemFailures);
  }

  status(): Record<string, unknown> {
    const shards: ShardPollerStats[] = [...this.pollers.values()].map((p) => ({ ...p.stats }));
    const sum = (k: 'records' | 'invocations' | 'retries' | 'dlq_records'): number =>
      shards.reduce((n, s) => n + s[k], 0);
    return {
      records: sum('records'),
      invocations: sum('invocations'),
      retries: sum('retries'),
      dlq_records: sum('dlq_records'),
      shards_reading: shards.filter((s) => s.state === 'reading').length,
      shards_ended: this.finished.size,
      millis_behind_latest: Math.max(0, ...shards.map((s) => s.millis_behind_latest)),
      ...(this.lastListError ? { last_error: this.lastListError } : {}),
      shards,
    };
  }
}

export function mappingStart(settings: EventSourceMappingSettings): StartPosition {
  switch (settings.startingPosition) {
    case 'TRIM_HORIZON':
    case 'LATEST':
      return { type: settings.startingPosition };
    case 'AT_TIMESTAMP': {
      if (!settings.startingPositionTimestamp) {
        throw new RangeError(`consumer ${settings.name}: AT_TIMESTAMP needs startingPositionTimestamp`);
      }
      return { type: 'AT_TIMESTAMP', timestamp: new Date(settings.startingPositionTimestamp) };
    }
    default: {
      const never: never = settings.startingPosition;
      throw new RangeError(`consumer ${settings.name}: unknown starting position ${String(never)}`);
    }
  }
}
