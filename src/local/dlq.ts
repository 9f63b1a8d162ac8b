/**
 * The embedded stack's on-failure destination (an SQS DLQ on AWS): one JSON file per
 * failed batch or file under `<data dir>/dlq/<source>/`, kept until redriven.
 * `dubegrid dlq` lists it; `dubegrid dlq redrive` hands entries back to their owner.
 */
import { sha256Hex } from '../shared/hash.ts';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from './atomic-write.ts';

/** A stream batch that exhausted its retries: where it was, not the data (the stream keeps that). */
export interface KinesisFailure {
  readonly kind: 'kinesis';
  readonly stream: string;
  readonly shard_id: string;
  readonly start_sequence_number: string;
  readonly end_sequence_number: string;
  readonly records: number;
  /** Arrival time of the first record, for records that may age out of the stream. */
  readonly first_arrival?: string;
}

/** A raw object the splitter could not finish after its retries. */
export interface S3Failure {
  readonly kind: 's3';
  readonly bucket: string;
  readonly key: string;
  readonly etag?: string;
}

export interface DlqEntry {
  readonly id: string;
  /** Who failed: `splitter`, or a consumer name such as `state`. */
  readonly source: string;
  readonly created_at: string;
  /** Why: the last error's one-line message. */
  readonly error: string;
  /** `retries_exhausted`, `record_too_old`, … */
  readonly condition: string;
  readonly attempts: number;
  readonly payload: KinesisFailure | S3Failure;
}

export type NewDlqEntry = Omit<DlqEntry, 'id' | 'created_at'>;

export class LocalDlq {
  constructor(private readonly root: string) {}

  /** Stores an entry; the id is derived from what failed, so the same failure stored twice is one entry. */
  async put(entry: NewDlqEntry, now = new Date()): Promise<DlqEntry> {
    const id = dlqIdOf(entry);
    const full: DlqEntry = { id, created_at: now.toISOString(), ...entry };
    const dir = join(this.root, entry.source);
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${id}.json`);
    await writeFileAtomically(file, JSON.stringify(full, null, 2));
    return full;
  }

  async list(source?: string): Promise<DlqEntry[]> {
    const sources = source ? [source] : await readdir(this.root).catch(() => [] as string[]);
    const out: DlqEntry[] = [];
    for (const s of sources) {
      const files = await readdir(join(this.root, s)).catch(() => [] as string[]);
      for (const f of files.filter((n) => n.endsWith('.json'))) {
        out.push(JSON.parse(await readFile(join(this.root, s, f), 'utf8')) as DlqEntry);
      }
    }
    return out.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<DlqEntry | undefined> {
    return (await this.list()).find((e) => e.id === id);
  }

  async remove(entry: Pick<DlqEntry, 'id' | 'source'>): Promise<void> {
    await rm(join(this.root, entry.source, `${entry.id}.json`), { force: true });
  }
}

export function dlqIdOf(entry: NewDlqEntry): string {
  const p = entry.payload;
  const what =
    p.kind === 'kinesis'
      ? `${p.stream}/${p.shard_id}/${p.start_sequence_number}-${p.end_sequence_number}`
      : `${p.bucket}/${p.key}/${p.etag ?? ''}`;
  return sha256Hex(`${entry.source}\u0000${what}`).slice(0, 16);
}
