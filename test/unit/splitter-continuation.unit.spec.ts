/**
 * The continuation core of resumable splitting: a split paused at any row and resumed
 * from its continuation says what a one-shot split says (counts, reasons, digest, reading
 * times, quarantine entries) and hands the sinks every event once; the pure rules
 * (deadline, figures merged across parts, execution names) hold.
 */
import { describe, expect, it } from 'vitest';
import {
  splitBody,
  type QuarantineSink,
  type RecordSink,
  type SplitOptions,
  type SplitSummary,
} from '../../src/producers/splitter/core.ts';
import {
  deadlineOf,
  executionNameOf,
  mergeWriterFigures,
  type SplitProgress,
} from '../../src/producers/splitter/continuation.ts';
import { RESUME_SAFETY_MARGIN_MS } from '../../src/producers/splitter/limits.ts';
import type { WriterFigures } from '../../src/producers/splitter/kinesis-writer.ts';
import { deaggregate, type AggregatedRecord } from '../../src/shared/kpl.ts';
import type { QuarantineEntry } from '../../src/shared/quarantine.ts';

const HEADER = 'Substation Number,Substation Name,Timestamp,Attribute Type,Feeder ID,Description,Units,Value';

/** 60 rows over 3 substations; every 7th value is no number, every 11th row a wrong column count. */
function csv(): string {
  const rows = [HEADER];
  for (let i = 0; i < 60; i++) {
    const value = i % 7 === 3 ? 'abc' : String(230 + (i % 10));
    const ts = new Date(Date.UTC(2025, 7, 14, 0, i * 10)).toISOString();
    const row = `LV${i % 3},Name,${ts},feeder,0${i % 4},L1 Voltage,V,${value}`;
    rows.push(i % 11 === 5 ? `${row},extra` : row);
  }
  return `${rows.join('\n')}\n`;
}

class Sinks implements RecordSink, QuarantineSink {
  readonly events: { event_id: string; body: string }[] = [];
  readonly entries: QuarantineEntry[] = [];
  readonly needsDrain = false;
  put(record: AggregatedRecord): void {
    for (const u of deaggregate({ ...record, sequenceNumber: '1' })) {
      const body = u.data.toString('utf8');
      this.events.push({ event_id: (JSON.parse(body) as { event_id: string }).event_id, body });
    }
  }
  add(entry: QuarantineEntry): void {
    this.entries.push(entry);
  }
  drain(): Promise<void> {
    return Promise.resolve();
  }
}

/** The body in chunks of `size` bytes: a pause is asked for between chunks. */
async function* chunks(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const OPTIONS: SplitOptions = {
  source: { bucket: 'b', key: 'raw/prod/lv/y=2025/m=08/x.csv', etag: 'e' },
  ingestedAt: '2025-09-01T00:00:00.000Z',
};

function progressOf(s: SplitSummary): SplitProgress {
  const { format, mapping, rows_read, rows_accepted, rows_quarantined, quarantine_reasons } = s;
  return {
    format,
    mapping,
    rows_read,
    rows_accepted,
    rows_quarantined,
    quarantine_reasons,
    rows_without_readings: s.rows_without_readings,
    readings_quarantined: s.readings_quarantined,
    events_emitted: s.events_emitted,
    event_bytes: s.event_bytes,
    event_id_digest: s.event_id_digest,
    first_reading_ts: s.first_reading_ts,
    last_reading_ts: s.last_reading_ts,
    quarantine_entries: s.quarantine_entries,
  };
}

/** Splits `text` pausing after every `pauseEvery`-th chunk asked about; returns every part's summary. */
async function inParts(text: string, chunkBytes: number, pauseEvery: number, sinks: Sinks): Promise<SplitSummary[]> {
  const parts: SplitSummary[] = [];
  let resume: SplitProgress | undefined;
  for (;;) {
    let asked = 0;
    const s = await splitBody(
      chunks(text, chunkBytes),
      { ...OPTIONS, resume, shouldPause: () => ++asked % pauseEvery === 0 },
      sinks,
      sinks,
    );
    parts.push(s);
    if (!s.paused) return parts;
    resume = progressOf(s);
    if (parts.length > 1000) throw new Error('no end');
  }
}

describe('a split resumed from its continuation', () => {
  it.each([
    [128, 1],
    [64, 3],
    [333, 2],
    [7, 20],
  ])('with %i-byte chunks, pausing every %i chunk(s), equals a one-shot split', async (chunkBytes, every) => {
    const text = csv();
    const once = new Sinks();
    const whole = await splitBody(chunks(text, 4096), OPTIONS, once, once);
    expect(whole.paused).toBe(false);
    expect(whole.rows_quarantined).toBeGreaterThan(0);

    const parted = new Sinks();
    const parts = await inParts(text, chunkBytes, every, parted);
    expect(parts.length).toBeGreaterThan(2);
    const last = parts.at(-1) as SplitSummary;
    expect({ ...last, paused: false }).toEqual(whole);
    // every row counted by exactly one part: no event and no entry twice
    expect(parted.events).toHaveLength(whole.events_emitted);
    expect([...parted.events].sort((a, b) => a.event_id.localeCompare(b.event_id))).toEqual(
      [...once.events].sort((a, b) => a.event_id.localeCompare(b.event_id)),
    );
    expect(parted.entries).toEqual(once.entries);
  });

  it('moves on by at least one row in every part, however short the time', async () => {
    const sinks = new Sinks();
    const parts = await inParts(csv(), 64, 1, sinks);
    const rows = parts.map((p) => p.rows_read);
    rows.forEach((r, i) => expect(r).toBeGreaterThan(i === 0 ? 0 : (rows[i - 1] as number)));
  });
});

describe('the continuation rules', () => {
  it('stops with the safety margin left, or a quarter of a short budget', () => {
    let left = 900_000;
    const long = deadlineOf(() => left);
    left = RESUME_SAFETY_MARGIN_MS + 1;
    expect(long()).toBe(false);
    left = RESUME_SAFETY_MARGIN_MS - 1;
    expect(long()).toBe(true);
    left = 2_000;
    const short = deadlineOf(() => left);
    left = 501;
    expect(short()).toBe(false);
    left = 499;
    expect(short()).toBe(true);
  });

  it('sums the stream figures of two parts and keeps the highest sequence number per shard', () => {
    const figures = (n: number, shards: Record<string, string>): WriterFigures => ({
      stream: 's',
      records: n,
      user_records: 10 * n,
      payload_bytes: 100 * n,
      put_payload_units: 2 * n,
      billed_bytes_on_demand: 1024 * n,
      put_requests: n,
      retried_entries: n - 1,
      shards,
    });
    const merged = mergeWriterFigures(
      figures(2, { 'shardId-1': '900', 'shardId-0': '49590000000000000000000000000000000000000000000000000001' }),
      figures(3, { 'shardId-0': '49590000000000000000000000000000000000000000000000000010', 'shardId-2': '5' }),
    );
    expect(merged).toEqual({
      ...figures(5, {}),
      retried_entries: 3,
      shards: {
        'shardId-0': '49590000000000000000000000000000000000000000000000000010',
        'shardId-1': '900',
        'shardId-2': '5',
      },
    });
    expect(Object.keys(merged.shards)).toEqual(['shardId-0', 'shardId-1', 'shardId-2']);
  });

  it('names an execution by object version and notification only: a duplicate asks for the same name', () => {
    const source = {
      bucket: 'b',
      key: 'raw/a very long key/'.repeat(20),
      etag: 'e',
      sequencer: '0A1',
      size_bytes: 1,
      gzip: false,
    };
    const name = executionNameOf(source, 2);
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(executionNameOf({ ...source, size_bytes: 9 }, 2)).toBe(name);
    expect(executionNameOf({ ...source, sequencer: '0A2' }, 2)).not.toBe(name);
    expect(executionNameOf({ ...source, etag: 'f' }, 2)).not.toBe(name);
    expect(executionNameOf(source, 3)).not.toBe(name);
  });
});
