/**
 * Where a file lands in the raw zone: `raw/prod/lv/y=YYYY/m=MM/<name>`, the month of
 * the data's first reading — the first of the first rows that yields one (a bad first
 * row does not decide), read with the splitter's own format detection and mapping, so
 * the partition is the month the splitter will say that reading is in. A file none of
 * whose first rows yields a reading goes to `raw/prod/lv/undated/<name>`.
 */
import { createReadStream } from 'node:fs';
import { ASSETS_REQUIRED_COLUMNS } from '../../shared/assets-csv.ts';
import { LABEL_COLUMNS } from '../../shared/labels.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { decodeBody } from '../splitter/body.ts';
import { CsvRecordReader, type CsvItem } from '../splitter/csv.ts';
import { detectFormat, normaliseHeader } from '../splitter/formats.ts';
import type { RowMapper } from '../splitter/rows.ts';

export const UNDATED_PARTITION = 'undated/';
/** Data rows read for a first reading before the file is called undated: a few rejected rows at the top are common, a thousand are not. */
export const PARTITION_ROWS_SCANNED = 1_000;

/** The raw key of a file: under `prefix` when given, else partitioned by its first reading's month. */
export function rawKeyFor(name: string, firstTs: string | undefined, prefix?: string): string {
  if (prefix !== undefined) return `${prefix.endsWith('/') || prefix === '' ? prefix : `${prefix}/`}${name}`;
  if (firstTs === undefined) return `${PREFIXES.rawLv}${UNDATED_PARTITION}${name}`;
  return `${PREFIXES.rawLv}y=${firstTs.slice(0, 4)}/m=${firstTs.slice(5, 7)}/${name}`;
}

/**
 * What a CSV is, by its header: readings (a source format, or unknown: the splitter
 * quarantines those with the reason), an asset registry file (`dubegrid generate`'s
 * assets.csv, for the registry loader) or the generator's anomaly labels (ground
 * truth for the benchmarks, which no part of the pipeline reads).
 */
export type FileKind = 'readings' | 'assets' | 'labels';

export function fileKindOf(header: readonly string[]): FileKind {
  const names = normaliseHeader(header);
  if (ASSETS_REQUIRED_COLUMNS.every((c) => names.includes(c))) return 'assets';
  if (names.length === LABEL_COLUMNS.length && LABEL_COLUMNS.every((c, i) => names[i] === c)) return 'labels';
  return 'readings';
}

/** The canonical time of the file's first reading (see the module comment), or undefined. */
export async function firstReadingTime(path: string, sourceTimeZone?: string): Promise<string | undefined> {
  return (await inspectFile(path, sourceTimeZone)).firstTs;
}

/** A file's kind and, for readings, the time of its first reading. */
export async function inspectFile(
  path: string,
  sourceTimeZone?: string,
): Promise<{ kind: FileKind; firstTs?: string }> {
  const file = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    const body = await decodeBody(file);
    const reader = new CsvRecordReader();
    const state: ScanState = { done: false, rows: 0 };
    for await (const chunk of body.chunks) {
      firstRow(reader.write(chunk), state, sourceTimeZone);
      if (state.done || reader.oversized) break;
    }
    if (!state.done && !reader.oversized) firstRow(await reader.end().catch(() => []), state, sourceTimeZone);
    const kind = state.header === undefined ? 'readings' : fileKindOf(state.header);
    return state.ts === undefined ? { kind } : { kind, firstTs: state.ts };
  } catch {
    return { kind: 'readings' }; // unreadable here means unreadable for the splitter: it will say why
  } finally {
    file.destroy();
  }
}

interface ScanState {
  header?: string[];
  mapper?: RowMapper | undefined;
  ts?: string;
  done: boolean;
  rows: number;
}

function firstRow(items: CsvItem[], state: ScanState, zone: string | undefined): void {
  for (const item of items) {
    if (state.done) return;
    if ('skip' in item) continue;
    const fields = item.record;
    if (fields.length === 1 && (fields[0] as string).trim() === '') continue;
    if (state.header === undefined) {
      state.header = fields;
      state.mapper = detectFormat(fields, { sourceTimeZone: zone });
      if (!state.mapper) state.done = true;
      continue;
    }
    if (fields.length === state.mapper?.columnCount) {
      state.mapper.map(fields, (_site, _measure, _value, ts) => {
        state.ts ??= ts;
      });
    }
    state.done = state.ts !== undefined || ++state.rows >= PARTITION_ROWS_SCANNED;
  }
}
