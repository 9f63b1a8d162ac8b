/**
 * Quarantine: where input that cannot become a valid reading event goes, with the raw
 * text and the reason, so that nothing is ever dropped without a trace
 * (docs/architecture.md → "Source formats"). The splitter writes one JSON line per rejected row
 * to `quarantine/<source key>.jsonl`; the consumers reuse the entry type for bad
 * readings they find inside otherwise good records.
 */
import { PREFIXES } from './resources.ts';

/** Every reason code, with what it means. Entries name one of these, never free text. */
export const QUARANTINE_REASONS = {
  // About the whole object (`line` is null).
  not_csv: 'the object is not CSV text at all (binary data, or a header with control characters)',
  corrupt_body:
    'the object could not be read to its end (a corrupt or truncated gzip stream); rows before the damage were split',
  // About one row (one CSV record after the header).
  unknown_format: 'the header is not one of the known source formats, so no row of the file can be read',
  malformed_csv: 'the record is not valid CSV (a quote that is never closed, say)',
  oversized_record:
    'the record is longer than the splitter accepts: skipped on its own, the split goes on after it (it stops only when an unclosed quote makes the rest of the object that record)',
  column_count: 'the row has a different number of fields than the header',
  oversized_field: 'a field is longer than any real value of the format',
  missing_field: 'a required field is empty',
  invalid_encoding: 'a field holds bytes that are not UTF-8 (the file is in another encoding, or damaged)',
  invalid_field: "a field holds a value outside the format's vocabulary",
  non_numeric: 'a value is not a decimal number',
  non_finite: 'a value is NaN or infinite',
  bad_timestamp: 'the timestamp cannot be read as one instant',
  unknown_unit: 'the unit is not one DubeGrid knows',
  unit_mismatch: 'the unit does not measure what the description says (a voltage in kW, say)',
  out_of_bounds: 'the magnitude is not physical on an LV network (the shared bounds table)',
  invalid_json:
    'the record (a JSON Lines line, an element of a JSON document) is not valid JSON or not an object; for the whole object, the document around its records is not valid JSON',
  mapping_error: "the mapping could not read the record (a value of a type the mapping's expression cannot take)",
  // Found by a consumer in a record on the stream.
  invalid_event: 'a user record on the stream that is not a valid contract-v1 reading event',
} as const;

export type QuarantineReason = keyof typeof QUARANTINE_REASONS;

export const QUARANTINE_ENTRY_VERSION = 1 as const;

/** Raw text kept in an entry is cut here: the raw zone keeps the full object anyway. */
export const QUARANTINE_RAW_MAX_CHARS = 64 * 1024;

export interface QuarantineEntry {
  readonly v: typeof QUARANTINE_ENTRY_VERSION;
  /** Who quarantined it: `splitter`, or a consumer's name. */
  readonly stage: string;
  readonly reason: QuarantineReason;
  /** What exactly was wrong, for a person: names the field and the value. */
  readonly message: string;
  readonly source_bucket: string;
  readonly source_key: string;
  readonly source_etag: string;
  /** Line of the source object where the row starts (1 = the header); null for an entry about the whole object. */
  readonly line: number | null;
  /** The row as read, without its line ending (or, from a consumer, the record's data); null when there is none. */
  readonly raw: string | null;
  /** Set when `raw` was cut at QUARANTINE_RAW_MAX_CHARS. */
  readonly raw_truncated?: true;
  /** A consumer's entry: the event the bad reading claimed to be, when it could tell. */
  readonly event_id?: string;
  /** A consumer's entry: where on the stream the bad reading was (its aggregated record, and its place in it). */
  readonly stream_position?: StreamPosition;
  readonly quarantined_at: string;
}

export interface StreamPosition {
  readonly stream: string;
  readonly shard_id: string;
  readonly sequence_number: string;
  /** Index of the user record inside a KPL aggregate; absent when the whole record was unreadable. */
  readonly sub_sequence_number?: number;
}

/** The splitter's quarantine object for a raw object: `quarantine/<source key>.jsonl`. */
export function quarantineKeyOf(sourceKey: string): string {
  return `${PREFIXES.quarantine}${sourceKey}.jsonl`;
}

/**
 * The quarantine object of one part of a split that took several invocations: part 1
 * writes the usual `quarantine/<source key>.jsonl` (a one-shot split is part 1 only),
 * part n > 1 `quarantine/<source key>.part-<n>.jsonl`. One object per part, not one
 * multipart upload across parts: a part stops with less than the 5 MiB S3 needs of
 * every upload part but the last. The manifest lists them (`quarantineObjectsOf`).
 */
export function quarantinePartKeyOf(sourceKey: string, part: number): string {
  if (part <= 1) return quarantineKeyOf(sourceKey);
  return `${PREFIXES.quarantine}${sourceKey}.part-${String(part).padStart(4, '0')}.jsonl`;
}

/**
 * A consumer's quarantine object for one stream record that held bad readings:
 * `quarantine/consumers/<consumer>/<shard>/<sequence number>.jsonl`. A redelivered
 * record rewrites the same object.
 */
export function consumerQuarantineKeyOf(consumer: string, shardId: string, sequenceNumber: string): string {
  return `${PREFIXES.quarantine}consumers/${consumer}/${shardId}/${sequenceNumber}.jsonl`;
}

/** `raw` as an entry stores it: at most QUARANTINE_RAW_MAX_CHARS. */
export function rawForEntry(raw: string | null): Pick<QuarantineEntry, 'raw' | 'raw_truncated'> {
  if (raw === null || raw.length <= QUARANTINE_RAW_MAX_CHARS) return { raw };
  return { raw: raw.slice(0, QUARANTINE_RAW_MAX_CHARS), raw_truncated: true };
}
