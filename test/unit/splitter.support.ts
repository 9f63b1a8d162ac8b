/**
 * Runs the splitter core on text in memory and checks, for every run, what must hold
 * for every file: every emitted event is a valid contract-v1 event whose JSON is
 * exactly JSON.stringify of it, every aggregated record holds one partition key (the
 * events' substation), and the manifest's counts add up.
 */
import { gzipSync } from 'node:zlib';
import { expect } from 'vitest';
import { EVENT_FIELDS, EventIdDigest, validateReadingEvent, type ReadingEvent } from '../../src/shared/event.ts';
import { deaggregate, type AggregatedRecord } from '../../src/shared/kpl.ts';
import type { QuarantineEntry } from '../../src/shared/quarantine.ts';
import type { UnitRegistry } from '../../src/shared/units.ts';
import { splitBody, type SplitOptions, type SplitSummary } from '../../src/producers/splitter/core.ts';

export const SOURCE = {
  bucket: 'dubegrid-000000000000-eu-west-2',
  key: 'raw/prod/lv/y=2025/m=08/test.csv',
  etag: '0123456789abcdef0123456789abcdef',
};
export const INGESTED_AT = '2025-09-01T12:00:00.000Z';

export const LV_HEADER = 'Substation Number,Substation Name,Timestamp,Attribute Type,Feeder ID,Description,Units,Value';

export interface SplitRun {
  readonly summary: SplitSummary;
  readonly events: ReadingEvent[];
  readonly entries: QuarantineEntry[];
  readonly records: AggregatedRecord[];
}

export interface RunOptions extends Partial<Omit<SplitOptions, 'source' | 'ingestedAt'>> {
  /** Feed the body in chunks of this many bytes (chunk boundaries anywhere). @default whole */
  readonly chunkSize?: number;
  readonly gzip?: boolean;
  /** Units the events are validated against (a mapping's declared ones). @default BUILTIN_UNITS */
  readonly units?: UnitRegistry;
}

async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

export async function run(input: string | Buffer, options: RunOptions = {}): Promise<SplitRun> {
  let bytes = typeof input === 'string' ? Buffer.from(input) : input;
  if (options.gzip) bytes = gzipSync(bytes);
  const records: AggregatedRecord[] = [];
  const entries: QuarantineEntry[] = [];
  const summary = await splitBody(
    chunked(bytes, options.chunkSize ?? Math.max(1, bytes.length)),
    { source: SOURCE, ingestedAt: INGESTED_AT, ...options },
    { put: (r) => records.push(r), needsDrain: false, drain: async () => undefined },
    { add: (e) => entries.push(e), needsDrain: false, drain: async () => undefined },
  );
  const events: ReadingEvent[] = [];
  for (const record of records) {
    for (const user of deaggregate({ data: record.data, partitionKey: record.partitionKey, sequenceNumber: '1' })) {
      const json = user.data.toString('utf8');
      const event = JSON.parse(json) as ReadingEvent;
      const verdict = validateReadingEvent(event, options.units);
      expect(verdict.ok ? [] : verdict.errors.map((e) => e.message)).toEqual([]);
      expect(JSON.stringify(event)).toBe(json);
      expect(Object.keys(event)).toEqual([...EVENT_FIELDS]);
      expect(event.substation_id).toBe(record.partitionKey);
      expect(user.partitionKey).toBe(record.partitionKey);
      events.push(event);
    }
  }
  // what holds for every file
  expect(summary.rows_read).toBe(summary.rows_accepted + summary.rows_quarantined);
  expect(Object.values(summary.quarantine_reasons).reduce((a, b) => a + b, 0)).toBe(summary.rows_quarantined);
  expect(entries).toHaveLength(summary.quarantine_entries);
  expect(events).toHaveLength(summary.events_emitted);
  expect(records.reduce((n, r) => n + r.count, 0)).toBe(summary.events_emitted);
  const digest = new EventIdDigest();
  for (const e of events) digest.add(e.event_id);
  expect(digest.toString()).toBe(summary.event_id_digest);
  for (const e of entries) {
    expect(e).toMatchObject({
      v: 1,
      stage: 'splitter',
      source_bucket: SOURCE.bucket,
      source_key: SOURCE.key,
      source_etag: SOURCE.etag,
      quarantined_at: INGESTED_AT,
    });
  }
  return { summary, events, entries, records };
}

export function lv(...rows: string[]): string {
  return [LV_HEADER, ...rows].join('\n') + '\n';
}

/** The row's reason, by the line it starts on. */
export function reasonsByLine(entries: readonly QuarantineEntry[]): Record<number, string> {
  return Object.fromEntries(entries.filter((e) => e.line !== null).map((e) => [e.line, e.reason]));
}
