/**
 * The splitter's pure core: a raw object's bytes → contract-v1 events, KPL-aggregated
 * per partition key (the substation id), handed to a record sink; rejected rows →
 * quarantine entries, handed to a quarantine sink. Streaming throughout: it holds one
 * chunk's records, the open aggregates (bounded by a budget) and its counters, never
 * the body. Knows no AWS client.
 */
import { EventIdDigest, eventIdOf } from '../../shared/event.ts';
import { KeyedAggregator, type AggregatedRecord } from '../../shared/kpl.ts';
import type { ManifestMapping, SourceFormat } from '../../shared/manifest.ts';
import {
  QUARANTINE_RAW_MAX_CHARS,
  rawForEntry,
  type QuarantineEntry,
  type QuarantineReason,
} from '../../shared/quarantine.ts';
import type { RawShape } from '../../shared/resources.ts';
import { decodeBody, isCorruptBodyError } from './body.ts';
import { CsvRecordReader, rawLine, type CsvItem } from './csv.ts';
import type { SplitProgress } from './continuation.ts';
import { EventEncoder, type SourceRef } from './encode.ts';
import { duplicateColumn, looksBinary } from './formats.ts';
import { JsonRecordSplit, jsonReaderFor } from './json-split.ts';
import { AGGREGATOR_PENDING_BUDGET_BYTES, aggregatorMaxBytes, MAX_FIELD_CHARS, MAX_RECORD_BYTES } from './limits.ts';
import { LineScanner, type OversizedRecord, type ScanPiece } from './line-scan.ts';
import type { CsvRowMapper, RecordMapper } from './mapping/compile.ts';
import { builtinMappingSet, type CsvMappers } from './mapping/set.ts';
import type { ReaderStop } from './records.ts';
import { clip, type EmitReading, type Measure, type Rejection, type Site } from './rows.ts';

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
  /** The mappings to choose from. @default the built-in mappings (in `sourceTimeZone`) */
  readonly mappings?: CsvMappers | undefined;
  /** The source the object names (`ingest --source`, object metadata): its mapping, whatever the header. */
  readonly sourceName?: string | undefined;
  /** Cap on one aggregate's protobuf body. @default aggregatorMaxBytes() */
  readonly aggregateMaxBytes?: number | undefined;
  /** Open aggregates are all sent once they hold this much. @default AGGREGATOR_PENDING_BUDGET_BYTES */
  readonly pendingBudgetBytes?: number | undefined;
  /** How the body's records are laid out (the key's suffix: `rawShapeOf`). @default 'csv' */
  readonly shape?: RawShape | undefined;
  /** A later part of a resumable split: the accounting so far; its `rows_read` rows are skipped, not counted again. */
  readonly resume?: SplitProgress | undefined;
  /**
   * Asked between chunks: true stops the split there (a safe point: every row counted is
   * handed to the sinks) with `paused` set. Asked only once this part has counted a row,
   * so every part moves the split on. @default never
   */
  readonly shouldPause?: (() => boolean) | undefined;
}

export interface SplitSummary {
  readonly format: SourceFormat;
  /** The mapping that split the object, and why it was chosen; null when none took it. */
  readonly mapping: ManifestMapping | null;
  readonly header: readonly string[] | null;
  readonly gzip: boolean;
  readonly rows_read: number;
  readonly rows_accepted: number;
  readonly rows_quarantined: number;
  readonly quarantine_reasons: Partial<Record<QuarantineReason, number>>;
  readonly rows_without_readings: number;
  /** Readings rejected alone, their row accepted (a mapping with `reject: reading`); each has a quarantine entry. */
  readonly readings_quarantined: number;
  readonly events_emitted: number;
  readonly event_bytes: number;
  readonly event_id_digest: string;
  readonly first_reading_ts: string | null;
  readonly last_reading_ts: string | null;
  readonly quarantine_entries: number;
  readonly stopped_early: { line: number | null; reason: QuarantineReason; message: string } | null;
  /** The split stopped at a safe point before the end (`shouldPause`): a later part goes on from `rows_read`. */
  readonly paused: boolean;
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
  if (options.shape === 'json' || options.shape === 'ndjson') {
    await splitJson(decoded.chunks, options.shape, split, options, records, quarantine);
    return split.finish();
  }
  const reader = new CsvRecordReader();
  // over-long lines are cut out before csv-parse, which could only skip them by holding them
  const scanner = new LineScanner({
    maxRecordBytes: MAX_RECORD_BYTES,
    headBytes: QUARANTINE_RAW_MAX_CHARS,
    quoting: 'csv',
  });
  const feed = (pieces: readonly ScanPiece[]): void => {
    for (const piece of pieces) {
      if ('oversized' in piece) split.oversizedRecord(piece.oversized);
      else split.process(reader.write(piece.bytes));
    }
  };
  try {
    for await (const chunk of decoded.chunks) {
      feed(scanner.write(chunk));
      if (reader.oversized) split.oversized(reader.oversized);
      if (split.stopped) break;
      if (records.needsDrain) await records.drain();
      if (quarantine.needsDrain) await quarantine.drain();
      if (split.pauseNow()) break;
    }
    if (!split.stopped && !split.paused) feed(scanner.end());
    if (!split.stopped && !split.paused) split.process(await reader.end());
  } catch (err) {
    if (!isCorruptBodyError(err)) throw err;
    split.corrupt(err);
  }
  return split.finish();
}

/** The JSON side of `splitBody`: the same loop over a JSON reader, records mapped by a JSON mapping. */
async function splitJson(
  chunks: AsyncIterable<Buffer>,
  shape: 'json' | 'ndjson',
  split: Split,
  options: SplitOptions,
  records: RecordSink,
  quarantine: QuarantineSink,
): Promise<void> {
  const mappings = (options.mappings ?? builtinMappingSet(options.sourceTimeZone)).mappings ?? [];
  const reader = jsonReaderFor(shape, mappings);
  const json = new JsonRecordSplit(split, reader, mappings, options.source.key, options.sourceName);
  try {
    for await (const chunk of chunks) {
      json.process(reader.write(chunk));
      if (reader.stopped) split.readerStopped(reader.stopped);
      if (split.stopped) break;
      if (records.needsDrain) await records.drain();
      if (quarantine.needsDrain) await quarantine.drain();
      if (split.pauseNow()) break;
    }
    if (!split.stopped && !split.paused) {
      json.process(await reader.end());
      if (reader.stopped) split.readerStopped(reader.stopped);
    }
  } catch (err) {
    if (!isCorruptBodyError(err)) throw err;
    split.corrupt(err);
  }
}

/** What the JSON side of a split drives: the same accounting, entries and events as a CSV row's. */
export interface SplitAccount {
  readonly stopped: boolean;
  /** The mapping that reads the records (the manifest's `format` and `mapping`), or `unknown` (null). */
  setMapping(mapping: ManifestMapping | null): void;
  /**
   * One record read and mapped by `mapper`: accepted (readings emitted) or rejected. Its
   * text is `text.slice(start, end)` (a JSON array's records share their batch's text),
   * sliced only for a quarantine entry.
   */
  mapped(line: number, text: string, start: number, end: number, mapper: RecordMapper<unknown>, record: unknown): void;
  /** One record read and rejected. */
  rejected(reason: QuarantineReason, line: number, raw: string, message: string): void;
}

/** The state of one split. */
class Split implements SplitAccount {
  gzip = false;
  stopped = false;
  /** Stopped at a safe point for a later part (`shouldPause`). */
  paused = false;
  /** Rows a resumed part still skips: the earlier parts counted them. */
  private toSkip = 0;
  private mapper: CsvRowMapper | undefined;
  private mapping: ManifestMapping | null = null;
  /** Why no mapping took the header (for unknown_format entries). */
  private unknownWhy = '';
  private header: string[] | undefined;
  private format: SourceFormat = 'empty';
  private headerText = '';
  private lastLine = 0;
  private rowsRead = 0;
  private rowsAccepted = 0;
  private rowsQuarantined = 0;
  private rowsWithoutReadings = 0;
  private readingsQuarantined = 0;
  /** The row being mapped: its text is rowText.slice(rowStart, rowEnd), sliced only for a quarantine entry. */
  private rowText = '';
  private rowStart = 0;
  private rowEnd = 0;
  private readonly rejectReading = (r: Rejection): void => {
    this.readingsQuarantined++;
    this.entry(r.reason, this.line, rawLine(this.rowRaw()), r.message);
  };
  private readonly reasons: Partial<Record<QuarantineReason, number>> = {};
  private entries = 0;
  private events = 0;
  private eventBytes = 0;
  private first: string | null = null;
  private last: string | null = null;
  private stoppedEarly: SplitSummary['stopped_early'] = null;
  private readonly digest: EventIdDigest = new EventIdDigest();
  private readonly encoder: EventEncoder;
  private readonly aggregator: KeyedAggregator;
  /** Line of the row being mapped, for its events' `source_line`. */
  private line = 0;
  private readonly emitReading: EmitReading = (site, measure, value, ts) => this.emit(site, measure, value, ts);
  private readonly budget: number;
  /**
   * Oversized records the scanner has cut out, waiting for csv-parse (which emits a
   * record only once it has seen the next one) to reach their line, so that every
   * record is judged in line order (the header first).
   */
  private readonly skipped: OversizedRecord[] = [];

  constructor(
    private readonly options: SplitOptions,
    private readonly records: RecordSink,
    private readonly quarantine: QuarantineSink,
  ) {
    this.encoder = new EventEncoder(options.source, options.ingestedAt);
    this.aggregator = new KeyedAggregator(options.aggregateMaxBytes ?? aggregatorMaxBytes());
    this.budget = options.pendingBudgetBytes ?? AGGREGATOR_PENDING_BUDGET_BYTES;
    const r = options.resume;
    if (r) {
      this.toSkip = r.rows_read;
      this.rowsRead = r.rows_read;
      this.rowsAccepted = r.rows_accepted;
      this.rowsQuarantined = r.rows_quarantined;
      Object.assign(this.reasons, r.quarantine_reasons);
      this.rowsWithoutReadings = r.rows_without_readings;
      this.readingsQuarantined = r.readings_quarantined;
      this.events = r.events_emitted;
      this.eventBytes = r.event_bytes;
      this.digest = EventIdDigest.parse(r.event_id_digest, r.events_emitted);
      this.first = r.first_reading_ts;
      this.last = r.last_reading_ts;
      this.entries = r.quarantine_entries;
    }
  }

  /**
   * Called where a row is about to be counted: true while a resumed part is still
   * passing the rows an earlier part counted (they cost nothing more: no event, no entry).
   */
  private passed(): boolean {
    if (this.toSkip === 0) return false;
    this.toSkip--;
    return true;
  }

  /** Between chunks: stops here when the part is out of time and has counted a row of its own. */
  pauseNow(): boolean {
    const own = this.rowsRead > (this.options.resume?.rows_read ?? 0);
    if (this.stopped || !own || !this.options.shouldPause?.()) return false;
    this.paused = true;
    return true;
  }

  process(items: readonly CsvItem[]): void {
    for (const item of items) {
      if (this.skipped.length > 0) this.judgeSkipped(item.line);
      if (this.stopped) return;
      this.lastLine = item.line;
      if ('skip' in item) {
        if (this.header === undefined) {
          this.notCsv(`its first record cannot be parsed as CSV (${item.message})`);
        } else if (!this.passed()) {
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
    // A header naming a column twice is no layout: which of the two holds the value cannot be
    // known, and a wide row would give two readings one event id.
    if (duplicateColumn(fields) !== undefined) {
      this.format = 'unknown';
      return;
    }
    const mappings = this.options.mappings ?? builtinMappingSet(this.options.sourceTimeZone);
    const choice = mappings.chooseCsv(fields, this.options.source.key, this.options.sourceName);
    if (choice.mapper === undefined) {
      this.format = 'unknown';
      this.unknownWhy = choice.why;
      return;
    }
    this.mapper = choice.mapper;
    this.mapping = { name: choice.name, hash: choice.hash, why: choice.why };
    this.format = choice.name;
  }

  private row(fields: string[], raw: string, line: number): void {
    if (this.passed()) return;
    this.rowsRead++;
    const mapper = this.mapper;
    if (mapper === undefined) {
      const twice = duplicateColumn(this.header ?? []);
      const why =
        twice === undefined
          ? this.unknownWhy === ''
            ? ''
            : ` (${clip(this.unknownWhy, 600)})`
          : ` (it names the column ${JSON.stringify(twice)} twice)`;
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
    this.rowText = raw;
    this.rowStart = 0;
    this.rowEnd = raw.length;
    const before = this.events;
    const rejection = mapper.map(fields, this.emitReading, this.rejectReading);
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

  private entry(
    reason: QuarantineReason,
    line: number | null,
    raw: string | null,
    message: string,
    cut = false, // `raw` is only the head of the record
  ): void {
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
      ...(cut ? { raw_truncated: true as const } : {}),
      quarantined_at: ingestedAt,
    });
  }

  private notCsv(why: string): void {
    this.format = 'not_csv';
    this.header = undefined;
    this.stop(null, 'not_csv', `s3://${this.options.source.bucket}/${this.options.source.key} is not CSV text: ${why}`);
  }

  /** A record the scanner cut out for its length; judged once the records before it are. */
  oversizedRecord(o: OversizedRecord): void {
    this.skipped.push(o);
  }

  /** The skipped records before `line`, in order. */
  private judgeSkipped(line = Infinity): void {
    while (this.skipped.length > 0 && (this.skipped[0] as OversizedRecord).line < line) {
      this.skippedRecord(this.skipped.shift() as OversizedRecord);
    }
  }

  /**
   * One quarantined row, and the split goes on after it; only a quote left open to the
   * end of the object (the rest of the object is the record) ends the split there.
   */
  private skippedRecord(o: OversizedRecord): void {
    if (this.stopped) return;
    const head = o.head.toString('utf8');
    const what = `the record starting at line ${o.line} is ${o.bytes} bytes long, more than the limit of ${MAX_RECORD_BYTES}`;
    if (this.header === undefined) {
      this.notCsv(`its first record is too long (${what})`);
      return;
    }
    if (this.passed()) return;
    this.rowsRead++;
    this.rowsQuarantined++;
    this.reasons.oversized_record = (this.reasons.oversized_record ?? 0) + 1;
    if (o.unclosedQuote) {
      const message =
        `${what}: a quote opened in it is not closed before the end of the object, so lines ${o.line}–${o.line + o.lines - 1} ` +
        `(the rest of the object) are that one record; the object was not split beyond line ${o.line - 1}`;
      this.stop(o.line, 'oversized_record', message, head, true);
      return;
    }
    const cause =
      o.lines === 1 ? 'its line has no line break within the limit' : `a quoted field in it runs over ${o.lines} lines`;
    const message = `${what} (${cause}); it was skipped, and the split went on with line ${o.line + o.lines}`;
    this.entry('oversized_record', o.line, head, message, true);
  }

  /** A record too long to hold that the scanner did not see (csv-parse's own limit): the split ends there. */
  oversized(o: { raw: string; line: number; message: string }): void {
    this.judgeSkipped(o.line);
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

  setMapping(mapping: ManifestMapping | null): void {
    this.mapping = mapping;
    this.format = mapping?.name ?? 'unknown';
  }

  mapped(line: number, text: string, start: number, end: number, mapper: RecordMapper<unknown>, record: unknown): void {
    if (this.passed()) return;
    this.rowsRead++;
    this.line = line;
    this.lastLine = line;
    this.rowText = text;
    this.rowStart = start;
    this.rowEnd = end;
    const before = this.events;
    let rejection: Rejection | undefined;
    try {
      // a JSON record's bad reading costs only itself under `reject: reading`, as a CSV row's does
      rejection = mapper.map(record, this.emitReading, this.rejectReading);
    } catch (err) {
      // a mapping meeting a value it cannot take is the record's fault, never the split's
      rejection = {
        reason: 'mapping_error',
        message: `the mapping could not read the record: ${(err as Error).message}`,
      };
    }
    if (rejection) {
      this.reject(rejection.reason, line, this.rowRaw(), rejection.message);
      return;
    }
    this.rowsAccepted++;
    if (this.events === before) this.rowsWithoutReadings++;
  }

  private rowRaw(): string {
    const text = this.rowText;
    return this.rowStart === 0 && this.rowEnd === text.length ? text : text.slice(this.rowStart, this.rowEnd);
  }

  rejected(reason: QuarantineReason, line: number, raw: string, message: string): void {
    if (this.passed()) return;
    this.rowsRead++;
    this.lastLine = line;
    this.reject(reason, line, raw, message);
  }

  /** A JSON reader that cannot go on: an entry for the object (or the over-long record), and the split ends. */
  readerStopped(stop: ReaderStop): void {
    if (this.stopped) return;
    // about the object, not one of its records: no row is counted (as for `not_csv`)
    if (stop.reason === 'unknown_format') this.format = 'unknown';
    this.stop(stop.line, stop.reason, stop.message, stop.raw);
  }

  corrupt(err: Error): void {
    this.judgeSkipped();
    const after = this.lastLine;
    this.stop(
      null,
      'corrupt_body',
      `s3://${this.options.source.bucket}/${this.options.source.key} could not be read past line ${after}: ${err.message}; the rows before were split, the incomplete last line was not`,
    );
  }

  private stop(
    line: number | null,
    reason: QuarantineReason,
    message: string,
    raw: string | null = null,
    cut = false,
  ): void {
    this.stopped = true;
    this.stoppedEarly = { line, reason, message };
    this.entry(reason, line, raw, message, cut);
  }

  finish(): SplitSummary {
    this.judgeSkipped();
    this.flushAggregates();
    return {
      format: this.format,
      mapping: this.mapping,
      header: this.header ?? null,
      gzip: this.gzip,
      rows_read: this.rowsRead,
      rows_accepted: this.rowsAccepted,
      rows_quarantined: this.rowsQuarantined,
      quarantine_reasons: this.reasons,
      rows_without_readings: this.rowsWithoutReadings,
      readings_quarantined: this.readingsQuarantined,
      events_emitted: this.events,
      event_bytes: this.eventBytes,
      event_id_digest: this.digest.toString(),
      first_reading_ts: this.first,
      last_reading_ts: this.last,
      quarantine_entries: this.entries,
      stopped_early: this.stoppedEarly,
      paused: this.paused,
    };
  }
}
