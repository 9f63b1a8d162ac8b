/**
 * The JSON half of `npm run bench -- sources [--json-only] [--json-shapes S] [--json-records N] [--reps R] [--large [--large-bytes B]]`:
 *
 * 1. Throughput of JSON Lines (seed 004's telemetry) and a JSON array (seed 003's energy
 *    records) through their built-in mappings, against a plain `JSON.parse` loop over the
 *    same records' texts, alternated in one run; CPU time of each side, best of R. Per
 *    shape, two results:
 *    - **the JSON source stage** (issue #15's target, ≥ 0.5 × JSON.parse): the reader
 *      (record ends found + `JSON.parse`) and the mapping up to each reading's fields
 *      (site, measure, value, time) — everything a JSON source costs that a CSV source
 *      does not. It stops where the event envelope begins.
 *    - **the whole core** (`splitBody` into counting sinks), held to the same number so
 *      that the gap stays in view: it adds the envelope every format pays per event alike
 *      (SHA-256 event id, the event's JSON text, KPL aggregation and its MD5), which
 *      `npm run bench -- splitter` measures on CSV. Its cost per event is reported
 *      (whole core − source stage); with two events of a 140-byte record against a
 *      0.4 µs `JSON.parse`, the envelope alone keeps this ratio far under 0.5.
 *    The reader alone is reported as a figure of the source stage.
 * 2. With --large: peak RSS of a child process splitting a generated ≥ 1 GB JSON Lines
 *    file and a ≥ 1 GB JSON-array file, streamed from /tmp (target ≤ 256 MB each).
 */
import { fork } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  splitBody,
  type QuarantineSink,
  type RecordSink,
  type SplitAccount,
} from '../../src/producers/splitter/core.ts';
import {
  ArrayBatch,
  JsonDocumentReader,
  NdjsonRecordReader,
  type JsonItem,
} from '../../src/producers/splitter/json-records.ts';
import { JsonRecordSplit, jsonReaderFor } from '../../src/producers/splitter/json-split.ts';
import { builtinMappingSet } from '../../src/producers/splitter/mapping/set.ts';
import type { EmitReading } from '../../src/producers/splitter/rows.ts';
import type { RawShape } from '../../src/shared/resources.ts';
import { atLeast, atMost, round, type BenchResult } from '../types.ts';

export const SOURCES_JSON_FLAGS = {
  'json-shapes': 'which JSON shapes to measure, comma-separated: ndjson, json (default both)',
  'json-records': 'records of each generated JSON file for the throughput ratio (default 200000)',
  reps: 'alternating runs of each side; the best of each counts (default 3)',
  large: 'also split a generated ≥ 1 GB JSON Lines file and a ≥ 1 GB JSON-array file in a child process (peak RSS)',
  'large-bytes': 'size of each --large file in bytes (default 1100000000)',
} as const;

const THROUGHPUT_TARGET = 0.5;
const RSS_TARGET_MB = 256;
const CHUNK_BYTES = 64 * 1024;

/** Seed 004's delivery shape: a vehicle, metadata and three signals with JSON-string bodies. */
export function telemetryRecord(i: number): string {
  const t = 1_755_183_600_000 + i * 1_000;
  const vehicle = `veh-${String(i % 997).padStart(4, '0')}`;
  const signal = (name: string, group: string, body: unknown) => ({
    name,
    code: `${group.toLowerCase()}-${name.toLowerCase()}`,
    group,
    body: JSON.stringify(body),
    meta: { retrievedAt: t, oemUpdatedAt: t },
  });
  return JSON.stringify({
    event_id: `evt-${i}`,
    recorded_at: new Date(t).toISOString().slice(0, 19).replace('T', ' '),
    record_type: 'ALL',
    smartcar_user_id: `user-${i % 997}`,
    car_timezone: 'Europe/London',
    meta: {
      mode: 'LIVE',
      deliveryId: `dlv-${i}`,
      webhookId: 'wh-1',
      signalCount: 3,
      version: '4.0',
      deliveredAt: t + 1500,
    },
    vehicle: { model: 'Model 3', id: vehicle, make: 'Tesla', year: 2023 },
    signals: [
      signal('IsCharging', 'Charge', { value: i % 3 === 0 }),
      signal('TraveledDistance', 'Odometer', { value: 10_000 + (i % 5000) * 1.25, unit: 'km' }),
      signal('PreciseLocation', 'Location', { latitude: 51.5014, longitude: -0.1419 }),
    ],
    triggers: [],
  });
}

/** Seed 003's record shape: one site's energy generated and consumed (kWh). */
export function energyRecord(i: number): string {
  const ts = new Date(Date.parse('2025-02-01T00:00:00Z') + Math.floor(i / 50) * 900_000).toISOString().slice(0, 19);
  return JSON.stringify(
    {
      site_id: `site-${String(i % 50).padStart(3, '0')}`,
      timestamp: ts,
      energy_generated_kwh: round((i % 400) * 1.25, 2),
      energy_consumed_kwh: round(((i * 7) % 500) * 0.75, 2),
    },
    null,
    4,
  );
}

/** The whole file's text, as the owners' systems write it. */
function fileOf(shape: 'json' | 'ndjson', records: readonly string[]): Buffer {
  return Buffer.from(shape === 'ndjson' ? `${records.join('\n')}\n` : `[\n${records.join(',\n')}\n]\n`);
}

async function* chunks(bytes: Buffer): AsyncGenerator<Buffer> {
  for (let i = 0; i < bytes.length; i += CHUNK_BYTES) yield bytes.subarray(i, i + CHUNK_BYTES);
}

const countingSinks = (): { records: RecordSink; quarantine: QuarantineSink } => ({
  records: { put: () => undefined, needsDrain: false, drain: async () => undefined },
  quarantine: { add: () => undefined, needsDrain: false, drain: async () => undefined },
});

function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

interface Side {
  cpu: number;
  records: number;
  events: number;
}

function parseLoop(texts: readonly string[]): Side {
  const cpu0 = process.cpuUsage();
  let n = 0;
  for (const t of texts) if ((JSON.parse(t) as object) !== null) n++;
  return { cpu: cpuMs(cpu0), records: n, events: 0 };
}

async function readerOnly(shape: 'json' | 'ndjson', bytes: Buffer): Promise<Side> {
  const cpu0 = process.cpuUsage();
  const reader = shape === 'ndjson' ? new NdjsonRecordReader() : new JsonDocumentReader();
  let n = 0;
  const count = (items: readonly JsonItem[]): number => {
    let k = 0;
    for (const item of items) k += item instanceof ArrayBatch ? item.values.length : 1;
    return k;
  };
  for await (const chunk of chunks(bytes)) n += count(reader.write(chunk));
  n += count(await reader.end());
  return { cpu: cpuMs(cpu0), records: n, events: 0 };
}

/**
 * The JSON source stage: the reader and the mapping up to each reading's fields, the
 * readings counted where the core would build their events (JsonRecordSplit over an
 * account that maps and counts).
 */
async function sourceStage(shape: 'json' | 'ndjson', bytes: Buffer): Promise<Side> {
  const mappings = builtinMappingSet().mappings ?? [];
  let records = 0;
  let readings = 0;
  const emit: EmitReading = (site, measure, value, ts) => {
    if (site.asset_id !== '' && measure.unit !== '' && ts !== '' && value === value) readings++;
  };
  const refuse = (r: { message: string }): never => {
    throw new Error(`the bench file has a record the mapping rejects: ${r.message}`);
  };
  const account: SplitAccount = {
    stopped: false,
    setMapping: () => undefined,
    mapped: (_line, _text, _start, _end, mapper, record) => {
      records++;
      const rejection = mapper.map(record, emit, refuse);
      if (rejection) refuse(rejection);
    },
    rejected: (_reason, _line, _raw, message) => refuse({ message }),
  };
  const cpu0 = process.cpuUsage();
  const reader = jsonReaderFor(shape, mappings);
  const split = new JsonRecordSplit(account, reader, mappings, `raw/bench/file.${shape}`);
  for await (const chunk of chunks(bytes)) split.process(reader.write(chunk));
  split.process(await reader.end());
  return { cpu: cpuMs(cpu0), records, events: readings };
}

async function core(shape: 'json' | 'ndjson', bytes: Buffer): Promise<Side> {
  const { records, quarantine } = countingSinks();
  const cpu0 = process.cpuUsage();
  const summary = await splitBody(
    chunks(bytes),
    {
      source: { bucket: 'bench', key: `raw/bench/file.${shape}`, etag: 'bench' },
      ingestedAt: '2025-09-01T00:00:00.000Z',
      shape,
      mappings: builtinMappingSet(),
    },
    records,
    quarantine,
  );
  if (summary.rows_quarantined > 0) throw new Error(`the bench file quarantined ${summary.rows_quarantined} records`);
  return { cpu: cpuMs(cpu0), records: summary.rows_read, events: summary.events_emitted };
}

async function throughput(shape: 'json' | 'ndjson', n: number, reps: number): Promise<BenchResult[]> {
  const make = shape === 'ndjson' ? telemetryRecord : energyRecord;
  const texts = Array.from({ length: n }, (_, i) => make(i));
  const bytes = fileOf(shape, texts);
  const load = loadavg()[0] ?? 0;
  const best = { parse: Infinity, reader: Infinity, stage: Infinity, core: Infinity };
  let events = 0;
  for (let r = 0; r < reps; r++) {
    best.parse = Math.min(best.parse, parseLoop(texts).cpu);
    best.reader = Math.min(best.reader, (await readerOnly(shape, bytes)).cpu);
    const s = await sourceStage(shape, bytes);
    best.stage = Math.min(best.stage, s.cpu);
    const c = await core(shape, bytes);
    if (c.events !== s.events || c.records !== n || s.records !== n)
      throw new Error(
        `the source stage read ${s.records} records (${s.events} readings), the core ${c.records} (${c.events})`,
      );
    events = c.events;
    best.core = Math.min(best.core, c.cpu);
  }
  const perS = (ms: number): number => Math.round((n / ms) * 1000);
  const label = shape === 'ndjson' ? 'NDJSON' : 'JSON array';
  const common = {
    records: n,
    events,
    file_bytes: bytes.length,
    'json_parse_records_per_s (cpu)': perS(best.parse),
    load_average_1m: round(load, 2),
  };
  const envelopeUs = ((best.core - best.stage) * 1000) / events;
  return [
    atLeast(`sources ${label} JSON source stage ÷ JSON.parse (issue #15)`, best.parse / best.stage, THROUGHPUT_TARGET, {
      ...common,
      'source_stage_records_per_s (cpu)': perS(best.stage),
      'reader_records_per_s (cpu)': perS(best.reader),
      reader_vs_json_parse: round(best.parse / best.reader),
      'mapping_us_per_record (cpu)': round(((best.stage - best.reader) * 1000) / n, 2),
    }),
    atLeast(
      `sources ${label} whole core ÷ JSON.parse (with the event envelope)`,
      best.parse / best.core,
      THROUGHPUT_TARGET,
      {
        ...common,
        'core_records_per_s (cpu)': perS(best.core),
        'envelope_us_per_event (cpu)': round(envelopeUs, 2),
        // what the ratio could be were the source stage free: the envelope's own bound
        envelope_only_bound: round(best.parse / (best.core - best.stage)),
      },
    ),
  ];
}

/** Writes ≥ `bytes` of records to `path`, streaming. */
async function writeLarge(path: string, shape: 'json' | 'ndjson', bytes: number): Promise<number> {
  const out = createWriteStream(path);
  const write = (text: string): Promise<void> | void => {
    if (!out.write(text)) return new Promise((resolve) => out.once('drain', () => resolve()));
  };
  const make = shape === 'ndjson' ? telemetryRecord : energyRecord;
  let written = 0;
  let i = 0;
  if (shape === 'json') await write('[\n');
  while (written < bytes) {
    const batch: string[] = [];
    for (let k = 0; k < 1000; k++, i++) batch.push(make(i));
    const text = shape === 'ndjson' ? `${batch.join('\n')}\n` : `${i > 1000 ? ',\n' : ''}${batch.join(',\n')}`;
    written += Buffer.byteLength(text);
    await write(text);
  }
  if (shape === 'json') await write('\n]\n');
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return i;
}

/** Peak RSS of a child process splitting the file (the core with counting sinks). */
function splitInChild(
  path: string,
  shape: RawShape,
): Promise<{ maxRssMb: number; records: number; events: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--split-child', path, shape], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (m) => resolve(m as { maxRssMb: number; records: number; events: number; seconds: number }));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the split child exited with ${code}`));
    });
  });
}

async function largeRss(shape: 'json' | 'ndjson', bytes: number): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'dubegrid-bench-json-'));
  try {
    const path = join(dir, `large.${shape}`);
    await writeLarge(path, shape, bytes);
    const size = (await stat(path)).size;
    const r = await splitInChild(path, shape);
    return atMost(`sources ${shape === 'ndjson' ? 'NDJSON' : 'JSON array'} peak RSS (MB)`, r.maxRssMb, RSS_TARGET_MB, {
      file_bytes: size,
      records: r.records,
      events: r.events,
      seconds: round(r.seconds, 1),
      max_rss_mb: round(r.maxRssMb, 1),
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function sourcesJsonResults(flags: Record<string, string | boolean | undefined>): Promise<BenchResult[]> {
  const n = Number(flags['json-records'] ?? 200_000);
  const reps = Number(flags.reps ?? 3);
  const shapes = String(flags['json-shapes'] ?? 'ndjson,json').split(',');
  const out: BenchResult[] = [];
  for (const shape of ['ndjson', 'json'] as const)
    if (shapes.includes(shape)) out.push(...(await throughput(shape, n, reps)));
  if (flags.large) {
    const bytes = Number(flags['large-bytes'] ?? 1_100_000_000);
    out.push(await largeRss('ndjson', bytes), await largeRss('json', bytes));
  }
  return out;
}

// The child of `splitInChild`: split a file from disk, report the peak RSS.
if (process.argv[2] === '--split-child') {
  const [path, shape] = process.argv.slice(3) as [string, 'json' | 'ndjson'];
  const { records, quarantine } = countingSinks();
  const t0 = performance.now();
  const summary = await splitBody(
    createReadStream(path, { highWaterMark: CHUNK_BYTES }),
    {
      source: { bucket: 'bench', key: `raw/bench/large.${shape}`, etag: 'bench' },
      ingestedAt: '2025-09-01T00:00:00.000Z',
      shape,
      mappings: builtinMappingSet(),
    },
    records,
    quarantine,
  );
  process.send?.({
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    records: summary.rows_read,
    events: summary.events_emitted,
    seconds: (performance.now() - t0) / 1000,
  });
}
