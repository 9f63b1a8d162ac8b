/**
 * `npm run bench -- lake`: the lake projection, three results measured in one run.
 *
 * 1. `lake-keeps-up`: the local Firehose's rows/s (read the stream, de-aggregate,
 *    convert, partition, Parquet, PutObject, checkpoint — `flush()` as the barrier) over
 *    the end-to-end ingest rate of the same readings (split the generated CSV with the
 *    splitter core, PutRecords, state consumer durable). Target ≥ 1: the lake keeps up.
 * 2. `lake-parquet-size`: bytes per row of the lake's objects against DuckDB's own
 *    `COPY … TO … (FORMAT parquet)` of the same rows grouped the same way (one file per
 *    day partition). Target ≤ 1.5. parquetjs-lite's bytes and rows/s on the same rows are
 *    reported too: the record of the writer decision.
 * 3. `lake-query-latency`: every named query over a month of generated substations
 *    (written through the same delivery core into s3rver), embedded target: the mirror's
 *    cold fetch and per-day deduplication, then each query's first and best-of-three
 *    time. Reported; the target
 *    (slowest warm query ≤ 10 s) only flags a pathology. `--query-substations=100` is
 *    the "month of 100 substations" (about 9 M readings; minutes to build).
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { paginateListObjectsV2 } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from '../../src/generate/index.ts';
import { LakeDelivery } from '../../src/lake/delivery.ts';
import { DuckDbParquetWriter } from '../../src/lake/parquet.ts';
import { s3Sink } from '../../src/lake/sink.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { compareSequenceNumbers } from '../../src/shared/kinesis/shard-reader.ts';
import { waitForConsumers } from '../../src/shared/kinesis/wait.ts';
import { createLocalFirehose } from '../../src/local/services/firehose.ts';
import { silentLog, type ServiceContext } from '../../src/local/service.ts';
import { stateService } from '../../src/local/services/state.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { runNamed } from '../../src/ops/query/named.ts';
import { openSqlEngine } from '../../src/ops/query/open.ts';
import { splitBody } from '../../src/producers/splitter/core.ts';
import { CONSUMERS } from '../../src/shared/consumers.ts';
import type { ReadingEvent } from '../../src/shared/event.ts';
import { partitionOf, partitionPrefix, READINGS_COLUMNS } from '../../src/shared/glue.ts';
import { deaggregate, type AggregatedRecord } from '../../src/shared/kpl.ts';
import { NAMED_QUERIES } from '../../src/shared/queries.ts';
import { PREFIXES } from '../../src/shared/resources.ts';
import { atLeast, atMost, round, type Benchmark, type BenchResult } from '../types.ts';

const DEFAULTS = { substations: 4, days: 2, querySubstations: 10, queryDays: 31 } as const;
export const START = '2025-08-01';
const TARGETS = { keepsUp: 1, sizeRatio: 1.5, slowestQueryS: 10 } as const;
// parquetjs-lite ships no typings: load it untyped and type the little used here.
interface ParquetJs {
  ParquetSchema: new (fields: Record<string, { type: string; optional: boolean; compression: string }>) => unknown;
  ParquetWriter: {
    openFile(schema: unknown, path: string): Promise<{ appendRow(row: object): Promise<void>; close(): Promise<void> }>;
  };
}
const parquet = createRequire(import.meta.url)('parquetjs-lite') as ParquetJs;

/** parquetjs-lite is slow: it writes at most this many of the rows. */
const PARQUETJS_ROWS = 30_000;

export const lakeBenchmark: Benchmark = {
  name: 'lake',
  description:
    'lake writer rows/s vs end-to-end ingest (>= 1); Parquet bytes/row vs DuckDB COPY (<= 1.5); named-query latency over a month',
  flags: {
    substations: `substations of the ingest comparison (default ${DEFAULTS.substations})`,
    days: `days of the ingest comparison (default ${DEFAULTS.days})`,
    'query-substations': `substations of the query month (default ${DEFAULTS.querySubstations}; the issue's figure: 100)`,
    'query-days': `days of the query dataset (default ${DEFAULTS.queryDays})`,
    'skip-query': 'leave out the query latency part',
  },
  async run(flags) {
    const dir = await mkdtemp(join(tmpdir(), 'dubegrid-bench-lake-'));
    try {
      const keeps = await keepsUpAndSize(
        dir,
        whole(flags.substations, DEFAULTS.substations),
        whole(flags.days, DEFAULTS.days),
      );
      if (flags['skip-query']) return keeps;
      return [
        ...keeps,
        await queryLatency(
          dir,
          whole(flags['query-substations'], DEFAULTS.querySubstations),
          whole(flags['query-days'], DEFAULTS.queryDays),
        ),
      ];
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** Generated CSVs → the splitter core → aggregated records (the stream's content). */
export async function splitGenerated(
  out: string,
  substations: number,
  days: number,
  onRecord: (r: AggregatedRecord) => void | Promise<void>,
) {
  const g = await generate({ out, substations, days, start: START });
  return splitFiles(
    g.files.map((f) => ({ path: f.path, key: `raw/prod/lv/${f.path.slice(out.length + 1)}` })),
    onRecord,
  );
}

/**
 * Splits files with the splitter core, as the splitter would objects of these keys,
 * handing each aggregated record to `onRecord` (its promises awaited when the core
 * drains); the readings emitted.
 */
export async function splitFiles(
  files: readonly { readonly path: string; readonly key: string }[],
  onRecord: (r: AggregatedRecord) => void | Promise<void>,
): Promise<number> {
  let readings = 0;
  for (const file of files) {
    const pending: Promise<void>[] = [];
    const summary = await splitBody(
      createReadStream(file.path),
      { source: { bucket: 'bench', key: file.key, etag: 'bench' }, ingestedAt: new Date().toISOString() },
      {
        put: (r) => {
          const p = onRecord(r);
          if (p) pending.push(p);
        },
        get needsDrain() {
          return pending.length > 0;
        },
        drain: async () => {
          await Promise.all(pending.splice(0));
        },
      },
      { add: () => undefined, needsDrain: false, drain: async () => undefined },
    );
    await Promise.all(pending);
    readings += summary.events_emitted;
  }
  return readings;
}

/**
 * End-to-end ingest of generated readings on the embedded stack (split with the
 * splitter core, PutRecords, state consumer durable): the pipeline rate the lake
 * benchmarks compare against. The stack's data dir is `<dir>/stack`; the stream keeps
 * the records for whoever reads it next.
 */
export async function ingestEndToEnd(
  dir: string,
  substations: number,
  days: number,
): Promise<{ readings: number; ingestMs: number; records: AggregatedRecord[] }> {
  const dataDir = join(dir, 'stack');
  const stack: EmbeddedStack = await startStack({ dataDir, services: [stateService] });
  const records: AggregatedRecord[] = [];
  try {
    const began = performance.now();
    const readings = await splitGenerated(join(dir, 'gen'), substations, days, (r) => void records.push(r));
    const targets = await putAll(stack.clients.kinesis, stack.clients.names.stream, records);
    await waitForConsumers(dataPaths(dataDir), [CONSUMERS.state.name], targets, { timeoutMs: 30 * 60_000, pollMs: 20 });
    return { readings, ingestMs: performance.now() - began, records };
  } finally {
    await stack.stop();
  }
}

async function keepsUpAndSize(dir: string, substations: number, days: number): Promise<BenchResult[]> {
  const dataDir = join(dir, 'stack');
  // 1a. end to end: split, put, state consumer durable
  const { readings, ingestMs, records } = await ingestEndToEnd(dir, substations, days);
  // 1b. the local Firehose over the same stream, alone on the stack
  const stack = await startStack({ dataDir, services: [] });
  let lakeMs: number;
  let lakeBytes = 0;
  let objects = 0;
  try {
    const ctx: ServiceContext = {
      dataDir,
      paths: dataPaths(dataDir),
      clients: stack.clients,
      onS3Event: () => undefined,
      log: silentLog,
      service: () => undefined,
    };
    const firehose = createLocalFirehose(ctx, { buffering: { sizeBytes: 64 * 1024 * 1024, intervalMs: 600_000 } });
    const began = performance.now();
    await firehose.start();
    await firehose.flush();
    lakeMs = performance.now() - began;
    await firehose.stop();
    for await (const page of paginateListObjectsV2(
      { client: stack.clients.s3 },
      { Bucket: stack.clients.names.bucket, Prefix: PREFIXES.processed },
    )) {
      for (const o of page.Contents ?? []) {
        lakeBytes += o.Size ?? 0;
        objects++;
      }
    }
  } finally {
    await stack.stop();
  }

  // 2. the same rows, grouped by day as the lake groups them, through the writers
  const events = records.flatMap((r) =>
    deaggregate({ data: r.data, partitionKey: r.partitionKey, sequenceNumber: '0' }).map(
      (u) => JSON.parse(u.data.toString()) as ReadingEvent,
    ),
  );
  const byDay = new Map<string, ReadingEvent[]>();
  for (const e of events) {
    const key = partitionPrefix(partitionOf(e.ts));
    const list = byDay.get(key);
    if (list) list.push(e);
    else byDay.set(key, [e]);
  }
  const copyBytes = await duckdbCopyBytes(join(dir, 'copy'), [...byDay.values()]);
  const writer = await DuckDbParquetWriter.open();
  let writerBytes = 0;
  const writerBegan = performance.now();
  for (const group of byDay.values()) writerBytes += (await writer.write(group)).length;
  const writerMs = performance.now() - writerBegan;
  await writer.close();
  const pq = await parquetjsFigures(join(dir, 'parquetjs'), events.slice(0, PARQUETJS_ROWS));

  const ingestPerS = readings / (ingestMs / 1000);
  const lakePerS = readings / (lakeMs / 1000);
  const lakeBytesPerRow = lakeBytes / readings;
  const copyBytesPerRow = copyBytes / readings;
  return [
    atLeast('lake-keeps-up', lakePerS / ingestPerS, TARGETS.keepsUp, {
      readings,
      kinesis_records: records.length,
      lake_rows_per_s: Math.round(lakePerS),
      ingest_e2e_readings_per_s: Math.round(ingestPerS),
      lake_ms: Math.round(lakeMs),
      ingest_ms: Math.round(ingestMs),
      writer_only_rows_per_s: Math.round(events.length / (writerMs / 1000)),
      parquetjs_lite_rows_per_s: pq.rowsPerS,
    }),
    atMost('lake-parquet-size', lakeBytesPerRow / copyBytesPerRow, TARGETS.sizeRatio, {
      rows: readings,
      lake_objects: objects,
      lake_bytes_per_row: round(lakeBytesPerRow, 2),
      duckdb_copy_default_bytes_per_row: round(copyBytesPerRow, 2),
      writer_bytes_per_row: round(writerBytes / events.length, 2),
      parquetjs_lite_gzip_bytes_per_row: pq.bytesPerRow,
      parquetjs_lite_rows_measured: pq.rows,
    }),
  ];
}

/** DuckDB's own `COPY (FORMAT parquet)`, defaults, of each group's rows (loaded from NDJSON). */
async function duckdbCopyBytes(dir: string, groups: readonly (readonly ReadingEvent[])[]): Promise<number> {
  await mkdir(dir, { recursive: true });
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const columns = READINGS_COLUMNS.map(
    (col) =>
      `${col.name}: '${{ int: 'INTEGER', bigint: 'BIGINT', double: 'DOUBLE', string: 'VARCHAR', timestamp: 'TIMESTAMP' }[col.type]}'`,
  ).join(', ');
  let bytes = 0;
  try {
    for (const [i, group] of groups.entries()) {
      const json = join(dir, `${i}.ndjson`);
      const out = join(dir, `${i}.parquet`);
      await writeFile(json, group.map((e) => JSON.stringify(e)).join('\n'));
      await c.run(
        `COPY (SELECT * FROM read_json('${json}', format = 'newline_delimited', columns = {${columns}})) TO '${out}' (FORMAT parquet)`,
      );
      bytes += (await stat(out)).size;
    }
  } finally {
    c.closeSync();
    db.closeSync();
  }
  return bytes;
}

/** parquetjs-lite on the same rows: TIMESTAMP_MILLIS, GZIP (its smallest), one file. */
async function parquetjsFigures(
  dir: string,
  rows: readonly ReadingEvent[],
): Promise<{ rowsPerS: number; bytesPerRow: number; rows: number }> {
  await mkdir(dir, { recursive: true });
  const types = {
    int: 'INT32',
    bigint: 'INT64',
    double: 'DOUBLE',
    string: 'UTF8',
    timestamp: 'TIMESTAMP_MILLIS',
  } as const;
  const schema = new parquet.ParquetSchema(
    Object.fromEntries(
      READINGS_COLUMNS.map((c) => [c.name, { type: types[c.type], optional: true, compression: 'GZIP' }]),
    ),
  );
  const file = join(dir, 'rows.parquet');
  const began = performance.now();
  const w = await parquet.ParquetWriter.openFile(schema, file);
  for (const e of rows) await w.appendRow({ ...e, ts: new Date(e.ts) });
  await w.close();
  const ms = performance.now() - began;
  return {
    rowsPerS: Math.round(rows.length / (ms / 1000)),
    bytesPerRow: round((await stat(file)).size / rows.length, 2),
    rows: rows.length,
  };
}

async function queryLatency(dir: string, substations: number, days: number): Promise<BenchResult> {
  const dataDir = join(dir, 'query-stack');
  const stack = await startStack({ dataDir, services: [] });
  try {
    const writer = await DuckDbParquetWriter.open({ threads: 2 });
    const delivery = new LakeDelivery({
      writer,
      sink: s3Sink(stack.clients.s3, stack.clients.names.bucket),
      buffering: { sizeBytes: 128 * 1024 * 1024, intervalMs: Number.MAX_SAFE_INTEGER },
    });
    let seq = 0;
    const buildBegan = performance.now();
    const readings = await splitGenerated(join(dir, 'query-gen'), substations, days, async (r) => {
      delivery.accept('bench', [
        { sequenceNumber: String(++seq), partitionKey: r.partitionKey, data: r.data, arrival: new Date() },
      ]);
      if (delivery.hasDue()) {
        const out = await delivery.flushDue();
        if (out.failures.length) throw out.failures[0];
      }
    });
    const last = await delivery.flushAll();
    if (last.failures.length) throw last.failures[0];
    await writer.close();
    const buildMs = performance.now() - buildBegan;
    const cacheDir = join(dataDir, 'cache');
    const openBegan = performance.now();
    const { engine, sync, dedupe } = await openSqlEngine(stack.clients, cacheDir);
    const openMs = performance.now() - openBegan;
    const figures: BenchResult['figures'] = {
      substations,
      days,
      readings,
      lake_objects: sync?.objects ?? 0,
      lake_mb: round((sync?.bytes_fetched ?? 0) / 1e6, 1),
      build_lake_s: round(buildMs / 1000, 1),
      mirror_fetch_dedupe_and_open_ms: Math.round(openMs),
      days_deduplicated: dedupe?.deduplicated ?? 0,
    };
    let slowest = 0;
    try {
      const params = { year: START.slice(0, 4), month: START.slice(5, 7), substation_id: 'LV100001', feeder_id: '01' };
      const first = await engine.run('SELECT substation_id FROM readings_delivered WHERE y = ? AND m = ? LIMIT 1', [
        params.year,
        params.month,
      ]);
      params.substation_id = String(first.rows[0]?.[0] ?? params.substation_id);
      for (const q of Object.values(NAMED_QUERIES)) {
        const values = Object.fromEntries(q.parameters.map((p) => [p.name, params[p.name as keyof typeof params]]));
        const times: number[] = [];
        let rows = 0;
        for (let i = 0; i < 3; i++) {
          const began = performance.now();
          rows = (await runNamed(engine, q.name, values)).rows.length;
          times.push(performance.now() - began);
        }
        const warm = Math.min(...times.slice(1));
        slowest = Math.max(slowest, warm);
        figures[`${q.name}_first_ms`] = Math.round(times[0] as number);
        figures[`${q.name}_warm_ms`] = Math.round(warm);
        figures[`${q.name}_rows`] = rows;
      }
    } finally {
      await engine.close();
    }
    return atMost('lake-query-latency', slowest / 1000, TARGETS.slowestQueryS, figures);
  } finally {
    await stack.stop();
  }
}

async function putAll(
  kinesis: KinesisClient,
  stream: string,
  records: readonly AggregatedRecord[],
): Promise<Record<string, string>> {
  const targets: Record<string, string> = {};
  // PutRecords takes 5 MiB per call: a few of these large records at a time
  for (let i = 0; i < records.length; i += 4) {
    let pending = records.slice(i, i + 4);
    while (pending.length) {
      const out = await kinesis.send(
        new PutRecordsCommand({
          StreamName: stream,
          Records: pending.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
        }),
      );
      const retry: AggregatedRecord[] = [];
      (out.Records ?? []).forEach((r, k) => {
        if (r.ErrorCode || !r.ShardId || !r.SequenceNumber) retry.push(pending[k] as AggregatedRecord);
        else if (!targets[r.ShardId] || compareSequenceNumbers(r.SequenceNumber, targets[r.ShardId] as string) > 0)
          targets[r.ShardId] = r.SequenceNumber;
      });
      pending = retry;
    }
  }
  return targets;
}

function whole(flag: string | boolean | undefined, fallback: number): number {
  if (flag === undefined || typeof flag === 'boolean') return fallback;
  const n = Number(flag);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`expected a positive whole number, got ${flag}`);
  return n;
}
