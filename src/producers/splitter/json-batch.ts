/**
 * The JSON-array reader's fast path: many records per native `JSON.parse` call instead
 * of a JavaScript scan over every byte (json-scan.ts) and a call per record.
 *
 * From a record's first byte, the batch runs to the last `}` in reach that `,` and `{`
 * follow, and `[` + batch + `]` is parsed whole. Success proves the batch is whole
 * records: a cut inside a string or inside a nested value leaves a string or an object
 * open, which the appended `]` cannot close. The records' own texts and lines are then
 * found by the separators `}` ws `,` ws `{`: every boundary between two objects is one,
 * so when there are exactly one fewer separators than parsed records, they are exactly
 * the boundaries (a string or a nested array holding `},{` adds one more). Anything else
 * — a bad record, a value that is not an object, a separator inside a record — is no
 * batch, and the exact scanner reads the span record by record (quarantining a bad record
 * with its own text and line as before).
 */
import { COMMA, isJsonSpace, LBRACE, RBRACE } from './json-scan.ts';
import type { JsonObject, JsonRecord } from './json-records.ts';

/**
 * The records of one batch, kept as the parsed array and numbers: record `k` is
 * `values[k]`, its text `text.slice(starts[k], ends[k])`, on line `lines[k]`. No text or
 * object per record is made on the way (they cost about as much as finding the
 * separators): a record's text is sliced only when something asks for it (`raw`), which
 * the split does only for a rejected record or reading.
 */
export class ArrayBatch {
  constructor(
    readonly values: readonly JsonObject[],
    /** The batch's text, from its first record's `{` to its last record's `}`. */
    readonly text: string,
    readonly starts: readonly number[],
    readonly ends: readonly number[],
    readonly lines: readonly number[],
    /** Index in the chunk just past the last record's `}`. */
    readonly end: number,
    /** Line feeds in the chunk from the batch's start to `end`. */
    readonly lineFeeds: number,
  ) {}

  /** Record `k`'s text. */
  raw(k: number): string {
    return this.text.slice(this.starts[k], this.ends[k]);
  }

  /** The records one by one with their texts, as the exact scanner gives them (tests; nothing on the hot path). */
  get records(): JsonRecord[] {
    return this.values.map((value, k) => ({ value, raw: this.raw(k), line: this.lines[k] as number }));
  }
}

/**
 * Why there is no batch: no `}` that `,` and `{` follow within reach (`none`), the batch is
 * not whole records or not all objects (`invalid`), or the records' boundaries cannot be
 * told from separators inside them (`ambiguous`).
 */
export type BatchMiss = 'none' | 'invalid' | 'ambiguous';

/** The `}` of the separator `nextSeparator` found last (its return value is the `{`). */
let separatorClose = -1;

/**
 * Index of the `{` that ends the first separator at or after `from` — `}`, white space,
 * `,`, white space, `{` — or -1 when there is none; its `}` is left in `separatorClose`.
 * (An `indexOf` per `}` costs less than a regex call per record.)
 */
function nextSeparator(text: string, from: number): number {
  for (let k = text.indexOf('}', from); k !== -1; k = text.indexOf('}', k + 1)) {
    let j = k + 1;
    while (isJsonSpace(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) !== COMMA) continue;
    j++;
    while (isJsonSpace(text.charCodeAt(j))) j++;
    if (text.charCodeAt(j) === LBRACE) {
      separatorClose = k;
      return j;
    }
  }
  return -1;
}

/**
 * The records of chunk[from, …) up to `maxBytes` (`chunk[from]` is `{`, a record's first
 * byte, outside any string), `line` being the line `from` is on; or why there are none.
 */
export function readArrayBatch(chunk: Buffer, from: number, maxBytes: number, line: number): ArrayBatch | BatchMiss {
  const end = lastRecordEnd(chunk, from, Math.min(chunk.length, from + maxBytes));
  if (end === -1) return 'none';
  const text = chunk.toString('utf8', from, end);
  let parsed: unknown;
  try {
    parsed = JSON.parse(`[${text}]`);
  } catch {
    return 'invalid';
  }
  const values = parsed as JsonObject[];
  const n = values.length;
  const starts = new Array<number>(n);
  const ends = new Array<number>(n);
  const lines = new Array<number>(n);
  let searchFrom = 0;
  const first = line;
  let start = 0;
  let nl = text.indexOf('\n');
  for (let k = 0; k < n; k++) {
    const value = values[k];
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'invalid';
    let stop = text.length;
    let next = -1;
    if (k < n - 1) {
      next = nextSeparator(text, searchFrom);
      if (next === -1) return 'invalid';
      searchFrom = next + 1;
      stop = separatorClose + 1;
    }
    while (nl !== -1 && nl < start) {
      line++;
      nl = text.indexOf('\n', nl + 1);
    }
    starts[k] = start;
    ends[k] = stop;
    lines[k] = line;
    start = next;
  }
  // one separator more than boundaries: some record holds one, so the texts above are not the records'
  if (nextSeparator(text, searchFrom) !== -1) return 'ambiguous';
  let lineFeeds = line - first;
  for (; nl !== -1; nl = text.indexOf('\n', nl + 1)) lineFeeds++;
  return new ArrayBatch(values, text, starts, ends, lines, end, lineFeeds);
}

/**
 * Index just past the last `}` in chunk[from, to) that white space, a comma, white space
 * and `{` follow (a record's end, unless the separator is inside a record); -1 when none.
 * A `}` before a comma alone is more often a nested object's end than a record's.
 */
function lastRecordEnd(chunk: Buffer, from: number, to: number): number {
  for (let k = chunk.lastIndexOf(RBRACE, to - 1); k > from; k = chunk.lastIndexOf(RBRACE, k - 1)) {
    let j = k + 1;
    while (j < to && isJsonSpace(chunk[j] as number)) j++;
    if (j >= to || chunk[j] !== COMMA) continue;
    j++;
    while (j < to && isJsonSpace(chunk[j] as number)) j++;
    if (j < to && chunk[j] === LBRACE) return k + 1;
  }
  return -1;
}
