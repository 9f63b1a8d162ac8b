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
 *
 * Damage from outside (a truncated file, a disk that filled, a hand edit) is recovered
 * from, never fatal: each save first moves the current checkpoint to `<shardId>.json.prev`
 * (the last good one), so a reader that finds the checkpoint missing or damaged resumes
 * from that one; with both damaged it re-reads the shard from its trim horizon. Either
 * way it re-reads some records, which every consumer applies idempotently, and it says
 * so in one line (`onDamaged`); the damaged file is kept as `….damaged` to look at.
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
  /** Set on a stand-in for a checkpoint that was damaged with no good copy: re-read from the trim horizon. */
  readonly damaged?: true;
}

export interface CheckpointStoreOptions {
  /** Told, in one line, when a damaged checkpoint was recovered from. */
  readonly onDamaged?: ((message: string) => void) | undefined;
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
    private readonly options: CheckpointStoreOptions = {},
  ) {
    this.dir = consumerCheckpointDir(root, consumer);
  }

  async get(shardId: string): Promise<ShardCheckpoint | undefined> {
    return this.read(this.file(shardId), shardId);
  }

  async all(): Promise<Map<string, ShardCheckpoint>> {
    const files = await readdir(this.dir).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [] as string[];
      throw err;
    });
    const out = new Map<string, ShardCheckpoint>();
    // a `.prev` alone is a save cut between its two renames
    const shardIds = new Set(
      files.flatMap((n) =>
        n.endsWith('.json') ? [n.slice(0, -5)] : n.endsWith('.json.prev') ? [n.slice(0, -10)] : [],
      ),
    );
    for (const shardId of [...shardIds].filter((id) => SHARD_ID.test(id))) {
      const cp = await this.get(shardId);
      if (cp) out.set(shardId, cp);
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
    // the current one becomes the last good copy; a crash between the renames leaves only it, which get() reads
    if (previous !== undefined && previous.damaged !== true) {
      await rename(file, `${file}.prev`).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
    await rename(tmp, file);
    return next;
  }

  /** The checkpoint, else its last good copy, else (both damaged) a stand-in that re-reads the shard. */
  private async read(file: string, shardId: string): Promise<ShardCheckpoint | undefined> {
    const current = await readCheckpointFile(file);
    if (current.ok) {
      if (current.checkpoint !== undefined) return current.checkpoint;
    }
    const prev = await readCheckpointFile(`${file}.prev`);
    if (current.ok && prev.ok && prev.checkpoint === undefined) return undefined; // never saved
    const damage = current.ok ? 'missing after an interrupted save' : `damaged (${current.reason})`;
    if (!current.ok) await rename(file, `${file}.damaged`).catch(() => undefined);
    if (prev.ok && prev.checkpoint !== undefined) {
      this.options.onDamaged?.(
        `checkpoint ${file} was ${damage}: ${this.consumer}/${shardId} resumes from the last good one (${prev.checkpoint.sequence_number ?? 'the start'}) and re-reads what came after it`,
      );
      return prev.checkpoint;
    }
    this.options.onDamaged?.(
      `checkpoint ${file} was ${damage} and its last good copy too: ${this.consumer}/${shardId} re-reads the shard from its trim horizon`,
    );
    return {
      consumer: this.consumer,
      shard_id: shardId,
      shard_end: false,
      records: 0,
      updated_at: new Date().toISOString(),
      damaged: true,
    };
  }

  markShardEnd(shardId: string): Promise<ShardCheckpoint> {
    return this.save(shardId, undefined, { shardEnd: true });
  }

  private file(shardId: string): string {
    if (!SHARD_ID.test(shardId)) throw new CheckpointError(`not a usable shard id: ${JSON.stringify(shardId)}`);
    return join(this.dir, `${shardId}.json`);
  }
}

type CheckpointFile =
  | { readonly ok: true; readonly checkpoint: ShardCheckpoint | undefined }
  | { readonly ok: false; readonly reason: string };

async function readCheckpointFile(file: string): Promise<CheckpointFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, checkpoint: undefined };
    throw err;
  }
  let cp: ShardCheckpoint;
  try {
    cp = JSON.parse(text) as ShardCheckpoint;
  } catch (err) {
    // rename is atomic, so this is damage from outside (a truncated file, a full disk), not a torn write
    return { ok: false, reason: `not valid JSON: ${(err as Error).message}` };
  }
  if (typeof cp !== 'object' || cp === null || typeof cp.shard_id !== 'string' || typeof cp.records !== 'number') {
    return { ok: false, reason: 'not a checkpoint' };
  }
  if (cp.sequence_number !== undefined && !/^\d+$/.test(cp.sequence_number)) {
    return { ok: false, reason: `its sequence number ${JSON.stringify(cp.sequence_number)} is not one` };
  }
  return { ok: true, checkpoint: cp };
}

/**
 * The position right after a checkpoint; the trim horizon for a damaged one's stand-in;
 * undefined when there is none (use the mapping's starting position).
 */
export function resumePosition(checkpoint: ShardCheckpoint | undefined): StartPosition | undefined {
  if (checkpoint?.damaged === true) return { type: 'TRIM_HORIZON' };
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
