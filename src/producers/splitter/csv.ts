/**
 * CSV records with their line numbers, from a byte stream fed chunk by chunk into
 * csv-parse's stream parser. Each `write` returns the records the chunk completed, so
 * the caller holds at most one chunk's records at a time.
 *
 * Line numbers are counted here from each record's raw text, as an editor numbers
 * lines (CRLF, LF or a lone CR each end one line): csv-parse's `info: true` costs ~5 µs
 * a record (it copies its info object per record), and its `info.lines` counts a CRLF
 * inside a quoted field as two lines, which would shift every later row by one. Blank
 * lines are kept as records (not skipped by the parser) so that every line is counted;
 * the caller drops them.
 */
import { Parser, type CsvError } from 'csv-parse';
import { MAX_RECORD_BYTES } from './limits.ts';
import type { ReaderStop, RecordReader } from './records.ts';

export interface CsvRecord {
  readonly record: string[];
  /** The record's text including its line ending (csv-parse `raw`). */
  readonly raw: string;
  /** Line the record starts on (1-based). */
  readonly line: number;
}

/** A record csv-parse could not parse; parsing went on after it. */
export interface CsvSkip {
  readonly skip: string;
  readonly message: string;
  readonly raw: string;
  readonly line: number;
}

export type CsvItem = CsvRecord | CsvSkip;

/** A record beyond MAX_RECORD_BYTES: nothing after it can be parsed reliably. */
export interface CsvOversized {
  readonly raw: string;
  readonly line: number;
  readonly message: string;
}

interface Pushed {
  record: string[];
  raw: string;
  line: number;
}

/** The line the next record starts on: every record's raw text moves it on. */
class LineCounter {
  private next = 1;

  /** The first line of a record with this raw text; the counter moves past it. */
  take(raw: string): number {
    const line = this.next;
    this.next += 1 + innerLineBreaks(raw);
    return line;
  }
}

class LineTrackingParser extends Parser {
  constructor(
    options: ConstructorParameters<typeof Parser>[0],
    private readonly lines: LineCounter,
    private readonly sink: (item: Pushed) => void,
  ) {
    super(options);
  }

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) return super.push(null, encoding);
    const pushed = chunk as Pushed;
    pushed.line = this.lines.take(pushed.raw);
    this.sink(pushed);
    return true;
  }
}

export class CsvRecordReader implements RecordReader<CsvItem> {
  private readonly parser: LineTrackingParser;
  private readonly lines = new LineCounter();
  private items: CsvItem[] = [];
  private failure: Error | undefined;
  /** Set when a record exceeded MAX_RECORD_BYTES; the parser is dead after it. */
  oversized: CsvOversized | undefined;

  /** The seam's view of `oversized`: a CSV reader stops at an over-long record. */
  get stopped(): ReaderStop | undefined {
    return this.oversized && { reason: 'oversized_record', ...this.oversized };
  }

  constructor(maxRecordBytes = MAX_RECORD_BYTES) {
    this.parser = new LineTrackingParser(
      {
        bom: true,
        raw: true,
        relax_column_count: true,
        relax_quotes: true,
        skip_records_with_error: true,
        max_record_size: maxRecordBytes,
        on_skip: (err, raw) => this.onSkip(err, raw ?? ''),
      },
      this.lines,
      (item) => this.items.push(item),
    );
    this.parser.on('error', (err: Error) => {
      this.failure ??= err;
    });
  }

  /** Parses a chunk; returns the records it completed. */
  write(chunk: Buffer): CsvItem[] {
    if (this.oversized || this.failure) return this.take();
    this.parser.write(chunk);
    return this.take();
  }

  /** Ends the input; returns the last records. */
  async end(): Promise<CsvItem[]> {
    if (!this.oversized && !this.failure) {
      await new Promise<void>((resolve) => {
        this.parser.once('finish', resolve);
        this.parser.once('error', () => resolve());
        this.parser.end();
      });
    }
    if (this.failure && !this.oversized) throw this.failure;
    return this.take();
  }

  private take(): CsvItem[] {
    const out = this.items;
    this.items = [];
    return out;
  }

  private onSkip(err: CsvError | undefined, raw: string): undefined {
    const line = this.lines.take(raw);
    if (err?.code === 'CSV_MAX_RECORD_SIZE') {
      // csv-parse would report this for every further byte of the record while holding
      // it all in memory: stop here (throwing ends the parser).
      this.oversized ??= {
        raw,
        line,
        message: `the record starting at line ${line} is longer than ${MAX_RECORD_BYTES} characters`,
      };
      throw err;
    }
    this.items.push({ skip: err?.code ?? 'CSV_ERROR', message: err?.message ?? 'unparseable record', raw, line });
    return undefined;
  }
}

/**
 * Line breaks inside a record's raw text, its own line ending not counted: each LF,
 * and each CR not followed by an LF (old Mac files end lines with CR alone).
 */
export function innerLineBreaks(raw: string): number {
  let end = raw.length;
  if (end > 0 && raw.charCodeAt(end - 1) === 10) end--;
  if (end > 0 && raw.charCodeAt(end - 1) === 13) end--;
  let n = 0;
  for (let i = raw.indexOf('\n'); i !== -1 && i < end; i = raw.indexOf('\n', i + 1)) n++;
  for (let i = raw.indexOf('\r'); i !== -1 && i < end; i = raw.indexOf('\r', i + 1))
    if (raw.charCodeAt(i + 1) !== 10) n++;
  return n;
}

/** The raw text of a record without its line ending. */
export function rawLine(raw: string): string {
  let end = raw.length;
  if (end > 0 && raw.charCodeAt(end - 1) === 10) end--;
  if (end > 0 && raw.charCodeAt(end - 1) === 13) end--;
  return end === raw.length ? raw : raw.slice(0, end);
}
