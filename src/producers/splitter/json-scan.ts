/**
 * Byte-level building blocks of the JSON readers: finding where one JSON value ends in
 * a stream of chunks, and collecting its bytes within a limit. General-purpose
 * streaming JSON parsers build every value token by token in JavaScript and are slow;
 * finding a record's end needs only strings, escapes and depth, after which
 * `JSON.parse` (native) reads the record on its own. Quotes, backslashes and brackets
 * are ASCII, and no byte of a multi-byte UTF-8 character is below 0x80, so scanning
 * bytes is exact whatever the text; characters split across chunks are decoded only
 * once their record is whole.
 */
import { QUARANTINE_RAW_MAX_CHARS } from '../../shared/quarantine.ts';

export const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
export const QUOTE = 0x22;
const BACKSLASH = 0x5c;
export const LBRACE = 0x7b;
export const RBRACE = 0x7d;
export const LBRACKET = 0x5b;
export const RBRACKET = 0x5d;
export const COMMA = 0x2c;
export const COLON = 0x3a;

export function isJsonSpace(c: number): boolean {
  return c === SPACE || c === LF || c === CR || c === TAB;
}

/** Line feeds in buf[start, end) (searched in the chunk's latin1 text: a string search costs less than a Buffer's). */
export function countLineFeeds(buf: Buffer, start: number, end: number): number {
  const text = latin1(buf);
  let n = 0;
  for (let i = text.indexOf('\n', start); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * Finds the end of one JSON value fed chunk by chunk: an object or array by its depth
 * (brackets inside strings do not count), a string by its closing quote (an escaped
 * quote does not close it, even with the backslash at the end of the previous chunk),
 * a number or literal by the delimiter after it. It does not check the value: a value
 * that is not JSON is found by `JSON.parse` afterwards, alone.
 */
export class ValueEnd {
  private depth = 0;
  private inString = false;
  private escapePending = false;
  private scalar = false;

  /** Starts a value whose first byte is `first` (not whitespace). */
  start(first: number): void {
    this.depth = 0;
    this.inString = false;
    this.escapePending = false;
    this.scalar = false;
    if (first === QUOTE) this.inString = true;
    else if (first === LBRACE || first === LBRACKET) this.depth = 1;
    else this.scalar = true;
  }

  /**
   * Scans buf from `i` (the byte after the value's first byte on the first call, where
   * the value went on otherwise); returns the index just past the value's end, or -1
   * when the value goes on past this chunk.
   */
  scan(buf: Buffer, i: number): number {
    const n = buf.length;
    if (this.scalar) {
      for (; i < n; i++) {
        const c = buf[i] as number;
        if (c === COMMA || c === RBRACE || c === RBRACKET || isJsonSpace(c)) return i;
      }
      return -1;
    }
    for (;;) {
      if (this.inString) {
        if (this.escapePending) {
          if (i >= n) return -1;
          i++;
          this.escapePending = false;
        }
        let q = buf.indexOf(QUOTE, i);
        while (q !== -1 && backslashesBefore(buf, q, i) % 2 === 1) q = buf.indexOf(QUOTE, q + 1);
        if (q === -1) {
          // the string goes on; a backslash ending the chunk escapes the next chunk's first byte
          this.escapePending = n > i && backslashesBefore(buf, n, i) % 2 === 1;
          return -1;
        }
        this.inString = false;
        i = q + 1;
        if (this.depth === 0) return i;
      }
      // Jump from one structural byte to the next: a regex over the chunk's latin1 text
      // (one character per byte) skips digits, letters and white space natively, several
      // times faster than a byte loop in JavaScript.
      const text = latin1(buf);
      STRUCTURAL.lastIndex = i;
      for (;;) {
        if (!STRUCTURAL.test(text)) return -1;
        const at = STRUCTURAL.lastIndex - 1;
        const c = text.charCodeAt(at);
        if (c === QUOTE) {
          this.inString = true;
          i = at + 1;
          break;
        }
        if (c === LBRACE || c === LBRACKET) this.depth++;
        else if (--this.depth === 0) return at + 1;
      }
    }
  }
}

const STRUCTURAL = /["{}[\]]/g;

let lastBuf: Buffer | undefined;
let lastText = '';

/** A chunk's bytes as latin1 text, one character per byte (the last chunk's is kept: a chunk holds many values). */
export function latin1(buf: Buffer): string {
  if (buf !== lastBuf) {
    lastBuf = buf;
    lastText = buf.toString('latin1');
  }
  return lastText;
}

/** Backslashes immediately before `at`, not looking before `from`. */
function backslashesBefore(buf: Buffer, at: number, from: number): number {
  let k = at - 1;
  while (k >= from && buf[k] === BACKSLASH) k--;
  return at - 1 - k;
}

/**
 * The bytes of one record, collected across chunks. Past `limit` bytes only the first
 * 64 KiB are kept (for the quarantine entry) and the rest is counted, not held, so an
 * over-long record costs no more memory than a short one.
 */
export class RecordBytes {
  private pieces: Buffer[] = [];
  private held = 0;
  /** Bytes of the record so far, kept or not. */
  bytes = 0;
  oversized = false;

  constructor(private readonly limit: number) {}

  add(buf: Buffer, start: number, end: number): void {
    if (end <= start) return;
    this.bytes += end - start;
    if (this.oversized) return;
    if (this.bytes <= this.limit) {
      this.pieces.push(buf.subarray(start, end));
      this.held += end - start;
      return;
    }
    this.oversized = true;
    const keep = QUARANTINE_RAW_MAX_CHARS - this.held;
    if (keep > 0) this.pieces.push(buf.subarray(start, Math.min(end, start + keep)));
    // a copy: a view would keep the whole concatenation alive
    this.pieces = [Buffer.from(Buffer.concat(this.pieces).subarray(0, QUARANTINE_RAW_MAX_CHARS))];
  }

  /** The record's text (its first 64 KiB when oversized); the collector is empty after. */
  take(): string {
    const pieces = this.pieces;
    const text =
      pieces.length === 0
        ? ''
        : pieces.length === 1
          ? (pieces[0] as Buffer).toString('utf8')
          : Buffer.concat(pieces).toString('utf8');
    this.pieces = [];
    this.held = 0;
    this.bytes = 0;
    this.oversized = false;
    return text;
  }
}

/** What a JSON text is, for a message. */
export function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
