/**
 * What a row mapper produces: readings that the core turns into events, or the one
 * reason the row is rejected. Shared by every mapping (mapping/compile.ts).
 */
import { assetIdOf, type Phase } from '../../shared/event.ts';
import type { QuarantineReason } from '../../shared/quarantine.ts';
import { MAX_PARTITION_KEY_BYTES } from './limits.ts';

/** Where a reading was taken. `json` is the asset part of the event, encoded once per site. */
export interface Site {
  readonly substation_id: string;
  readonly substation_name: string;
  readonly feeder_id: string;
  readonly asset_id: string;
  readonly json: string;
  /** `json` is all ASCII: its bytes are its characters (the encoder then skips UTF-8 encoding). */
  readonly ascii: boolean;
}

/** What a reading measures. `json` is the measurement/phase/unit part of the event. */
export interface Measure {
  readonly measurement: string;
  readonly phase: Phase | null;
  /** Canonical, or declared by the mapping. */
  readonly unit: string;
  readonly json: string;
}

/**
 * Receives a row's readings once the whole row is known to be good. A call, not an
 * object per reading: the hot path allocates nothing it does not keep.
 */
export type EmitReading = (site: Site, measure: Measure, value: number, ts: string) => void;

export interface Rejection {
  readonly reason: QuarantineReason;
  readonly message: string;
}

export function measureOf(measurement: string, phase: Phase | null, unit: string): Measure {
  const json = `"measurement":${JSON.stringify(measurement)},"phase":${JSON.stringify(phase)},"unit":${JSON.stringify(unit)}`;
  return { measurement, phase, unit, json };
}

const SITE_CACHE_LIMIT = 16_384;

/** A cached site and the asset id it was asked for (undefined: the default, `assetIdOf`). */
interface SiteEntry {
  readonly site: Site;
  readonly assetId: string | undefined;
}

/**
 * Sites by their identifying fields; files repeat a few sites many times, mostly in runs.
 * Looked up by the substation id alone, then its few sites compared field by field: a
 * key joining the four fields cost a string built, flattened and hashed per row whenever
 * sites interleave (a JSON array of 50 sites' records: about 0.05 µs of a 0.8 µs record).
 */
export class SiteCache {
  private readonly bySubstation = new Map<string, SiteEntry[]>();
  private size = 0;
  private last: SiteEntry | undefined;

  /** @param assetId when the source names the asset itself; @default `assetIdOf(substation, feeder)` */
  get(substationId: string, substationName: string, feederId: string, assetId?: string | undefined): Site {
    const last = this.last;
    if (last !== undefined && sameSite(last, substationId, substationName, feederId, assetId)) return last.site;
    let entries = this.bySubstation.get(substationId);
    if (entries !== undefined)
      for (const entry of entries)
        if (sameSite(entry, substationId, substationName, feederId, assetId)) {
          this.last = entry;
          return entry.site;
        }
    const asset_id = assetId ?? assetIdOf(substationId, feederId);
    const json =
      `"asset_id":${JSON.stringify(asset_id)},"substation_id":${JSON.stringify(substationId)},` +
      `"substation_name":${JSON.stringify(substationName)},"feeder_id":${JSON.stringify(feederId)}`;
    const site: Site = {
      substation_id: substationId,
      substation_name: substationName,
      feeder_id: feederId,
      asset_id,
      json,
      ascii: isAscii(json),
    };
    if (this.size >= SITE_CACHE_LIMIT) {
      this.bySubstation.clear();
      this.size = 0;
      entries = undefined;
    }
    const entry = { site, assetId };
    if (entries === undefined) this.bySubstation.set(substationId, [entry]);
    else entries.push(entry);
    this.size++;
    this.last = entry;
    return site;
  }
}

function sameSite(
  entry: SiteEntry,
  substationId: string,
  substationName: string,
  feederId: string,
  assetId: string | undefined,
): boolean {
  const site = entry.site;
  return (
    site.substation_id === substationId &&
    site.feeder_id === feederId &&
    site.substation_name === substationName &&
    entry.assetId === assetId
  );
}

export function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE_SPELLING = /^[+-]?(?:nan|inf|infinity)$/i;

/** A decimal number, or why it is not one. `text` is already trimmed and non-empty. */
export function readDecimal(text: string, column: string): number | Rejection {
  if (DECIMAL.test(text)) {
    const value = Number(text);
    if (Number.isFinite(value)) return value === 0 ? 0 : value; // no -0 in events
    return { reason: 'non_finite', message: `${column} ${JSON.stringify(text)} overflows to infinity` };
  }
  if (NON_FINITE_SPELLING.test(text))
    return { reason: 'non_finite', message: `${column} is ${JSON.stringify(text)}, not a finite number` };
  return { reason: 'non_numeric', message: `${column} ${JSON.stringify(clip(text))} is not a decimal number` };
}

export function missing(column: string): Rejection {
  return { reason: 'missing_field', message: `${column} is empty` };
}

/**
 * A substation id is the stream's partition key, which Kinesis caps at 256 characters:
 * a longer one would fail the whole PutRecords request, so it rejects its row instead.
 */
export function checkSubstationId(id: string, column: string): Rejection | undefined {
  if (id.length <= MAX_PARTITION_KEY_BYTES) return undefined;
  return {
    reason: 'invalid_field',
    message: `${column} ${JSON.stringify(clip(id))} has ${id.length} characters; a substation id is at most ${MAX_PARTITION_KEY_BYTES} (the Kinesis partition key limit)`,
  };
}

/** A value for a message: long values are cut. */
export function clip(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** Index of every wanted column in a (lower-cased, trimmed) header, or undefined if one is missing. */
export function indexColumns<K extends string>(
  header: readonly string[],
  wanted: Record<K, string>,
): Record<K, number> | undefined {
  const out = {} as Record<K, number>;
  for (const key of Object.keys(wanted) as K[]) {
    const i = header.indexOf(wanted[key]);
    if (i < 0) return undefined;
    out[key] = i;
  }
  return out;
}
