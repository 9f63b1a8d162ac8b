/**
 * Every size limit, budget and retry setting of the splitter, each named for what it
 * is. Kinesis's own limits are AWS's; the rest are DubeGrid's choices, with reasons.
 */
import { KINESIS_MAX_RECORD_BYTES } from '../../shared/kpl.ts';

/** PutRecords: at most this many entries per request (AWS). */
export const PUT_RECORDS_MAX_ENTRIES = 500;
/** PutRecords: at most this many bytes per request, data plus partition keys (AWS). */
export const PUT_RECORDS_MAX_BYTES = 5 * 1024 * 1024;
/** One record's data plus partition key (AWS). */
export { KINESIS_MAX_RECORD_BYTES };

/** A partition key is at most 256 characters (AWS); substation ids are far shorter. */
export const MAX_PARTITION_KEY_BYTES = 256;
/** KPL framing around the protobuf body: 4 bytes of magic, 16 of MD5. */
const KPL_FRAMING_BYTES = 20;

/**
 * Cap on one aggregated record, data plus partition key, in PUT payload units (25 KB).
 * Measured on a generated month (`npm run bench -- splitter`, docs/adr/0001-kpl-aggregation.md):
 * every cap from 1 to 40 units cuts provisioned units ~61× against one record per
 * reading; on-demand bytes over the events' own bytes fall from 1.036 (1 unit) to
 * 1.029 (4) and 1.021 (40), the 1 KB rounding mattering less as records grow; the time
 * an event waits in its substation's open aggregate grows with the cap (mean 7 ms at
 * 1 unit, 28 ms at 4, 277 ms at 40 with 16 substations; longer with more). 4 units
 * keeps a clear margin under the 1.05 on-demand target at ~0.1 s of waiting at most,
 * and ~250 events per record keep a consumer's unit of retry (one Kinesis record) small.
 */
export const AGGREGATE_MAX_UNITS = 4;
/**
 * The value `KeyedAggregator` compares its protobuf body against, so that a record's
 * data (body + KPL framing) plus the longest partition key stays within the cap under
 * either reading of "25 KB" (25,000 or 25,600 bytes).
 */
export function aggregatorMaxBytes(units = AGGREGATE_MAX_UNITS): number {
  const cap = Math.min(units * 25_000, KINESIS_MAX_RECORD_BYTES);
  return cap - KPL_FRAMING_BYTES - MAX_PARTITION_KEY_BYTES;
}

/**
 * Open aggregates (one per substation seen) may hold this much before all are sent:
 * keeps a file with thousands of substations within the memory bound (each open
 * aggregate's buffer is at most twice what it holds, and at least 4 KiB, or one of the
 * emptied aggregates' buffers the aggregator keeps for reuse, at most 4 MiB of them).
 */
export const AGGREGATOR_PENDING_BUDGET_BYTES = 4 * 1024 * 1024;

/**
 * Requests are cut at this size, below the 5 MiB the API allows: the SDK holds a
 * request ~3 times over while it sends it (base64 strings, the JSON text, the bytes),
 * kinesalite is no faster with larger ones (measured 7.4–7.5 MiB/s from 1 MiB up), a
 * throttled request re-sends less, and one in flight still moves tens of MiB/s on AWS
 * (more than the shards a file's substations land on accept).
 */
export const PUT_REQUEST_TARGET_BYTES = 1024 * 1024;

/** Records waiting for PutRecords before the parser is paused (backpressure). */
export const WRITER_MAX_QUEUED_BYTES = 2 * PUT_REQUEST_TARGET_BYTES;

/**
 * A CSV record longer than this stops the split (an unclosed quote would otherwise
 * make the rest of a 1 GB object one field held in memory).
 */
export const MAX_RECORD_BYTES = 1024 * 1024;
/** A field longer than this cannot be a real id, name, time or value of either format. */
export const MAX_FIELD_CHARS = 1024;

/** Quarantine JSONL is uploaded in parts of this size (S3 multipart needs ≥ 5 MiB). */
export const QUARANTINE_PART_BYTES = 8 * 1024 * 1024;

/**
 * A split stops at a safe point once the invocation has less than this left, and hands
 * the rest to a fresh invocation (docs/reliability.md → "Files longer than one
 * invocation"). What must fit in it after the stop: the chunk being mapped, the open
 * aggregates and the writer's queue (≤ WRITER_MAX_QUEUED_BYTES plus the budget) sent at
 * the ~1 MB/s a throttled shard takes, with retries, the quarantine part's upload, and the
 * hand-off call.
 */
export const RESUME_SAFETY_MARGIN_MS = 90_000;
/**
 * …or this share of the time the invocation started with, when that is less: a short
 * budget (the embedded stack's tests run with ~2 s) still leaves most of it to split.
 */
export const RESUME_SAFETY_MARGIN_SHARE = 0.25;
