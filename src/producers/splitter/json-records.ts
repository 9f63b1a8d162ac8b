/**
 * JSON records from a byte stream, chunk by chunk, in constant memory: each record's
 * end is found in the bytes (json-scan.ts), then the record alone goes through
 * `JSON.parse`. Two shapes:
 *
 * - **NDJSON / JSON Lines** (`NdjsonRecordReader`): one object per line. Blank lines are
 *   no records but count as lines. A line longer than the record limit is quarantined
 *   (`oversized_record`, its line number and first 64 KiB) and reading goes on with the
 *   next line: its bytes are counted, never held.
 * - **A JSON document** (`JsonDocumentReader`): top-level metadata plus an array of
 *   records at a path (`[]` for a document that is the array itself). The members met
 *   on the way to the array are the metadata, given with every record; members after
 *   the array are read too but come too late for the records (a first pass over the
 *   head, no second pass over the object: docs/sources-json.md says why). An element
 *   over the limit is quarantined and skipped like an NDJSON line.
 *
 * A record that is not JSON, or not an object, is an `invalid_json` item; the records
 * after it are read as usual. Only a broken frame (the document around the records)
 * stops a document reader.
 */
import { ArrayBatch, readArrayBatch } from './json-batch.ts';
import { MAX_RECORD_BYTES } from './limits.ts';
import {
  COLON,
  COMMA,
  countLineFeeds,
  isJsonSpace,
  jsonKind,
  LBRACE,
  LBRACKET,
  LF,
  QUOTE,
  RBRACE,
  RBRACKET,
  RecordBytes,
  ValueEnd,
} from './json-scan.ts';
import type { ReaderStop, RecordReader } from './records.ts';

export type JsonObject = { readonly [key: string]: unknown };

/** One record: its parsed value, its text and the line it starts on. */
export interface JsonRecord {
  readonly value: JsonObject;
  readonly raw: string;
  readonly line: number;
}

/** A record that cannot be read: not JSON, not an object, or over the limit. */
export interface JsonReject {
  readonly reject: 'invalid_json' | 'oversized_record';
  readonly message: string;
  /** The record's text (its first 64 KiB when oversized). */
  readonly raw: string;
  readonly line: number;
}

/** A record or a rejected one; a JSON array's fast path gives many records as one `ArrayBatch` (json-batch.ts). */
export type JsonItem = JsonRecord | JsonReject | ArrayBatch;

export { ArrayBatch };

/** The items with each batch spread into its records: what the exact scanner would give (tests, tools). */
export function recordsOf(items: readonly JsonItem[]): (JsonRecord | JsonReject)[] {
  const out: (JsonRecord | JsonReject)[] = [];
  for (const item of items)
    if (item instanceof ArrayBatch) out.push(...item.records);
    else out.push(item);
  return out;
}

const BOM = '\uFEFF';
/** A fast batch's reach: a chunk or so, bounding the text and values held at once. */
const BATCH_MAX_BYTES = 256 * 1024;
/** After misses in a row the fast path waits 1, 2, 4 … up to 2^6 chunks (records it cannot read cost no parse twice). */
const BATCH_PAUSE_MAX_EXP = 6;

/** A record's text → a record or why it is none. */
function parseRecord(text: string, line: number, what: string): JsonItem {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { reject: 'invalid_json', message: `${what} is not valid JSON: ${(err as Error).message}`, raw: text, line };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { reject: 'invalid_json', message: `${what} holds ${jsonKind(value)}, not a JSON object`, raw: text, line };
  return { value: value as JsonObject, raw: text, line };
}

function oversizedItem(raw: string, bytes: number, line: number, what: string, limit: number): JsonReject {
  return {
    reject: 'oversized_record',
    message: `${what} has ${bytes} bytes, more than the ${limit} a record may have; it was skipped and the records after it were read`,
    raw,
    line,
  };
}

export class NdjsonRecordReader implements RecordReader<JsonItem> {
  /** An NDJSON reader always goes on: an over-long line is one item. */
  readonly stopped: ReaderStop | undefined = undefined;
  private items: JsonItem[] = [];
  /** Line of the line being collected. */
  private line = 1;
  private readonly pending: RecordBytes;

  constructor(private readonly limit = MAX_RECORD_BYTES) {
    this.pending = new RecordBytes(limit);
  }

  write(chunk: Buffer): JsonItem[] {
    const limit = this.limit;
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      if (nl === -1) {
        this.pending.add(chunk, start, chunk.length);
        break;
      }
      if (this.pending.bytes === 0 && nl - start <= limit) {
        this.lineText(chunk.toString('utf8', start, nl), nl - start);
      } else {
        this.pending.add(chunk, start, nl);
        this.flush();
      }
      start = nl + 1;
    }
    return this.take();
  }

  async end(): Promise<JsonItem[]> {
    if (this.pending.bytes > 0) this.flush();
    return this.take();
  }

  private flush(): void {
    const oversized = this.pending.oversized;
    const bytes = this.pending.bytes;
    const text = this.pending.take();
    if (oversized) {
      this.items.push(oversizedItem(stripCr(text), bytes, this.line, `line ${this.line}`, this.limit));
      this.line++;
    } else this.lineText(text, bytes);
  }

  private lineText(text: string, bytes: number): void {
    const line = this.line++;
    if (bytes === 0) return;
    if (line === 1 && text.startsWith(BOM)) text = text.slice(1);
    text = stripCr(text);
    // the common case first: a line that opens an object is no blank line
    if (text.charCodeAt(0) !== LBRACE && text.trim() === '') return;
    this.items.push(parseRecord(text, line, `line ${line}`));
  }

  private take(): JsonItem[] {
    const out = this.items;
    this.items = [];
    return out;
  }
}

function stripCr(text: string): string {
  return text.charCodeAt(text.length - 1) === 0x0d ? text.slice(0, -1) : text;
}

/** Where the document reader is. */
type FrameState =
  /** before the document's first value */
  | 'root'
  /** in an object, before a key or its closing brace */
  | 'key'
  /** after a key, before its colon */
  | 'colon'
  /** after a colon, before the member's value */
  | 'value'
  /** after a member, before a comma or the closing brace */
  | 'next'
  /** in the records array */
  | 'records'
  /** after the document's value: only whitespace may follow */
  | 'after';

/** What a captured value is for. */
type Capture = 'key' | 'meta' | 'record';

interface Frame {
  readonly path: readonly string[];
  /** The metadata of this object: its members that are not on the way to the records. */
  readonly meta: Record<string, unknown>;
  key: string;
}

export interface JsonDocumentOptions {
  /**
   * Where the records may be: each a path of keys from the top (`[]`: the document is
   * the array). The first one met is used. @default [[]]
   */
  readonly recordsPaths?: readonly (readonly string[])[] | undefined;
  readonly limit?: number | undefined;
}

export class JsonDocumentReader implements RecordReader<JsonItem> {
  stopped: ReaderStop | undefined;
  /** The metadata met so far: the document's members off the records' path, nested as in the document. */
  readonly metadata: Record<string, unknown> = {};
  /** The path the records were found at, once they were. */
  recordsPath: readonly string[] | undefined;
  private items: JsonItem[] = [];
  private state: FrameState = 'root';
  private readonly stack: Frame[] = [];
  private readonly paths: readonly (readonly string[])[];
  private readonly limit: number;
  private readonly end_ = new ValueEnd();
  private readonly bytes: RecordBytes;
  private capture: Capture | undefined;
  private captureLine = 0;
  /** Where the value being captured starts in the current chunk (0 when it began in an earlier one). */
  private captureFrom = 0;
  private elements = 0;
  private metaBytes = 0;
  /** Line at `mark` in the current chunk. */
  private line = 1;
  private mark = 0;
  private first = true;
  /** The fast path (json-batch.ts) is not tried before this index of the current chunk. */
  private batchFrom = 0;
  /** Chunks left before the fast path is tried again, after it missed; doubles with each miss in a row. */
  private batchPause = 0;
  private batchMisses = 0;

  constructor(options: JsonDocumentOptions = {}) {
    this.paths = options.recordsPaths ?? [[]];
    this.limit = options.limit ?? MAX_RECORD_BYTES;
    this.bytes = new RecordBytes(this.limit);
  }

  write(chunk: Buffer): JsonItem[] {
    if (this.stopped || this.state === 'after') return this.take();
    this.mark = 0;
    this.batchFrom = 0;
    if (this.batchPause > 0) {
      this.batchPause--;
      this.batchFrom = chunk.length;
    }
    let i = 0;
    if (this.first) {
      this.first = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) i = 3;
    }
    const n = chunk.length;
    while (i < n && !this.stopped) {
      if (this.capture !== undefined) {
        const end = this.end_.scan(chunk, i);
        if (end === -1) break;
        // the common case: the whole value in this chunk, decoded straight from it
        if (this.bytes.bytes === 0 && end - this.captureFrom <= this.limit)
          this.captured(chunk.toString('utf8', this.captureFrom, end), end - this.captureFrom, false);
        else {
          this.bytes.add(chunk, this.captureFrom, end);
          const oversized = this.bytes.oversized;
          const size = this.bytes.bytes;
          this.captured(this.bytes.take(), size, oversized);
        }
        i = end;
        continue;
      }
      const c = chunk[i] as number;
      if (isJsonSpace(c)) {
        i++;
        continue;
      }
      i = this.frame(chunk, i, c);
    }
    if (this.capture !== undefined && !this.stopped) {
      // the value goes on in the next chunk, from its first byte
      this.bytes.add(chunk, this.captureFrom, n);
      this.captureFrom = 0;
    }
    this.line += countLineFeeds(chunk, this.mark, n);
    return this.take();
  }

  async end(): Promise<JsonItem[]> {
    if (this.stopped) return this.take();
    if (this.capture === 'record') {
      const oversized = this.bytes.oversized;
      const text = this.bytes.take();
      this.capture = undefined;
      this.items.push({
        reject: 'invalid_json',
        message: `element ${this.elements} is cut off: the document ends inside it${oversized ? ' (its first 64 KiB are kept)' : ''}`,
        raw: text,
        line: this.captureLine,
      });
    }
    if (this.state === 'root') {
      // an empty body: no records, nothing wrong
    } else if (this.state !== 'after' && this.recordsPath !== undefined) {
      this.stop(
        'invalid_json',
        `the document ends before its closing ${this.stack.length > 0 ? 'brace' : 'bracket'}; the records before it were read`,
        null,
      );
    } else if (this.recordsPath === undefined) {
      this.stop(
        'unknown_format',
        `the document has no array of records at ${this.paths.map(showPath).join(' or ')}`,
        null,
      );
    }
    return this.take();
  }

  /** One byte of the frame (not whitespace); returns where to go on. */
  private frame(chunk: Buffer, i: number, c: number): number {
    switch (this.state) {
      case 'root':
        if (c === LBRACKET) {
          if (this.isRecordsPath([])) return this.enterRecords(i, []);
          this.stop(
            'unknown_format',
            `the document is an array; records are expected at ${this.paths.map(showPath).join(' or ')}`,
            null,
          );
          return i;
        }
        if (c === LBRACE) {
          this.stack.push({ path: [], meta: this.metadata, key: '' });
          this.state = 'key';
          return i + 1;
        }
        return this.unexpected(chunk, i, 'an object or an array');
      case 'key':
        if (c === QUOTE) return this.startCapture('key', chunk, i);
        if (c === RBRACE) return this.closeObject(i);
        return this.unexpected(chunk, i, 'a key in quotes or "}"');
      case 'colon':
        if (c === COLON) {
          this.state = 'value';
          return i + 1;
        }
        return this.unexpected(chunk, i, '":"');
      case 'value': {
        const top = this.stack[this.stack.length - 1] as Frame;
        const path = [...top.path, top.key];
        if (c === LBRACKET && this.recordsPath === undefined && this.isRecordsPath(path))
          return this.enterRecords(i, path);
        if (c === LBRACE && this.recordsPath === undefined && this.leadsToRecords(path)) {
          const meta: Record<string, unknown> = {};
          top.meta[top.key] = meta;
          this.stack.push({ path, meta, key: '' });
          this.state = 'key';
          return i + 1;
        }
        return this.startCapture('meta', chunk, i);
      }
      case 'next':
        if (c === COMMA) {
          this.state = 'key';
          return i + 1;
        }
        if (c === RBRACE) return this.closeObject(i);
        return this.unexpected(chunk, i, '"," or "}"');
      case 'records':
        // commas between records are not checked: a missing one loses nothing
        if (c === COMMA) return i + 1;
        if (c === RBRACKET) {
          this.state = this.stack.length === 0 ? 'after' : 'next';
          return i + 1;
        }
        if (c === LBRACE && i >= this.batchFrom) {
          const next = this.batch(chunk, i);
          if (next !== -1) return next;
        }
        this.elements++;
        return this.startCapture('record', chunk, i);
      case 'after':
        return this.unexpected(chunk, i, 'nothing after the document');
    }
  }

  /**
   * Records from `i` (a record's first byte) read many at a time (json-batch.ts); returns
   * where to go on, or -1 when the exact scanner reads them, to the end of this chunk.
   */
  private batch(chunk: Buffer, i: number): number {
    const batch = readArrayBatch(chunk, i, Math.min(this.limit, BATCH_MAX_BYTES), this.lineAt(chunk, i));
    if (typeof batch === 'string') {
      this.batchFrom = chunk.length;
      // a record too long for a chunk (`none`) says nothing about the records after it
      if (batch !== 'none') this.batchPause = 2 ** Math.min(this.batchMisses++, BATCH_PAUSE_MAX_EXP);
      return -1;
    }
    this.batchMisses = 0;
    this.elements += batch.values.length;
    this.items.push(batch);
    this.line += batch.lineFeeds;
    this.mark = batch.end;
    return batch.end;
  }

  private startCapture(capture: Capture, chunk: Buffer, i: number): number {
    this.capture = capture;
    this.captureLine = this.lineAt(chunk, i);
    this.end_.start(chunk[i] as number);
    this.captureFrom = i;
    return i + 1;
  }

  private captured(text: string, size: number, oversized: boolean): void {
    const capture = this.capture;
    this.capture = undefined;
    const line = this.captureLine;
    if (capture === 'record') {
      const what = `element ${this.elements} of ${showPath(this.recordsPath ?? [])}`;
      this.items.push(oversized ? oversizedItem(text, size, line, what, this.limit) : parseRecord(text, line, what));
      return;
    }
    const top = this.stack[this.stack.length - 1] as Frame;
    if (oversized || (this.metaBytes += size) > this.limit) {
      this.stop('oversized_record', `the document's metadata passes ${this.limit} bytes at line ${line}`, line, text);
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.stop(
        'invalid_json',
        `the document is not valid JSON at line ${line}: ${(err as Error).message}`,
        line,
        text,
      );
      return;
    }
    if (capture === 'key') {
      top.key = value as string;
      this.state = 'colon';
    } else {
      top.meta[top.key] = value;
      this.state = 'next';
    }
  }

  private enterRecords(i: number, path: readonly string[]): number {
    this.recordsPath = path;
    this.state = 'records';
    return i + 1;
  }

  private closeObject(i: number): number {
    this.stack.pop();
    this.state = this.stack.length === 0 ? 'after' : 'next';
    return i + 1;
  }

  private isRecordsPath(path: readonly string[]): boolean {
    return this.paths.some((p) => p.length === path.length && p.every((k, j) => k === path[j]));
  }

  private leadsToRecords(path: readonly string[]): boolean {
    return this.paths.some((p) => p.length > path.length && path.every((k, j) => k === p[j]));
  }

  private unexpected(chunk: Buffer, i: number, expected: string): number {
    const line = this.lineAt(chunk, i);
    const got = chunk.toString('utf8', i, Math.min(chunk.length, i + 20));
    this.stop(
      'invalid_json',
      `the document is not valid JSON at line ${line}: expected ${expected}, found ${JSON.stringify(got)}`,
      line,
    );
    return chunk.length;
  }

  private lineAt(chunk: Buffer, i: number): number {
    this.line += countLineFeeds(chunk, this.mark, i);
    this.mark = i;
    return this.line;
  }

  private stop(reason: ReaderStop['reason'], message: string, line: number | null, raw: string | null = null): void {
    this.stopped = { reason, message, line, raw };
  }

  private take(): JsonItem[] {
    const out = this.items;
    this.items = [];
    return out;
  }
}

function showPath(path: readonly string[]): string {
  return path.length === 0 ? 'the top level' : `"${path.join('.')}"`;
}
