/**
 * `npm run bench -- e2e`: readings per second from ingest to both state tables durable
 * (the state consumer's checkpoint past every record written, which it saves only
 * after `readings` and `latest` are written), on the embedded stack, against the
 * ceiling of the same dynalite instance: BatchWriteItem of `readings` items of the
 * same shape with the consumer's concurrency (shards × writes in flight per shard).
 * The ceiling is measured before and after the pipeline run and averaged, so drift on
 * a shared machine hits both sides alike.
 *
 * Ingest is the real one by default: a generated LV monitor CSV is uploaded to raw/,
 * the splitter (in the pipeline process, as `dubegrid up` runs it) puts its events on
 * the stream, and the clock stops when the state checkpoint has passed every sequence
 * number its manifest lists. `--direct` skips the splitter: the benchmark puts
 * KPL-aggregated events on the stream itself (the consumer alone).
 *
 * `--layouts` also measures the alternative `readings` layout (a bucket item per series
 * and day, filled with conditional map updates) on the same instance; see
 * docs/adr/0003-one-item-per-reading.md for the decision.
 */
import { PutRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { BatchWriteCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readingItem } from '../../src/consumers/state/items.ts';
import { generate } from '../../src/generate/index.ts';
import { WRITE_CONCURRENCY } from '../../src/consumers/state/writer.ts';
import { chunks, inPool } from '../../src/shared/concurrency.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { compareSequenceNumbers } from '../../src/shared/kinesis/shard-reader.ts';
import { waitForConsumers } from '../../src/shared/kinesis/wait.ts';
import { createSplitterService } from '../../src/local/services/splitter.ts';
import { stateService } from '../../src/local/services/state.ts';
import { startStack } from '../../src/local/stack.ts';
import { CONSUMERS } from '../../src/shared/consumers.ts';
import { canonicalTs, eventIdOf, type ReadingEvent } from '../../src/shared/event.ts';
import { KeyedAggregator } from '../../src/shared/kpl.ts';
import { manifestKeyOf, type Manifest } from '../../src/shared/manifest.ts';
import { PREFIXES, STREAM, TABLES } from '../../src/shared/resources.ts';
import { atLeast, round, type Benchmark, type BenchResult } from '../types.ts';

const TARGET_RATIO = 0.5;
const DEFAULTS = { readings: 40_000, substations: 10, days: 2, aggregateKib: 1023 } as const;
const MEASUREMENTS = ['l1_voltage', 'l2_voltage', 'l3_voltage', 'l1_current', 'total_active_power'] as const;

export const e2eBenchmark: Benchmark = {
  name: 'e2e',
  description:
    'readings/s ingest → readings + latest durable, vs dynalite BatchWriteItem ceiling (same run), target ratio >= 0.5',
  flags: {
    substations: `substations of the generated file (default ${DEFAULTS.substations}; about 4,000 readings each per day)`,
    days: `days of the generated file (default ${DEFAULTS.days})`,
    direct: 'put events on the stream directly instead of ingesting a file through the splitter',
    readings: `with --direct: readings to put (default ${DEFAULTS.readings})`,
    'aggregate-kib': `with --direct: cap on one KPL aggregated record in KiB (default ${DEFAULTS.aggregateKib}, the splitter's)`,
    layouts: 'also measure the bucket-per-series-and-day layout of `readings` on the same instance',
  },
  async run(flags) {
    const direct = flags.direct === true;
    const dir = await mkdtemp(join(tmpdir(), 'dubegrid-bench-e2e-'));
    const stack = await startStack({
      dataDir: dir,
      services: direct ? [stateService] : [createSplitterService({ reconcile: false }), stateService],
    });
    try {
      const concurrency = STREAM.localShardCount * WRITE_CONCURRENCY;
      const ceilingItems = 20_000;
      const before = await ceiling(stack.clients.doc, events(ceilingItems, 40, 'CEIL-A', '2024-01-01'), concurrency);

      const run = direct
        ? await viaStream(
            stack.clients.kinesis,
            positive(flags.readings, DEFAULTS.readings),
            positive(flags['aggregate-kib'], DEFAULTS.aggregateKib) * 1024,
          )
        : await viaSplitter(
            stack.clients.s3,
            stack.clients.names.bucket,
            dir,
            positive(flags.substations, DEFAULTS.substations),
            positive(flags.days, DEFAULTS.days),
          );
      await waitForConsumers(dataPaths(dir), [CONSUMERS.state.name], run.targets, {
        timeoutMs: 30 * 60_000,
        pollMs: 20,
      });
      const e2eMs = performance.now() - run.began;

      const after = await ceiling(stack.clients.doc, events(ceilingItems, 40, 'CEIL-B', '2024-01-01'), concurrency);
      const ceilingPerS = (before + after) / 2;
      const e2ePerS = run.readings / (e2eMs / 1000);
      const figures: BenchResult['figures'] = {
        ingest: direct ? 'events put on the stream directly' : 'generated CSV uploaded to raw/, through the splitter',
        readings: run.readings,
        kinesis_records: run.records,
        shards: STREAM.localShardCount,
        batch_size: CONSUMERS.state.batchSize,
        e2e_ms: Math.round(e2eMs),
        ...(run.splitMs !== undefined ? { split_ms: Math.round(run.splitMs) } : {}),
        e2e_readings_per_s: Math.round(e2ePerS),
        ceiling_batchwrite_items_per_s: Math.round(ceilingPerS),
        ceiling_before_items_per_s: Math.round(before),
        ceiling_after_items_per_s: Math.round(after),
        ceiling_concurrency: concurrency,
      };
      if (flags.layouts) {
        figures.bucket_layout_readings_per_s = Math.round(
          await bucketLayout(stack.clients.doc, events(ceilingItems, 40, 'BUCKET', '2024-01-01'), concurrency),
        );
        figures.bucket_vs_item_layout = round(Number(figures.bucket_layout_readings_per_s) / ceilingPerS);
      }
      const status = (await stack.status())[CONSUMERS.state.name] ?? {};
      figures.invocations = Number(status.invocations ?? 0);
      return [atLeast('e2e', e2ePerS / ceilingPerS, TARGET_RATIO, figures)];
    } finally {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

interface Run {
  readonly began: number;
  readonly readings: number;
  readonly records: number;
  readonly targets: Record<string, string>;
  readonly splitMs?: number;
}

async function viaSplitter(s3: S3Client, bucket: string, dir: string, substations: number, days: number): Promise<Run> {
  const summary = await generate({ out: join(dir, 'generated'), substations, days, intervalMinutes: 10, seed: 11 });
  const file = summary.files[0];
  if (!file || summary.files.length > 1)
    throw new RangeError('the generated readings must fit one monthly file: use fewer --days');
  const body = await readFile(file.path);
  const key = `${PREFIXES.rawLv}y=2025/m=08/bench.csv`;
  const began = performance.now();
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  for (;;) {
    const manifest = await s3
      .send(new GetObjectCommand({ Bucket: bucket, Key: manifestKeyOf(key) }))
      .then(async (o) => JSON.parse(await (o.Body?.transformToString() ?? '{}')) as Manifest)
      .catch(() => undefined);
    if (manifest) {
      return {
        began,
        readings: manifest.events_emitted,
        records: manifest.kinesis.records,
        targets: { ...manifest.kinesis.shards },
        splitMs: performance.now() - began,
      };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function viaStream(kinesis: KinesisClient, n: number, aggregateBytes: number): Promise<Run> {
  const input = events(n, 40, 'SUB', '2025-08-01');
  const began = performance.now();
  const put = await putAggregated(kinesis, input, aggregateBytes);
  return { began, readings: n, records: put.records, targets: put.targets };
}

function positive(flag: string | boolean | undefined, fallback: number): number {
  if (flag === undefined || flag === true || flag === false) return fallback;
  const v = Number(flag);
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`expected a positive whole number, got ${flag}`);
  return v;
}

/** `n` readings: substations × 2 feeders × the measurements, every 10 minutes from `start`. */
function events(n: number, substations: number, prefix: string, start: string): ReadingEvent[] {
  const t0 = Date.parse(`${start}T00:00:00Z`);
  const ingestedAt = canonicalTs(Date.now());
  const out: ReadingEvent[] = [];
  const perStep = substations * 2 * MEASUREMENTS.length;
  for (let i = 0; i < n; i++) {
    const step = Math.floor(i / perStep);
    const within = i % perStep;
    const sub = `${prefix}${String(Math.floor(within / (2 * MEASUREMENTS.length))).padStart(4, '0')}`;
    const feeder = String((Math.floor(within / MEASUREMENTS.length) % 2) + 1).padStart(2, '0');
    const measurement = MEASUREMENTS[within % MEASUREMENTS.length] as string;
    const asset = `${sub}:${feeder}`;
    const ts = canonicalTs(t0 + step * 600_000);
    out.push({
      v: 1,
      event_id: eventIdOf(asset, measurement, ts),
      asset_id: asset,
      substation_id: sub,
      substation_name: `Substation ${sub}`,
      feeder_id: feeder,
      measurement,
      phase: measurement.startsWith('l') && measurement[1] !== 'o' ? (`L${measurement[1]}` as 'L1') : null,
      unit: measurement.endsWith('voltage') ? 'V' : measurement.endsWith('current') ? 'A' : 'kW',
      value: 230 + (i % 17) / 10,
      ts,
      source_bucket: 'dubegrid-000000000000-eu-west-2',
      source_key: `raw/prod/lv/y=2025/m=08/lv_data_2025_08.csv`,
      source_etag: '"5d41402abc4b2a76b9719d911017c592"',
      source_line: i + 2,
      ingested_at: ingestedAt,
    });
  }
  return out;
}

async function putAggregated(
  kinesis: KinesisClient,
  input: readonly ReadingEvent[],
  maxBytes: number,
): Promise<{ targets: Record<string, string>; records: number }> {
  const agg = new KeyedAggregator(maxBytes);
  const records: { partitionKey: string; data: Buffer }[] = [];
  for (const e of input) records.push(...agg.add(e.substation_id, Buffer.from(JSON.stringify(e))));
  records.push(...agg.flush());
  const targets: Record<string, string> = {};
  // PutRecords takes 5 MiB per call: send in small groups of these large records
  for (const group of chunks(records, 4)) {
    let pending = group;
    while (pending.length > 0) {
      const out = await kinesis.send(
        new PutRecordsCommand({
          StreamName: STREAM.streamName,
          Records: pending.map((r) => ({ PartitionKey: r.partitionKey, Data: r.data })),
        }),
      );
      const retry: typeof pending = [];
      (out.Records ?? []).forEach((r, i) => {
        if (r.ErrorCode || !r.ShardId || !r.SequenceNumber) retry.push(pending[i] as (typeof pending)[number]);
        else if (!targets[r.ShardId] || compareSequenceNumbers(r.SequenceNumber, targets[r.ShardId] as string) > 0)
          targets[r.ShardId] = r.SequenceNumber;
      });
      pending = retry;
    }
  }
  return { targets, records: records.length };
}

/** Items/s of BatchWriteItem with `readings` items of the consumer's shape and concurrency. */
async function ceiling(
  doc: DynamoDBDocumentClient,
  input: readonly ReadingEvent[],
  concurrency: number,
): Promise<number> {
  const began = performance.now();
  await inPool(chunks(input, 25), concurrency, async (chunk) => {
    let requests = chunk.map((e) => ({ PutRequest: { Item: readingItem(e) as unknown as Record<string, unknown> } }));
    while (requests.length > 0) {
      const res = await doc.send(new BatchWriteCommand({ RequestItems: { [TABLES.readings.tableName]: requests } }));
      requests = (res.UnprocessedItems?.[TABLES.readings.tableName] ?? []) as typeof requests;
    }
  });
  return input.length / ((performance.now() - began) / 1000);
}

/**
 * The rejected layout: one item per series and day (sk `<day>#<measurement>`), each
 * reading a map attribute named by its time, set by one UpdateItem per bucket whose
 * condition keeps a stored later emission (a flat OR per reading, ANDed).
 */
async function bucketLayout(
  doc: DynamoDBDocumentClient,
  input: readonly ReadingEvent[],
  concurrency: number,
): Promise<number> {
  const buckets = new Map<string, ReadingEvent[]>();
  for (const e of input) {
    const key = `${e.asset_id}|${e.ts.slice(0, 10)}#${e.measurement}`;
    const list = buckets.get(key) ?? [];
    list.push(e);
    buckets.set(key, list);
  }
  // A DynamoDB expression may not exceed 4 KB: a few dozen readings per update.
  const updates = [...buckets.entries()].flatMap(([key, list]) => chunks(list, 24).map((part) => [key, part] as const));
  const began = performance.now();
  await inPool(updates, concurrency, async ([key, part]) => {
    const [asset, sk] = key.split('|') as [string, string];
    const names: Record<string, string> = { '#ia': 'ingested_at' };
    const values: Record<string, unknown> = {};
    const sets: string[] = [];
    const conditions: string[] = [];
    part.forEach((e, i) => {
      names[`#r${i}`] = `r_${e.ts.slice(11, 23)}`;
      values[`:r${i}`] = {
        value: e.value,
        event_id: e.event_id,
        ingested_at: e.ingested_at,
        source_key: e.source_key,
        source_line: e.source_line,
        source_etag: e.source_etag,
      };
      values[`:e${i}`] = e.ingested_at;
      sets.push(`#r${i} = :r${i}`);
      conditions.push(`(attribute_not_exists(#r${i}) OR #r${i}.#ia <= :e${i})`);
    });
    await doc.send(
      new UpdateCommand({
        TableName: TABLES.readings.tableName,
        Key: { asset_id: asset, sk },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  });
  return input.length / ((performance.now() - began) / 1000);
}
