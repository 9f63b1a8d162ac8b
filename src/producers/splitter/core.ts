/**
 * The splitter's pure core: a raw object's bytes → contract-v1 events, KPL-aggregated
 * per partition key (the substation id), handed to a record sink; rejected rows →
 * quarantine entries, handed to a quarantine sink. Streaming throughout: it holds one
 * chunk's records, the open aggregates (bounded by a budget) and its counters, never
 * the body. Knows no AWS client.
 */
import { EventIdDigest, eventIdOf } from '../../shared/event.ts';
import { KeyedAggregator, type AggregatedRecord } from '../../shared/kpl.ts';
import type { SourceFormat } from '../../shared/manifest.ts';
import { rawForEntry, type QuarantineEntry, type QuarantineReason } from '../../shared/quarantine.ts';
import { decodeBody, isCorruptBodyError } from './body.ts';
import { CsvRecordReader, rawLine, type CsvItem } from './csv.ts';
import { EventEncoder, type SourceRef } from './encode.ts';
import { detectFormat, duplicateColumn, looksBinary } from './formats.ts';
import { AGGREGATOR_PENDING_BUDGET_BYTES, aggregatorMaxBytes, MAX_FIELD_CHARS } from './limits.ts';
import { clip, type EmitReading, type Measure, type RowMapper, type Site } from './rows.ts';

/** Who writes quarantine entries from here. */
export const SPLITTER_STAGE = 'splitter';

/** Where aggregated records go: the Kinesis writer, or a counter in the benchmark. */
export interface RecordSink {
  put(record: AggregatedRecord): void;
  /** True when the sink wants the core to wait before producing more. */
  readonly needsDrain: boolean;
  /** Resolves when the sink can take more; rejects when it has failed. */
  drain(): Promise<void>;
}

export interface QuarantineSink {
  add(entry: QuarantineEntry): void;
  readonly needsDrain: boolean;
  drain(): Promise<void>;
}

export interface SplitOptions {
  readonly source: SourceRef;
  /** `ingested_at` of every event (and `quarantined_at` of every entry) of this split. */
  readonly ingestedAt: string;
  /** Zone of zone-less LV monitor timestamps. @default 'UTC' */
  readonly sourceTimeZone?: string | undefined;
  /** Cap on one aggregate's protobuf body. @default aggregatorMaxBytes() */
  readonly aggregateMaxBytes?: number | undefined;
  /** Open aggregates are all sent once they hold this much. @default AGGREGATOR_PENDING_BUDGET_BYTES */
  readonly pendingBudgetBytes?: number | undefined;
}

export interface SplitSummary {
  readonly format: SourceFormat;
  readonly header: readonly string[] | null;
  readonly gzip: boolean;
  readonly rows_read: number;
  readonly rows_accepted: number;
  readonly rows_quarantined: number;
  readonly quarantine_reasons: Partial<Record<QuarantineReason, number>>;
  readonly rows_without_readings: number;
  readonly events_emitted: number;
  readonly event_bytes: number;
  readonly event_id_digest: string;
  readonly first_reading_ts: string | null;
  readonly last_reading_ts: string | null;
  readonly quarantine_entries: number;
  readonly stopped_early: { line: number | null; reason: QuarantineReason; message: string } | null;
}

/** Splits one object's body. Rejects only on infrastructure failure (the body's transport, a sink). */
export async function splitBody(
  body: AsyncIterable<Uint8Array>,
  options: SplitOptions,
  records: RecordSink,
  quarantine: QuarantineSink,
): Promise<SplitSummary> {
  const split = new Split(options, records, quarantine);
  const decoded = await decodeBody(body);
  split.gzip = decoded.gzip;
  const reader = new CsvRecordReader();
  try {
    for await (const chunk of decoded.chunks) {
      split.process(reader.write(chunk));
      if (reader.oversized) split.oversized(reader.oversized);
      if (split.stopped) break;
      if (records.needsDrain) await records.drain();
      if (quarantine.needsDrain) await quarantine.drain();
    }
    if (!split.stopped) split.process(await reader.end());
  } catch (err) {
    if (!isCorruptBodyError(err)) throw err;
    split.corrupt(err);
  }
  return split.finish();
}

/** The state of one split. */
class Split {
  gzip = false;
  stopped = false;
  private mapper: RowMapper | undefined;
  private header: string[] | undefined;
  private format: SourceFormat = 'empty';
  private headerText = '';
  private lastLine = 0;
  private rowsRead = 0;
  private rowsAccepted = 0;
  private rowsQuarantined = 0;
  private rowsWithoutReadings = 0;
  private readonly reasons: Partial<Record<QuarantineReason, number>> = {};
  private entries = 0;
  private events = 0;
  private eventBytes = 0;
  private first: string | null = null;
  private last: string | null = null;
  private stoppedEarly: SplitSummary['stopped_early'] = null;
  private readonly digest = new EventIdDigest();
  private readonly encoder: EventEncoder;
  private readonly aggregator: KeyedAggregator;
  /** Line of the row being mapped, for its events' `source_line`. */
  private line = 0;
  private readonly emitReading: EmitReading = (site, measure, value, ts) => this.emit(site, measure, value, ts);
  private readonly budget: number;

  constructor(
    private readonly options: SplitOptions,
    private readonly records: RecordSink,
    private readonly quarantine: QuarantineSink,
  ) {
    this.encoder = new EventEncoder(options.source, options.ingestedAt);
    this.aggregator = new KeyedAggregator(options.aggregateMaxBytes ?? aggregatorMaxBytes());
    this.budget = options.pendingBudgetBytes ?? AGGREGATOR_PENDING_BUDGET_BYTES;
  }

  process(items: readonly CsvItem[]): void {
    for (const item of items) {
      if (this.stopped) return;
      this.lastLine = item.line;
      if ('skip' in item) {
        if (this.header === undefined) {
          this.notCsv(`its first record cannot be parsed as CSV (${item.message})`);
        } else {
          this.rowsRead++;
          this.reject('malformed_csv', item.line, rawLine(item.raw), item.message);
        }
        continue;
      }
      const fields = item.record;
      if (fields.length === 1 && (fields[0] as string).trim() === '') continue; // a blank line is no record
      if (this.header === undefined) {
        this.readHeader(fields, rawLine(item.raw));
        continue;
      }
      this.row(fields, item.raw, item.line);
    }
  }

  private readHeader(fields: string[], text: string): void {
    if (looksBinary(fields)) {
      this.notCsv('its first record holds control characters or bytes that are not UTF-8');
      return;
    }
    this.header = fields;
    this.headerText = text;
    this.mapper = detectFormat(fields, { sourceTimeZone: this.options.sourceTimeZone });
    this.format = this.mapper?.format ?? 'unknown';
  }

  private row(fields: string[], raw: string, line: number): void {
    this.rowsRead++;
    const mapper = this.mapper;
    if (mapper === undefined) {
      const twice = duplicateColumn(this.header ?? []);
      const why = twice === undefined ? '' : ` (it names the column ${JSON.stringify(twice)} twice)`;
      this.reject(
        'unknown_format',
        line,
        rawLine(raw),
        `the header ${JSON.stringify(clip(this.headerText, 300))} is not a known source format${why}`,
      );
      return;
    }
    if (fields.length !== mapper.columnCount) {
      this.reject(
        'column_count',
        line,
        rawLine(raw),
        `the row has ${fields.length} fields, the header ${mapper.columnCount}`,
      );
      return;
    }
    // Bytes that are not UTF-8 decode to U+FFFD: a name or id holding one is not the source's (one native scan a row).
    if (raw.includes('\uFFFD')) {
      const at = fields.findIndex((f) => f.includes('\uFFFD'));
      this.reject(
        'invalid_encoding',
        line,
        rawLine(raw),
        `field ${at + 1} (${this.header?.[at] ?? '?'}) holds bytes that are not UTF-8`,
      );
      return;
    }
    if (raw.length > MAX_FIELD_CHARS) {
      const long = fields.findIndex((f) => f.length > MAX_FIELD_CHARS);
      if (long >= 0) {
        this.reject(
          'oversized_field',
          line,
          rawLine(raw),
          `field ${long + 1} (${this.header?.[long] ?? '?'}) has ${(fields[long] as string).length} characters, more than ${MAX_FIELD_CHARS}`,
        );
        return;
      }
    }
    this.line = line;
    const before = this.events;
    const rejection = mapper.map(fields, this.emitReading);
    if (rejection) {
      this.reject(rejection.reason, line, rawLine(raw), rejection.message);
      return;
    }
    this.rowsAccepted++;
    if (this.events === before) this.rowsWithoutReadings++;
  }

  private emit(site: Site, measure: Measure, value: number, ts: string): void {
    const id = eventIdOf(site.asset_id, measure.measurement, ts);
    const json = this.encoder.encode(id, site, measure, value, ts, this.line);
    const bytes = this.encoder.byteLength(json, site);
    this.digest.add(id);
    this.events++;
    this.eventBytes += bytes;
    if (this.first === null || ts < this.first) this.first = ts;
    if (this.last === null || ts > this.last) this.last = ts;
    const full = this.aggregator.addText(site.substation_id, json, bytes);
    if (full !== undefined) this.records.put(full);
    if (this.aggregator.heldBytes > this.budget) this.flushAggregates();
  }

  private flushAggregates(): void {
    for (const record of this.aggregator.flush()) this.records.put(record);
  }

  private reject(reason: QuarantineReason, line: number, raw: string, message: string): void {
    this.rowsQuarantined++;
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1;
    this.entry(reason, line, raw, message);
  }

  private entry(reason: QuarantineReason, line: number | null, raw: string | null, message: string): void {
    const { source, ingestedAt } = this.options;
    this.entries++;
    this.quarantine.add({
      v: 1,
      stage: SPLITTER_STAGE,
      reason,
      message,
      source_bucket: source.bucket,
      source_key: source.key,
      source_etag: source.etag,
      line,
      ...rawForEntry(raw),
      quarantined_at: ingestedAt,
    });
  }

  private notCsv(why: string): void {
    this.format = 'not_csv';
    this.header = undefined;
    this.stop(null, 'not_csv', `s3://${this.options.source.bucket}/${this.options.source.key} is not CSV text: ${why}`);
  }

  /** A record too long to hold: counted as one quarantined row, and the split ends there. */
  oversized(o: { raw: string; line: number; message: string }): void {
    if (this.stopped) return;
    if (this.header === undefined) {
      this.notCsv(o.message);
      return;
    }
    this.rowsRead++;
    // Which of the two ways a record grows this long: an open quote swallowing later lines, or one line with no break.
    const cause = o.raw.includes('"')
      ? 'a quote opened in it is not closed before the limit'
      : 'its line has no line break within the limit';
    const message = `${o.message} (${cause}); the object was not split beyond it`;
    this.rowsQuarantined++;
    this.reasons.oversized_record = (this.reasons.oversized_record ?? 0) + 1;
    this.stop(o.line, 'oversized_record', message, rawLine(o.raw));
  }

  corrupt(err: Error): void {
    const after = this.lastLine;
    this.stop(
      null,
      'corrupt_body',
      `s3://${this.options.source.bucket}/${this.options.source.key} could not be read past line ${after}: ${err.message}; the rows before were split, the incomplete last line was not`,
    );
  }

  private stop(line: number | null, reason: QuarantineReason, message: string, raw: string | null = null): void {
    this.stopped = true;
    this.stoppedEarly = { line, reason, message };
    this.entry(reason, line, raw, message);
  }

  finish(): SplitSummary {
    this.flushAggregates();
    return {
      format: this.format,
      header: this.header ?? null,
      gzip: this.gzip,
      rows_read: this.rowsRead,
      rows_accepted: this.rowsAccepted,
      rows_quarantined: this.rowsQuarantined,
      quarantine_reasons: this.reasons,
      rows_without_readings: this.rowsWithoutReadings,
      events_emitted: this.events,
      event_bytes: this.eventBytes,
      event_id_digest: this.digest.toString(),
      first_reading_ts: this.first,
      last_reading_ts: this.last,
      quarantine_entries: this.entries,
      stopped_early: this.stoppedEarly,
    };
  }
}
