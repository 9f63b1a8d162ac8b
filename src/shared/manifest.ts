/**
 * The manifest: the splitter's account of one raw object, written to
 * `manifests/<source key>.json` after every record of the object is in the stream.
 * `ingest --wait`, replay and verify read it; `rows_read = rows_accepted +
 * rows_quarantined` holds for every manifest.
 */
import type { QuarantineReason } from './quarantine.ts';
import { PREFIXES } from './resources.ts';

export const MANIFEST_VERSION = 1 as const;

/**
 * What the splitter found: the name of the mapping that split the object (`lv_long`,
 * `dno_wide`, or a user mapping's name), a file no mapping takes (`unknown`), no header
 * at all (`empty`), or a body that is not CSV text.
 */
export type SourceFormat = 'unknown' | 'empty' | 'not_csv' | (string & {});

/** Which mapping split an object: its name, the sha256 of its file, and why it was chosen. */
export interface ManifestMapping {
  readonly name: string;
  readonly hash: string;
  readonly why: string;
}

/** What the object's records cost on the stream, and where they went. */
export interface ManifestKinesis {
  readonly stream: string;
  /** Kinesis records put (KPL aggregates). */
  readonly records: number;
  /** Events inside them: equals `events_emitted`. */
  readonly user_records: number;
  /** Bytes of the events' JSON, before aggregation. */
  readonly event_bytes: number;
  /** Bytes billed as payload: each record's data plus its partition key. */
  readonly payload_bytes: number;
  /** Provisioned-mode PUT payload units: each record counted in 25 KiB chunks, rounded up. */
  readonly put_payload_units: number;
  /** On-demand billed bytes: each record rounded up to 1 KiB. */
  readonly billed_bytes_on_demand: number;
  readonly put_requests: number;
  /** Entries resent after a partial PutRecords failure or a throttled request. */
  readonly retried_entries: number;
  /**
   * Per shard, the highest sequence number any of the object's records was written at:
   * a consumer whose checkpoint on every listed shard is at or past it has seen the whole file.
   */
  readonly shards: Readonly<Record<string, string>>;
}

export interface Manifest {
  readonly manifest_version: typeof MANIFEST_VERSION;
  readonly source: {
    readonly bucket: string;
    readonly key: string;
    /** The object's ETag without quotes. */
    readonly etag: string;
    readonly size_bytes: number;
    readonly gzip: boolean;
  };
  readonly format: SourceFormat;
  /** The mapping that split the object (absent in manifests written before mappings). */
  readonly mapping?: ManifestMapping | null;
  /** The header row as read (null for `empty` and `not_csv`). */
  readonly header: readonly string[] | null;
  /** CSV records after the header (blank lines are not records). */
  readonly rows_read: number;
  readonly rows_accepted: number;
  readonly rows_quarantined: number;
  /** Rejected rows by reason; sums to `rows_quarantined`. */
  readonly quarantine_reasons: Readonly<Partial<Record<QuarantineReason, number>>>;
  /** Accepted rows that carried no reading (a wide row whose measure columns are all empty). */
  readonly rows_without_readings: number;
  /** Readings rejected alone while their row was accepted (a mapping with `reject: reading`); absent when none. */
  readonly readings_quarantined?: number;
  /** Readings: one per accepted long-format row, one per non-empty measure column of a wide row. */
  readonly events_emitted: number;
  /** Order-independent digest of the emitted event ids (`EventIdDigest`, 16 hex digits). */
  readonly event_id_digest: string;
  /** Earliest and latest reading time emitted (canonical), null when none. */
  readonly first_reading_ts: string | null;
  readonly last_reading_ts: string | null;
  readonly quarantine: {
    /** The JSONL object with the entries, null when there are none. */
    readonly key: string | null;
    /** Entries written: one per rejected row plus any entry about the whole object. */
    readonly entries: number;
    /**
     * A split over several invocations: every part's quarantine object, in part order
     * (`quarantinePartKeyOf`); `key` is the first of them. Absent for a one-shot split.
     */
    readonly keys?: readonly string[];
  };
  /** Set when the object could not be read to its end; rows before `line` were split. */
  readonly stopped_early: {
    readonly line: number | null;
    readonly reason: QuarantineReason;
    readonly message: string;
  } | null;
  readonly kinesis: ManifestKinesis;
  /** Invocations the split took, when more than one (docs/reliability.md → "Files longer than one invocation"). */
  readonly parts?: number;
  /** The `ingested_at` of every event of this split. */
  readonly ingested_at: string;
  readonly started_at: string;
  readonly finished_at: string;
  readonly duration_ms: number;
}

/** Every quarantine object a manifest names: one per part that had entries. */
export function quarantineObjectsOf(m: Pick<Manifest, 'quarantine'>): readonly string[] {
  return m.quarantine.keys ?? (m.quarantine.key ? [m.quarantine.key] : []);
}

/** The manifest object of a raw object: `manifests/<source key>.json`. */
export function manifestKeyOf(sourceKey: string): string {
  return `${PREFIXES.manifests}${sourceKey}.json`;
}

/** ETags compare without their quotes (S3 returns `"abc"`, events carry `abc`). */
export function normaliseEtag(etag: string | undefined): string {
  return (etag ?? '').replace(/"/g, '');
}
