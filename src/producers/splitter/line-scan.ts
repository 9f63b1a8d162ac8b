/**
 * A cheap pre-scan of record boundaries in front of a record parser, so that one
 * over-long line costs one quarantine entry instead of the rest of the object.
 *
 * Bytes in → pieces out, in order: `{ bytes }` to hand to the parser, and
 * `{ oversized }` for each record longer than `maxRecordBytes`. Such a record is
 * never held: its first `headBytes` are kept for the quarantine entry, the rest is
 * skipped up to its end, and in its place the parser gets its line endings only (blank
 * lines; CRLF where a lone LF would merge with the CR before it), so the parser's line
 * numbers stay those of the object. Lengths never count the line ending. A record is held
 * back only while it is incomplete and within the limit, so memory stays below
 * `maxRecordBytes` plus one chunk whatever the input.
 *
 * Boundaries are found with native `indexOf` jumps, never a byte loop: a chunk costs
 * one search per line ending and per quote. With `quoting: 'csv'` a quote opens a
 * quoted field only at a field's start (RFC 4180, as csv-parse reads it with
 * `relax_quotes`), `""` inside one is a quote, and line endings inside one belong to
 * the record; a record only ends outside quotes. With `quoting: 'none'` (NDJSON, where
 * a string cannot hold a raw line break) every line ending ends a record.
 *
 * Line numbers count as an editor does (LF, CRLF, or a lone CR each end one line),
 * the same rule as the CSV reader's. Known approximation: a quote right after a
 * byte-order mark is read as literal (csv-parse strips the mark first); that only
 * matters for a quoted first header field holding a line break.
 */

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const COMMA = 0x2c;
/** `lastByte` before any input: a record starts there. */
const START = -1;

export interface OversizedRecord {
  /** Line the record starts on (1-based). */
  readonly line: number;
  /** Lines it spans (1 for a single line). */
  readonly lines: number;
  /** Its length in bytes, without its line ending. */
  readonly bytes: number;
  /** Its first `headBytes` bytes. */
  readonly head: Buffer;
  /**
   * A quote opened in it was still open at the end of the object: the record is the
   * whole rest of the object (only with `quoting: 'csv'`).
   */
  readonly unclosedQuote: boolean;
}

export type ScanPiece = { readonly bytes: Buffer } | { readonly oversized: OversizedRecord };

export interface LineScanOptions {
  readonly maxRecordBytes: number;
  /** Bytes of an oversized record kept in its notice. */
  readonly headBytes: number;
  readonly quoting: 'csv' | 'none';
}

interface Skipping {
  readonly line: number;
  /** The byte before the record (the end of the previous one's line ending). */
  readonly before: number;
  bytes: number;
  head: Buffer[];
  headLength: number;
}

export class LineScanner {
  /** The line the scan position is on. */
  private line = 1;
  /** The current record's first line. */
  private recordLine = 1;
  private inQuote = false;
  /** The last byte seen was a quote inside a quoted field: `"` next is an escaped quote. */
  private quoteSeen = false;
  /** The previous chunk ended with a CR: an LF first in this one belongs to that line ending. */
  private pendingCR = false;
  /** This chunk starts with the LF of a CRLF whose CR ended the previous one. */
  private continuedCRLF = false;
  private lastByte = START;
  /** The byte before the current record. */
  private recordBefore = START;
  /** The incomplete record, carried over from earlier chunks (within the limit). */
  private held: Buffer[] = [];
  private heldBytes = 0;
  private skipping: Skipping | undefined;
  // next positions of each byte of interest in the chunk being scanned (cached: one search each per hit)
  private nextLF = -1;
  private nextCR = -1;
  private nextQuote = -1;

  constructor(private readonly options: LineScanOptions) {}

  write(chunk: Buffer): ScanPiece[] {
    const out: ScanPiece[] = [];
    const n = chunk.length;
    if (n === 0) return out;
    this.nextLF = this.nextCR = this.nextQuote = -1;
    let i = 0;
    let recordStart = 0; // where the current record's bytes in this chunk begin
    let emitFrom = 0; // bytes before this are handed out (or skipped)
    // the rest of a CRLF split over two chunks: no new line; outside quotes it ends the
    // previous record (handed out before this one), inside them it is the field's
    this.continuedCRLF = this.pendingCR && chunk[0] === LF;
    if (this.continuedCRLF && !this.inQuote) i = recordStart = 1;
    this.pendingCR = chunk[n - 1] === CR;
    while (i < n) {
      const end = this.recordEnd(chunk, i);
      const stop = end === -1 ? n : end;
      if (this.skipping) {
        this.keepHead(chunk.subarray(i, stop));
        this.skipping.bytes += stop - i;
        if (end === -1) break;
        out.push(...this.endSkip(chunk, end));
        i = emitFrom = recordStart = end;
        this.recordLine = this.line;
        this.recordBefore = chunk[end - 1] as number;
        continue;
      }
      const ending = end === -1 ? 0 : endingLength(chunk, end);
      if (this.heldBytes + (stop - ending - recordStart) > this.options.maxRecordBytes) {
        if (recordStart > emitFrom) out.push({ bytes: chunk.subarray(emitFrom, recordStart) });
        this.skipping = { line: this.recordLine, before: this.recordBefore, bytes: 0, head: [], headLength: 0 };
        for (const h of this.held) this.keepHead(h);
        this.keepHead(chunk.subarray(recordStart, stop));
        this.skipping.bytes = this.heldBytes + (stop - recordStart);
        this.held = [];
        this.heldBytes = 0;
        emitFrom = stop;
        if (end === -1) break;
        out.push(...this.endSkip(chunk, end));
        i = recordStart = end;
        this.recordLine = this.line;
        this.recordBefore = chunk[end - 1] as number;
        continue;
      }
      if (end === -1) break;
      if (this.heldBytes > 0) {
        out.push(...this.held.map((bytes) => ({ bytes })));
        this.held = [];
        this.heldBytes = 0;
      }
      i = recordStart = end;
      this.recordLine = this.line;
      this.recordBefore = chunk[end - 1] as number;
    }
    if (!this.skipping) {
      if (recordStart > emitFrom) out.push({ bytes: chunk.subarray(emitFrom, recordStart) });
      if (recordStart < n) {
        this.held.push(chunk.subarray(recordStart));
        this.heldBytes += n - recordStart;
      }
    }
    this.lastByte = chunk[n - 1] as number;
    return out;
  }

  /** The end of the input: the last record (with no line ending), or the last oversized notice. */
  end(): ScanPiece[] {
    const skipping = this.skipping;
    if (skipping) {
      this.skipping = undefined;
      return [{ oversized: this.notice(skipping, this.inQuote, false) }];
    }
    const out = this.held.map((bytes) => ({ bytes }));
    this.held = [];
    this.heldBytes = 0;
    return out;
  }

  /** Ends a skipped record at its line ending (just before `end`): its notice, then its line endings for the parser. */
  private endSkip(chunk: Buffer, end: number): ScanPiece[] {
    const skipping = this.skipping as Skipping;
    this.skipping = undefined;
    const length = endingLength(chunk, end);
    skipping.bytes -= length;
    const notice = this.notice(skipping, false, true);
    const ending =
      length === 2 || (chunk[end - 1] === LF && skipping.before === CR) ? '\r\n' : chunk[end - 1] === CR ? '\r' : '\n';
    return [{ oversized: notice }, { bytes: Buffer.from(ending.repeat(notice.lines)) }];
  }

  private notice(s: Skipping, unclosedQuote: boolean, ended: boolean): OversizedRecord {
    return {
      line: s.line,
      // a record cut by the end of the object has one more line than line endings
      lines: this.line - s.line + (ended ? 0 : 1),
      bytes: s.bytes,
      head: Buffer.concat(s.head, s.headLength),
      unclosedQuote,
    };
  }

  private keepHead(bytes: Buffer): void {
    const s = this.skipping as Skipping;
    const room = this.options.headBytes - s.headLength;
    if (room <= 0 || bytes.length === 0) return;
    const part = Buffer.from(bytes.subarray(0, room)); // a copy: the chunk itself is not kept alive
    s.head.push(part);
    s.headLength += part.length;
  }

  /**
   * Scans from `from` to the end of the current record; returns the index just past
   * its line ending, or -1 when the chunk ends first. Moves the line count and the
   * quote state along.
   */
  private recordEnd(buf: Buffer, from: number): number {
    const n = buf.length;
    let i = from;
    while (i < n) {
      if (this.quoteSeen) {
        this.quoteSeen = false;
        if (buf[i] === QUOTE) {
          this.inQuote = true; // `""`: an escaped quote, the field stays quoted
          i++;
          continue;
        }
      }
      if (this.inQuote) {
        const q = this.find(buf, i, 'nextQuote', QUOTE);
        const stop = q === -1 ? n : q;
        this.countLines(buf, i, stop);
        if (q === -1) return -1;
        this.inQuote = false;
        this.quoteSeen = true;
        i = q + 1;
        continue;
      }
      const lf = this.find(buf, i, 'nextLF', LF);
      const cr = this.find(buf, i, 'nextCR', CR);
      const eol = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      const q = this.options.quoting === 'csv' ? this.find(buf, i, 'nextQuote', QUOTE) : -1;
      if (q !== -1 && (eol === -1 || q < eol)) {
        const before = q > 0 ? buf[q - 1] : this.lastByte;
        if (before === COMMA || before === LF || before === CR || before === START) this.inQuote = true;
        i = q + 1;
        continue;
      }
      if (eol === -1) return -1;
      this.line++;
      return buf[eol] === CR && buf[eol + 1] === LF ? eol + 2 : eol + 1;
    }
    return -1;
  }

  /** Counts line endings in `buf[from, to)` (inside a quoted field). */
  private countLines(buf: Buffer, from: number, to: number): void {
    for (let i = this.find(buf, from, 'nextLF', LF); i !== -1 && i < to; i = this.find(buf, i + 1, 'nextLF', LF)) {
      if (i > 0 || !this.continuedCRLF) this.line++;
    }
    for (let i = this.find(buf, from, 'nextCR', CR); i !== -1 && i < to; i = this.find(buf, i + 1, 'nextCR', CR)) {
      if (buf[i + 1] !== LF) this.line++;
    }
  }

  /** The next position of `byte` at or after `from`, searching again only once the cached one is passed. */
  private find(buf: Buffer, from: number, slot: 'nextLF' | 'nextCR' | 'nextQuote', byte: number): number {
    const cached = this[slot];
    if (cached === buf.length) return -1;
    if (cached >= from) return cached;
    const found = buf.indexOf(byte, from);
    this[slot] = found === -1 ? buf.length : found;
    return found;
  }
}

/** Bytes of the line ending that ends just before `end` (CRLF, or a lone LF or CR). */
function endingLength(chunk: Buffer, end: number): number {
  return chunk[end - 1] === LF && end >= 2 && chunk[end - 2] === CR ? 2 : 1;
}
