/**
 * Readings a stream consumer cannot use (not de-aggregatable, not JSON, not a valid
 * contract-v1 event) are quarantined by the consumer itself, beside the splitter's
 * rejected rows, as the shared `QuarantineEntry` (reason `invalid_event`): one JSON
 * Lines object per Kinesis record that held any (`consumerQuarantineKeyOf`), so a
 * redelivered record rewrites the same object. Each line carries the raw user record,
 * what was wrong, its stream position, and the lineage back to the raw object and row
 * when the event got that far.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  consumerQuarantineKeyOf,
  QUARANTINE_ENTRY_VERSION,
  rawForEntry,
  type QuarantineEntry,
} from '../../shared/quarantine.ts';
import type { DecodedRecord, RejectedReading } from './decode.ts';

const WHAT: Record<RejectedReading['reason'], string> = {
  kpl_decode_failed: 'the aggregated record could not be de-aggregated',
  not_json: 'the user record is not JSON',
  invalid_event: 'not a valid contract-v1 reading event',
};

export function quarantineEntries(
  record: DecodedRecord,
  consumer: string,
  stream: string,
  now: Date,
): QuarantineEntry[] {
  return record.rejected.map((r) => {
    const claimed = claimedLineage(r.raw);
    return {
      v: QUARANTINE_ENTRY_VERSION,
      stage: consumer,
      reason: 'invalid_event',
      message: `${WHAT[r.reason]}: ${r.errors.join('; ')}`,
      // unknown lineage is empty rather than guessed: the stream position still says where it was
      source_bucket: claimed.source_bucket ?? '',
      source_key: claimed.source_key ?? '',
      source_etag: claimed.source_etag ?? '',
      line: claimed.source_line ?? null,
      ...rawForEntry(r.raw),
      ...(claimed.event_id ? { event_id: claimed.event_id } : {}),
      stream_position: {
        stream,
        shard_id: record.shardId,
        sequence_number: record.sequenceNumber,
        ...(r.sub_sequence_number !== undefined ? { sub_sequence_number: r.sub_sequence_number } : {}),
      },
      quarantined_at: now.toISOString(),
    };
  });
}

interface Claimed {
  source_bucket?: string;
  source_key?: string;
  source_etag?: string;
  source_line?: number;
  event_id?: string;
}

/** The lineage fields a rejected reading carries, as far as they are well-typed. */
function claimedLineage(raw: string): Claimed {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const p = parsed as Record<string, unknown>;
  const out: Claimed = {};
  for (const k of ['source_bucket', 'source_key', 'source_etag', 'event_id'] as const)
    if (typeof p[k] === 'string') out[k] = p[k];
  if (typeof p.source_line === 'number' && Number.isInteger(p.source_line)) out.source_line = p.source_line;
  return out;
}

export async function putQuarantine(
  s3: S3Client,
  bucket: string,
  record: DecodedRecord,
  consumer: string,
  stream: string,
  now = new Date(),
): Promise<string> {
  const key = consumerQuarantineKeyOf(consumer, record.shardId, record.sequenceNumber);
  const body = `${quarantineEntries(record, consumer, stream, now)
    .map((e) => JSON.stringify(e))
    .join('\n')}\n`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/x-ndjson' }));
  return key;
}
