/**
 * "Has consumer X processed everything up to sequence number S on shard Y?" — answered
 * from the checkpoint files alone, so any process can ask (`dubegrid ingest --wait`
 * runs in its own process while `dubegrid up` runs the consumers).
 *
 * `waitForConsumers(paths, ['state'], { 'shardId-000000000001': '4959…' })` resolves
 * once every named consumer's checkpoint of every listed shard is at or past its
 * target (a shard read to its end counts as past), and rejects with
 * `ConsumerWaitTimeoutError` (naming what is behind) after `timeoutMs`.
 */
import { CheckpointStore } from './checkpoints.ts';
import { AbortError, compareSequenceNumbers, sleep } from './shard-reader.ts';

/** Where the checkpoint files are (the local data dir's `checkpoints`); structural, so `shared/` needs nothing from `local/`. */
export interface CheckpointPaths {
  readonly checkpoints: string;
}

/** Per shard, the highest sequence number a writer put there. */
export type ShardSequenceTargets = Readonly<Record<string, string>>;

export interface Lag {
  readonly consumer: string;
  readonly shard_id: string;
  readonly target: string;
  /** Absent when the consumer has no checkpoint on that shard yet. */
  readonly checkpoint?: string;
}

export interface WaitOptions {
  /** Default 10 minutes. */
  readonly timeoutMs?: number;
  /** How often the files are read again; default 100 ms. */
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** Called after each look with what is still behind. */
  readonly onProgress?: ((behind: readonly Lag[]) => void) | undefined;
}

export const DEFAULT_WAIT_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_WAIT_POLL_MS = 100;

export class ConsumerWaitTimeoutError extends Error {
  override name = 'ConsumerWaitTimeoutError';
  constructor(
    readonly behind: readonly Lag[],
    timeoutMs: number,
  ) {
    const first = behind[0];
    super(
      `after ${Math.round(timeoutMs / 1000)} s, ${behind.length} consumer shard(s) had not caught up` +
        (first
          ? ` (${first.consumer} on ${first.shard_id} is at ${first.checkpoint ?? 'no checkpoint'}, needs ${first.target})`
          : '') +
        '; is the stack running its consumers (`dubegrid up`), and is anything in `dubegrid dlq`?',
    );
  }
}

/** What is still behind its target, now. */
export async function consumersBehind(
  paths: CheckpointPaths,
  consumers: readonly string[],
  targets: ShardSequenceTargets,
): Promise<Lag[]> {
  const behind: Lag[] = [];
  for (const consumer of consumers) {
    const checkpoints = await new CheckpointStore(paths.checkpoints, consumer).all();
    for (const [shardId, target] of Object.entries(targets)) {
      const cp = checkpoints.get(shardId);
      if (cp?.shard_end) continue;
      if (cp?.sequence_number && compareSequenceNumbers(cp.sequence_number, target) >= 0) continue;
      behind.push({
        consumer,
        shard_id: shardId,
        target,
        ...(cp?.sequence_number ? { checkpoint: cp.sequence_number } : {}),
      });
    }
  }
  return behind;
}

export async function waitForConsumers(
  paths: CheckpointPaths,
  consumers: readonly string[],
  targets: ShardSequenceTargets,
  options: WaitOptions = {},
): Promise<{ waitedMs: number }> {
  const began = Date.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  for (;;) {
    const behind = await consumersBehind(paths, consumers, targets);
    options.onProgress?.(behind);
    if (behind.length === 0) return { waitedMs: Date.now() - began };
    if (Date.now() - began >= timeoutMs) throw new ConsumerWaitTimeoutError(behind, timeoutMs);
    if (options.signal?.aborted) throw new AbortError('waiting for the consumers was aborted');
    await sleep(options.pollMs ?? DEFAULT_WAIT_POLL_MS, options.signal);
  }
}
