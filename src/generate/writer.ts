/**
 * Streaming output: one LV load monitor CSV per month under `y=YYYY/m=MM/`, written
 * in chunks through a write stream that is allowed to push back, so a year of a
 * hundred substations never sits in memory.
 */
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';

/** The header of the LV load monitor (long) format, as written. */
export const LV_MONITOR_COLUMNS = [
  'Substation Number',
  'Substation Name',
  'Timestamp',
  'Attribute Type',
  'Feeder ID',
  'Description',
  'Units',
  'Value',
] as const;

/** Hand chunks of about this many characters to the stream. */
const CHUNK_CHARS = 256 * 1024;

/** `y=2025/m=08/lv_data_2025_08.csv` for an instant in August 2025 (UTC). */
export function monthFilePath(ts: number): string {
  const d = new Date(ts);
  const y = String(d.getUTCFullYear());
  const m = String(d.getUTCMonth() + 1).padStart(2, '0');
  return join(`y=${y}`, `m=${m}`, `lv_data_${y}_${m}.csv`);
}

export interface WrittenFile {
  /** Absolute path. */
  readonly path: string;
  readonly rows: number;
}

/** One CSV being written: lines are buffered and handed over in chunks, waiting for 'drain'. */
export class CsvFile {
  private buffer = '';
  private failure: Error | undefined;
  rows = 0;

  private constructor(
    readonly path: string,
    private readonly stream: WriteStream,
  ) {
    stream.on('error', (err) => (this.failure ??= err));
  }

  static async open(path: string, header: string): Promise<CsvFile> {
    await mkdir(dirname(path), { recursive: true });
    const file = new CsvFile(path, createWriteStream(path, { highWaterMark: 1024 * 1024 }));
    file.buffer = header;
    return file;
  }

  /** Adds a row (with its newline). */
  add(line: string): void {
    this.buffer += line;
    this.rows++;
  }

  /** Hands the buffer over once it is big enough; waits while the stream is full. */
  async maybeFlush(): Promise<void> {
    if (this.buffer.length >= CHUNK_CHARS) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (this.buffer === '') return;
    const full = !this.stream.write(this.buffer);
    this.buffer = '';
    if (full) await once(this.stream, 'drain');
  }

  async close(): Promise<WrittenFile> {
    await this.flush();
    this.stream.end();
    await finished(this.stream);
    return { path: this.path, rows: this.rows };
  }

  abort(): void {
    this.stream.destroy();
  }
}

/** The month files of a run, opened as time reaches them; time only moves forward. */
export class MonthFiles {
  private current: CsvFile | undefined;
  private currentRel: string | undefined;
  private readonly done: WrittenFile[] = [];

  constructor(private readonly root: string) {}

  /** The file an instant's rows go into, closing the previous month's. */
  async fileFor(ts: number): Promise<CsvFile> {
    const rel = monthFilePath(ts);
    if (this.current && rel === this.currentRel) return this.current;
    if (this.current) this.done.push(await this.current.close());
    this.current = await CsvFile.open(join(this.root, rel), `${LV_MONITOR_COLUMNS.join(',')}\n`);
    this.currentRel = rel;
    return this.current;
  }

  async close(): Promise<WrittenFile[]> {
    if (this.current) this.done.push(await this.current.close());
    this.current = undefined;
    return [...this.done];
  }

  /** After a failure: lets go of the open file without waiting. */
  abort(): void {
    this.current?.abort();
    this.current = undefined;
  }
}
