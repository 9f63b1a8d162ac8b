/**
 * Where each local stream reader has got to, per shard: one small JSON file per
 * consumer per shard, `<data dir>/checkpoints/<consumer>/<shardId>.json`, replaced
 * atomically (write a temp file, then rename) after each successful batch. A reader
 * killed at any instant finds either the previous checkpoint or the new one, never a
 * torn file; it then resumes right after it, so nothing is skipped, and what it
 * re-reads was processed idempotently.
 *
 * API
 * - `new CheckpointStore(paths.checkpoints, consumer)`:
 *   - `get(shardId)` → `ShardCheckpoint | undefined`
 *   - `all()` → `Map<shardId, ShardCheckpoint>`
 *   - `save(shardId, sequenceNumber, { shardEnd?, records? })` — `sequenceNumber` is the
 *     last record processed; `shardEnd: true` once a closed shard is read to its end
 *     (its children may then be read). Refuses to move a checkpoint backwards.
 *   - `markShardEnd(shardId)` — keeps the sequence number, sets `shard_end`.
 * - `checkpointPassed(root, consumer, shardId, sequenceNumber)` — has the consumer
 *   processed that record? Reads the files, so it works from any process.
 * - `resumePosition(checkpoint)` → the `StartPosition` right after it.
 *
 * Not fsync'ed: this protects against a killed process, not a power cut; after a power
 * cut a checkpoint may be older than the writes it covers, and the replay is idempotent.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareSequenceNumbers, type StartPosition } from './shard-reader.ts';

export interface ShardCheckpoint {
  readonly consumer: string;
  readonly shard_id: string;
  /** Last record processed (successfully, or handed to the on-failure destination). Absent before the first. */
  readonly sequence_number?: string;
  /** The shard is closed and was read to its end. */
  readonly shard_end: boolean;
  /** Records processed on this shard so far (best effort: counts re-deliveries after a crash again). */
  readonly records: number;
  readonly updated_at: string;
}

export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** Shard ids become file names: accept only what Kinesis produces. */
const SHARD_ID = /^[A-Za-z0-9_.-]+$/;

export function consumerCheckpointDir(root: string, consumer: string): string {
  if (!SHARD_ID.test(consumer)) throw new CheckpointError(`not a usable consumer name: ${JSON.stringify(consumer)}`);
  return join(root, consumer);
}

export class CheckpointStore {
  readonly dir: string;

  constructor(
    root: string,
    readonly consumer: string,
  ) {
    this.dir = consumerCheckpointDir(root, consumer);
  }

  async get(shardId: string): Promise<ShardCheckpoint | undefined> {
    return readCheckpointFile(this.file(shardId));
  }

  async all(): Promise<Map<string, ShardCheckpoint>> {
    const files = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const out = new Map<string, ShardCheckpoint>();
    for (const f of files.filter((n) => n.endsWith('.json'))) {
      const cp = await readCheckpointFile(join(this.dir, f));
      if (cp) out.set(cp.shard_id, cp);
    }
    return out;
  }

  async save(
    shardId: string,
    sequenceNumber: string | undefined,
    options: { shardEnd?: boolean; records?: number } = {},
  ): Promise<ShardCheckpoint> {
    const previous = await this.get(shardId);
    if (
      previous?.sequence_number &&
      sequenceNumber &&
      compareSequenceNumbers(sequenceNumber, previous.sequence_number) < 0
    ) {
      throw new CheckpointError(
        `${this.consumer}/${shardId}: refusing to move the checkpoint back from ${previous.sequence_number} to ${sequenceNumber}`,
      );
    }
    const seq = sequenceNumber ?? previous?.sequence_number;
    const next: ShardCheckpoint = {
      consumer: this.consumer,
      shard_id: shardId,
      ...(seq ? { sequence_number: seq } : {}),
      shard_end: options.shardEnd ?? previous?.shard_end ?? false,
      records: (previous?.records ?? 0) + (options.records ?? 0),
      updated_at: new Date().toISOString(),
    };
    await mkdir(this.dir, { recursive: true });
    const file = this.file(shardId);
    // a per-process temp name: a redrive in another process never renames our half-written file
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(next));
    await rename(tmp, file);
    return next;
  }

  markShardEnd(shardId: string): Promise<ShardCheckpoint> {
    return this.save(shardId, undefined, { shardEnd: true });
  }

  private file(shardId: string): string {
    if (!SHARD_ID.test(shardId)) throw new CheckpointError(`not a usable shard id: ${JSON.stringify(shardId)}`);
    return join(this.dir, `${shardId}.json`);
  }
}

async function readCheckpointFile(file: string): Promise<ShardCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as ShardCheckpoint;
  } catch (err) {
    // rename is atomic, so this is damage from outside, not a torn write: say so rather than start over
    throw new CheckpointError(`checkpoint ${file} is not valid JSON; delete it to re-read that shard from the start`, {
      cause: err,
    });
  }
}

/** The position right after a checkpoint; undefined when there is none (use the mapping's starting position). */
export function resumePosition(checkpoint: ShardCheckpoint | undefined): StartPosition | undefined {
  return checkpoint?.sequence_number
    ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: checkpoint.sequence_number }
    : undefined;
}

/** Whether `consumer` has processed the record `sequenceNumber` of `shardId` (or read past it). */
export async function checkpointPassed(
  root: string,
  consumer: string,
  shardId: string,
  sequenceNumber: string,
): Promise<boolean> {
  const cp = await new CheckpointStore(root, consumer).get(shardId);
  if (!cp) return false;
  if (cp.shard_end) return true;
  return cp.sequence_number !== undefined && compareSequenceNumbers(cp.sequence_number, sequenceNumber) >= 0;
}
