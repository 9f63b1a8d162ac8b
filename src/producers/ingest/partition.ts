/**
 * Where a file lands in the raw zone: `raw/prod/lv/y=YYYY/m=MM/<name>`, the month of
 * the data's first reading — the first of the first rows that yields one (a bad first
 * row does not decide), read with the splitter's own format detection and mapping, so
 * the partition is the month the splitter will say that reading is in. JSON and JSON
 * Lines files (by the suffix, as the splitter reads a raw key) go the same way: the
 * first records through the splitter's JSON reader and the mapping it would choose. A
 * file none of whose first rows yields a reading goes to `raw/prod/lv/undated/<name>`.
 */
import { createReadStream } from 'node:fs';
import { ASSETS_REQUIRED_COLUMNS } from '../../shared/assets-csv.ts';
import { LABEL_COLUMNS } from '../../shared/labels.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { rawShapeOf } from '../../shared/s3-keys.ts';
import { decodeBody } from '../splitter/body.ts';
import type { SplitAccount } from '../splitter/core.ts';
import { jsonReaderFor, JsonRecordSplit } from '../splitter/json-split.ts';
import { CsvRecordReader, type CsvItem } from '../splitter/csv.ts';
import { normaliseHeader } from '../splitter/formats.ts';
import type { CsvRowMapper } from '../splitter/mapping/compile.ts';
import { builtinMappingSet, type CsvMappers } from '../splitter/mapping/set.ts';

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

/** The mappings the splitter will choose from (built-in and stored), and the source named explicitly (`--source`). */
export interface PartitionMappings {
  readonly mappings?: CsvMappers | undefined;
  readonly source?: string | undefined;
}

/** A file's kind and, for readings, the time of its first reading. */
export async function inspectFile(
  path: string,
  sourceTimeZone?: string,
  choice: PartitionMappings = {},
): Promise<{ kind: FileKind; firstTs?: string }> {
  const file = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    const body = await decodeBody(file);
    const shape = rawShapeOf(path);
    if (shape === 'json' || shape === 'ndjson') {
      const firstTs = await firstJsonReading(body.chunks, shape, sourceTimeZone, choice);
      return firstTs === undefined ? { kind: 'readings' } : { kind: 'readings', firstTs };
    }
    const reader = new CsvRecordReader();
    const state: ScanState = { done: false, rows: 0, mappings: choice.mappings, source: choice.source };
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

/** The JSON side of `inspectFile`: the splitter's reader and mapping choice, the first reading's time kept. */
async function firstJsonReading(
  chunks: AsyncIterable<Buffer>,
  shape: 'json' | 'ndjson',
  zone: string | undefined,
  choice: PartitionMappings,
): Promise<string | undefined> {
  const mappings = (choice.mappings ?? builtinMappingSet(zone)).mappings ?? [];
  const reader = jsonReaderFor(shape, mappings);
  let ts: string | undefined;
  let records = 0;
  const scan: SplitAccount = {
    get stopped() {
      return ts !== undefined || records >= PARTITION_ROWS_SCANNED;
    },
    setMapping: () => undefined,
    mapped(_line, _text, _start, _end, mapper, record) {
      records++;
      mapper.map(
        record,
        (_site, _measure, _value, at) => void (ts ??= at),
        () => undefined,
      );
    },
    rejected: () => void records++,
  };
  const split = new JsonRecordSplit(scan, reader, mappings, '', choice.source);
  for await (const chunk of chunks) {
    split.process(reader.write(chunk));
    if (scan.stopped || reader.stopped) return ts;
  }
  split.process(await reader.end());
  return ts;
}

interface ScanState {
  /** The mappings the splitter will choose from, and the source named explicitly (`--source`). */
  mappings?: CsvMappers | undefined;
  source?: string | undefined;
  header?: string[];
  mapper?: CsvRowMapper | undefined;
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
      state.mapper = (state.mappings ?? builtinMappingSet(zone)).chooseCsv(fields, '', state.source).mapper;
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
