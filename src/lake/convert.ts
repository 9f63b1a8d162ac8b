/**
 * Record format conversion, as Firehose does it between the stream and Parquet: one
 * user record (a JSON reading event) becomes one row of the Glue schema and a
 * partition, or a conversion failure with a reason. The outcome is a value.
 *
 * Stricter than Firehose's OpenX SerDe on purpose: a record must pass the contract-v1
 * validator, the same one the other consumers apply, so that the lake holds exactly
 * the readings the tables hold (a record Firehose would convert with nulls would be a
 * reading the state projection quarantined).
 */
import { validateReadingEvent, type ReadingEvent } from '../shared/event.ts';
import { partitionOf, type PartitionValues } from '../shared/glue.ts';
import { BUILTIN_UNITS, type UnitRegistry } from '../shared/units.ts';

/** Firehose's error codes for records its format conversion rejects. */
export const CONVERSION_ERRORS = {
  malformed: 'DataFormatConversion.MalformedData',
  schema: 'DataFormatConversion.InvalidSchema',
} as const;

export type Conversion =
  | { readonly ok: true; readonly event: ReadingEvent; readonly partition: PartitionValues }
  | { readonly ok: false; readonly errorCode: string; readonly message: string };

/** `units`: the units a reading may carry (built-in plus the mappings' declared ones). */
export function convertRecord(data: Uint8Array, units: UnitRegistry = BUILTIN_UNITS): Conversion {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, errorCode: CONVERSION_ERRORS.malformed, message: `not valid JSON: ${(err as Error).message}` };
  }
  const verdict = validateReadingEvent(parsed, units);
  if (!verdict.ok) {
    return { ok: false, errorCode: CONVERSION_ERRORS.schema, message: verdict.errors.map((e) => e.message).join('; ') };
  }
  return { ok: true, event: verdict.event, partition: partitionOf(verdict.event.ts) };
}
