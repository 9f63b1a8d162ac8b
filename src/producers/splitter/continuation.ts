/**
 * Resumable splitting (docs/reliability.md → "Files longer than one invocation"): what
 * one part of a split hands the next, and the pure rules around it. A split that runs
 * short of time stops at a safe point (every row counted so far is on the stream, its
 * quarantine part is written) and records a `Continuation`; the next invocation re-reads
 * the object, skips the rows already counted and goes on with the counts, digest and
 * reading times it was given. Only the last part writes the manifest, so the manifest
 * says what a one-shot split would have said.
 */
import { sha256Hex } from '../../shared/hash.ts';
import type { SplitSummary } from './core.ts';
import type { WriterFigures } from './kinesis-writer.ts';
import { RESUME_SAFETY_MARGIN_MS, RESUME_SAFETY_MARGIN_SHARE } from './limits.ts';

export const CONTINUATION_VERSION = 1 as const;

/** The fields of a split's summary (`SplitSummary`) that a part adds to: its accounting at a safe point. */
export const PROGRESS_FIELDS = [
  'format',
  'mapping',
  /** Rows counted so far: the next part skips exactly this many before it counts again. */
  'rows_read',
  'rows_accepted',
  'rows_quarantined',
  'quarantine_reasons',
  'rows_without_readings',
  'readings_quarantined',
  'events_emitted',
  'event_bytes',
  'event_id_digest',
  'first_reading_ts',
  'last_reading_ts',
  'quarantine_entries',
] as const satisfies readonly (keyof SplitSummary)[];

/** A split's accounting at a safe point: everything of the manifest a part adds to. */
export type SplitProgress = Pick<SplitSummary, (typeof PROGRESS_FIELDS)[number]>;

/** The accounting a later part starts from. */
export function progressOf(summary: SplitSummary): SplitProgress {
  return Object.fromEntries(PROGRESS_FIELDS.map((f) => [f, summary[f]])) as unknown as SplitProgress;
}

export interface Continuation {
  readonly v: typeof CONTINUATION_VERSION;
  readonly source: {
    readonly bucket: string;
    readonly key: string;
    /** The version being split: a newer object under the key ends the chain (its own notification splits it). */
    readonly etag: string;
    /** The S3 notification's `sequencer`: two uploads of the same bytes are two chains, a redelivery is one. */
    readonly sequencer: string;
    readonly size_bytes: number;
    readonly gzip: boolean;
  };
  /** The part the next invocation splits (2 for the first hand-off). */
  readonly part: number;
  /** Of the whole split: every part's events carry the first part's `ingested_at`. */
  readonly ingested_at: string;
  readonly started_at: string;
  readonly progress: SplitProgress;
  /** The stream figures of the parts so far, summed. */
  readonly kinesis: WriterFigures;
  /** The quarantine objects the parts so far wrote (a part with no entries writes none). */
  readonly quarantine_keys: readonly string[];
}

/** The event the next part is invoked with (by the state machine on AWS, the invoker locally). */
export interface ContinueEvent {
  readonly continuation: Continuation;
}

/** What a continued part answers: the state machine's Choice reads `done`. */
export interface ContinueResult {
  readonly done: boolean;
  readonly continuation?: Continuation;
  /** How the chain ended, when done: `split` (the manifest is written), `superseded`, `missing`. */
  readonly status?: string;
  /** The manifest's totals, when split. */
  readonly rows_read?: number;
  readonly events_emitted?: number;
}

export function isContinueEvent(event: unknown): event is ContinueEvent {
  return typeof event === 'object' && event !== null && 'continuation' in event;
}

/** Where the next part goes: a Step Functions execution on AWS, the local invoker embedded. */
export type HandOff = (continuation: Continuation) => Promise<void>;

/**
 * The part's deadline: true once the invocation has less time left than the margin,
 * judged against the time it had when the part began (`RESUME_SAFETY_MARGIN_*`).
 */
export function deadlineOf(remainingMs: () => number): () => boolean {
  const margin = Math.min(RESUME_SAFETY_MARGIN_MS, remainingMs() * RESUME_SAFETY_MARGIN_SHARE);
  return () => remainingMs() < margin;
}

/** The stream figures of two parts, as one split's: counts summed, per shard the highest sequence number. */
export function mergeWriterFigures(a: WriterFigures, b: WriterFigures): WriterFigures {
  const shards: Record<string, string> = { ...a.shards };
  for (const [shard, seq] of Object.entries(b.shards)) {
    const had = shards[shard];
    if (had === undefined || BigInt(seq) > BigInt(had)) shards[shard] = seq;
  }
  return {
    stream: b.stream,
    records: a.records + b.records,
    user_records: a.user_records + b.user_records,
    payload_bytes: a.payload_bytes + b.payload_bytes,
    put_payload_units: a.put_payload_units + b.put_payload_units,
    billed_bytes_on_demand: a.billed_bytes_on_demand + b.billed_bytes_on_demand,
    put_requests: a.put_requests + b.put_requests,
    retried_entries: a.retried_entries + b.retried_entries,
    shards: Object.fromEntries(Object.entries(shards).sort(([x], [y]) => x.localeCompare(y))),
  };
}

/** Step Functions names: at most 80 characters of `[A-Za-z0-9_-]`. */
const EXECUTION_NAME_MAX = 80;

/**
 * The name of the execution that carries a split on from `part`: derived only from the
 * object version and its notification, so a duplicated hand-off (an async invocation
 * delivered twice, a retried part 1) asks for the same name, and StartExecution refuses
 * the second: the chain cannot fork.
 */
export function executionNameOf(source: Continuation['source'], part: number): string {
  const id = sha256Hex([source.bucket, source.key, source.etag, source.sequencer].join('\u0000')).slice(0, 48);
  const name = `split-${id}-part-${part}`;
  return name.slice(0, EXECUTION_NAME_MAX);
}
