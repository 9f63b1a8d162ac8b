/**
 * Readings → contract-v1 event JSON, on the hot path. The JSON is assembled from
 * fragments encoded once (per file, per site, per measure) in `EVENT_FIELDS` order,
 * and is byte-for-byte `JSON.stringify` of the event object (tested), so events are
 * valid by construction and need no per-event validation pass.
 */
import { EVENT_VERSION, eventIdOf, type ReadingEvent } from '../../shared/event.ts';
import { isAscii, type Measure, type Site } from './rows.ts';

export interface SourceRef {
  readonly bucket: string;
  readonly key: string;
  /** Without quotes. */
  readonly etag: string;
}

export class EventEncoder {
  private readonly lineage: string;
  private readonly tail: string;
  private readonly ascii: boolean;

  constructor(
    readonly source: SourceRef,
    readonly ingestedAt: string,
  ) {
    this.lineage = `"source_bucket":${JSON.stringify(source.bucket)},"source_key":${JSON.stringify(source.key)},"source_etag":${JSON.stringify(source.etag)},"source_line":`;
    this.tail = `,"ingested_at":${JSON.stringify(ingestedAt)}}`;
    this.ascii = isAscii(this.lineage) && isAscii(this.tail);
  }

  /** UTF-8 length of an event's JSON: its length when all is ASCII (ids, times, numbers, our vocabularies, most names). */
  byteLength(json: string, site: Site): number {
    return this.ascii && site.ascii ? json.length : Buffer.byteLength(json, 'utf8');
  }

  /** The event's JSON. */
  encode(eventId: string, site: Site, measure: Measure, value: number, ts: string, line: number): string {
    return `{"v":${EVENT_VERSION},"event_id":"${eventId}",${site.json},${measure.json},"value":${value},"ts":"${ts}",${this.lineage}${line}${this.tail}`;
  }

  /** The same event as an object (tests, tools). */
  toEvent(site: Site, measure: Measure, value: number, ts: string, line: number): ReadingEvent {
    return {
      v: EVENT_VERSION,
      event_id: eventIdOf(site.asset_id, measure.measurement, ts),
      asset_id: site.asset_id,
      substation_id: site.substation_id,
      substation_name: site.substation_name,
      feeder_id: site.feeder_id,
      measurement: measure.measurement,
      phase: measure.phase,
      unit: measure.unit,
      value,
      ts,
      source_bucket: this.source.bucket,
      source_key: this.source.key,
      source_etag: this.source.etag,
      source_line: line,
      ingested_at: this.ingestedAt,
    };
  }
}
