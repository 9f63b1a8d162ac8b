/**
 * `npm run bench -- splitter [--rows N] [--reps R] [--large [--large-bytes B]]`
 *
 * 1. Throughput: the splitter core (parse + validate + encode + aggregate into a
 *    counting sink) against plain csv-parse (`columns: true`) iterating the same
 *    generated LV monitor file, alternated in one run; CPU time of each side (the
 *    machines are shared: CPU time is what the side costs, wall time is reported too).
 * 2. Billing per million readings, aggregated vs one record per reading: provisioned
 *    PUT payload units and on-demand billed bytes; plus the aggregate cap's trade-off
 *    (units, bytes, how long events wait in an open aggregate) for several caps.
 * 3. With --large: peak RSS of the process running the splitter (bundled, as the Lambda
 *    is) while it splits a ≥ 1 GB file uploaded to the embedded stack's S3.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'csv-parse';
import { generate } from '../../src/generate/index.ts';
import type { ServiceFactory } from '../../src/local/service.ts';
import { startStack } from '../../src/local/stack.ts';
import { uploadFile } from '../../src/producers/ingest/upload.ts';
import { waitForManifests } from '../../src/producers/ingest/wait.ts';
import { eventIdOf, validateReadingEvent } from '../../src/shared/event.ts';
import { deaggregate, KeyedAggregator, type AggregatedRecord } from '../../src/shared/kpl.ts';
import type { Manifest } from '../../src/shared/manifest.ts';
import {
  BillingTally,
  onDemandBilledBytes,
  putPayloadUnits,
  recordPayloadBytes,
} from '../../src/producers/splitter/billing.ts';
import { splitBody, type RecordSink } from '../../src/producers/splitter/core.ts';
import { AGGREGATE_MAX_UNITS, aggregatorMaxBytes } from '../../src/producers/splitter/limits.ts';
import { atLeast, atMost, round, type Benchmark, type BenchResult } from '../types.ts';

const SOURCE = { bucket: 'bench', key: 'raw/bench/lv.csv', etag: 'bench' };
/** Generated rows per substation per day (10-minute readings, ~2.6 feeders × 8 measures + 1). */
const ROWS_PER_SUBSTATION_DAY = 2_300;
const CAP_SWEEP_UNITS = [1, 2, 4, 10, 40] as const;
const RSS_TARGET_MB = 256;

export const splitterBenchmark: Benchmark = {
  name: 'splitter',
  description:
    'splitter core vs csv-parse throughput; Kinesis billing of KPL aggregation; with --large, peak RSS splitting ≥ 1 GB through the embedded stack',
  flags: {
    rows: 'rows of the generated LV monitor file (default 1000000)',
    reps: 'alternating runs of each side; the best of each counts (default 3)',
    large:
      'also split a generated ≥ 1 GB file through the embedded stack, the splitter in its own bundled process (kinesalite takes ~3–7 MiB/s of events: expect 30–60 minutes)',
    'large-bytes': 'size of the --large file in bytes (default 1100000000)',
  },
  async run(flags) {
    const rows = Number(flags.rows ?? 1_000_000);
    const reps = Number(flags.reps ?? 3);
    const dir = await mkdtemp(join(tmpdir(), 'dubegrid-bench-splitter-'));
    try {
      const file = await generatedFile(join(dir, 'gen'), rows);
      const speed = await throughput(file, reps);
      const results = [speed.result, ...(await billing(file, speed.cpuMsPerEvent))];
      if (flags.large) results.push(await largeRss(join(dir, 'large'), Number(flags['large-bytes'] ?? 1_100_000_000)));
      return results;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  },
};

interface GeneratedFile {
  readonly path: string;
  readonly rows: number;
  readonly bytes: number;
}

/** One month's LV monitor file of at least `rows` rows and `minBytes` bytes, from the generator. */
async function generatedFile(out: string, rows: number, minBytes = 0): Promise<GeneratedFile> {
  const days = 28;
  let substations = Math.max(1, Math.ceil(rows / (ROWS_PER_SUBSTATION_DAY * days)));
  for (;;) {
    process.stderr.write(`bench: generating ${substations} substations × ${days} days…\n`);
    const summary = await generate({ out, substations, days, start: '2025-02-01', seed: 7 });
    const f = summary.files[0];
    const bytes = f ? (await stat(f.path)).size : 0;
    if (f && f.rows >= rows && bytes >= minBytes) return { path: f.path, rows: f.rows, bytes };
    await rm(out, { recursive: true, force: true });
    substations = Math.ceil(substations * 1.1);
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
}

async function baselineRun(path: string): Promise<{ cpu: number; wall: number; rows: number }> {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  let n = 0;
  for await (const _row of createReadStream(path, { highWaterMark: 64 * 1024 }).pipe(parse({ columns: true }))) n++;
  return { cpu: cpuMs(cpu0), wall: performance.now() - wall0, rows: n };
}

class CountingSink implements RecordSink {
  readonly billing = new BillingTally();
  userRecords = 0;
  readonly needsDrain = false;
  put(record: AggregatedRecord): void {
    this.billing.add(record.data.length, record.partitionKey);
    this.userRecords += record.count;
  }
  async drain(): Promise<void> {}
}

const nullQuarantine = { add: () => undefined, needsDrain: false, drain: async () => undefined };

async function coreRun(
  path: string,
  sink: RecordSink = new CountingSink(),
): Promise<{ cpu: number; wall: number; rows: number; events: number; eventBytes: number }> {
  const wall0 = performance.now();
  const cpu0 = process.cpuUsage();
  const s = await splitBody(
    createReadStream(path, { highWaterMark: 64 * 1024 }),
    { source: SOURCE, ingestedAt: new Date().toISOString() },
    sink,
    nullQuarantine,
  );
  return {
    cpu: cpuMs(cpu0),
    wall: performance.now() - wall0,
    rows: s.rows_read,
    events: s.events_emitted,
    eventBytes: s.event_bytes,
  };
}

/** Each run in a fresh process, so neither side inherits the other's heap or JIT state. */
function inChild<T>(side: 'csv-parse' | 'splitter', path: string): Promise<T> {
  const child = fork(fileURLToPath(import.meta.url), [THROUGHPUT_FLAG, side, path], {
    execArgv: ['--import', TSX],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code) => (code === 0 ? undefined : reject(new Error(`the ${side} run exited ${code}`))));
  });
}

async function throughput(file: GeneratedFile, reps: number): Promise<{ result: BenchResult; cpuMsPerEvent: number }> {
  let base = { cpu: Infinity, wall: Infinity, rows: 0 };
  let core = { cpu: Infinity, wall: Infinity, rows: 0, events: 0, eventBytes: 0 };
  for (let i = 0; i < reps; i++) {
    process.stderr.write(`bench: throughput run ${i + 1}/${reps}…\n`);
    const b = await inChild<Awaited<ReturnType<typeof baselineRun>>>('csv-parse', file.path);
    const c = await inChild<Awaited<ReturnType<typeof coreRun>>>('splitter', file.path);
    base = { cpu: Math.min(base.cpu, b.cpu), wall: Math.min(base.wall, b.wall), rows: b.rows };
    core = { ...c, cpu: Math.min(core.cpu, c.cpu), wall: Math.min(core.wall, c.wall) };
  }
  if (base.rows !== core.rows) throw new Error(`csv-parse read ${base.rows} rows, the splitter ${core.rows}`);
  const perRowUs = (core.cpu * 1000) / core.rows;
  const costs = await hotPathCosts();
  const result = atLeast('splitter.throughput', base.cpu / core.cpu, 0.7, {
    rows: file.rows,
    file_mb: round(file.bytes / 1e6, 1),
    csv_parse_rows_per_s_cpu: Math.round(base.rows / (base.cpu / 1000)),
    splitter_rows_per_s_cpu: Math.round(core.rows / (core.cpu / 1000)),
    csv_parse_cpu_ms: Math.round(base.cpu),
    splitter_cpu_ms: Math.round(core.cpu),
    wall_ratio: round(base.wall / core.wall),
    splitter_rows_per_s_wall: Math.round(core.rows / (core.wall / 1000)),
    splitter_cpu_us_per_row: round(perRowUs, 2),
    event_id_us_per_event: round(costs.eventIdUs, 2),
    validate_us_per_event: round(costs.validateUs, 2),
    validate_share_if_on_hot_path: `${round((100 * costs.validateUs) / perRowUs, 1)}%`,
  });
  return { result, cpuMsPerEvent: core.cpu / core.events };
}

/** What the hot path would pay for `validateReadingEvent` per event (it does not call it), and what `eventIdOf` costs. */
async function hotPathCosts(): Promise<{ validateUs: number; eventIdUs: number }> {
  const n = 200_000;
  const sample = {
    v: 1,
    event_id: eventIdOf('LV100001:01', 'l1_current', '2025-02-01T00:00:00.000Z'),
    asset_id: 'LV100001:01',
    substation_id: 'LV100001',
    substation_name: 'Victoria Grove',
    feeder_id: '01',
    measurement: 'l1_current',
    phase: 'L1',
    unit: 'A',
    value: 40.1,
    ts: '2025-02-01T00:00:00.000Z',
    source_bucket: SOURCE.bucket,
    source_key: SOURCE.key,
    source_etag: SOURCE.etag,
    source_line: 2,
    ingested_at: '2025-02-01T00:00:00.000Z',
  };
  let cpu0 = process.cpuUsage();
  let ok = 0;
  for (let i = 0; i < n; i++) if (validateReadingEvent(sample).ok) ok++;
  const validateUs = (cpuMs(cpu0) * 1000) / n;
  cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) ok += eventIdOf('LV100001:01', 'l1_current', `2025-02-01T00:00:${i}`).length;
  const eventIdUs = (cpuMs(cpu0) * 1000) / n;
  if (ok === 0) throw new Error('unreachable');
  return { validateUs, eventIdUs };
}

/** Records the events' sizes and keys in file order, for the single-record comparison and the cap sweep. */
class EventLog implements RecordSink {
  readonly needsDrain = false;
  readonly sizes: Uint32Array;
  readonly keys: Uint32Array;
  readonly keyNames: string[] = [];
  private readonly keyIndex = new Map<string, number>();
  readonly aggregated = new BillingTally();
  constructor(capacity: number) {
    this.sizes = new Uint32Array(capacity);
    this.keys = new Uint32Array(capacity);
  }
  put(record: AggregatedRecord): void {
    this.aggregated.add(record.data.length, record.partitionKey);
    let k = this.keyIndex.get(record.partitionKey);
    if (k === undefined) {
      k = this.keyNames.push(record.partitionKey) - 1;
      this.keyIndex.set(record.partitionKey, k);
    }
    for (const u of deaggregate({ data: record.data, partitionKey: record.partitionKey, sequenceNumber: '0' })) {
      // one event per row in the long format: the row's line orders the events as they arrived
      const line = Number(/"source_line":(\d+)/.exec(u.data.toString('latin1'))?.[1]);
      this.sizes[line - 2] = u.data.length;
      this.keys[line - 2] = k;
    }
  }
  async drain(): Promise<void> {}
}

async function billing(file: GeneratedFile, cpuMsPerEvent: number): Promise<BenchResult[]> {
  process.stderr.write('bench: billing run…\n');
  const log = new EventLog(file.rows);
  const run = await coreRun(file.path, log);
  const n = run.events;
  let singleUnits = 0;
  let singleBilled = 0;
  for (let i = 0; i < n; i++) {
    const payload = recordPayloadBytes(log.sizes[i] as number, log.keyNames[log.keys[i] as number] as string);
    singleUnits += putPayloadUnits(payload);
    singleBilled += onDemandBilledBytes(payload);
  }
  const perMillion = (x: number): number => Math.round((x * 1e6) / n);
  const agg = log.aggregated;
  const sweep = capSweep(log, n, cpuMsPerEvent);
  return [
    atLeast('splitter.put_payload_units', singleUnits / agg.putPayloadUnits, 50, {
      readings: n,
      substations: log.keyNames.length,
      aggregate_cap_units: AGGREGATE_MAX_UNITS,
      single_record_units_per_million: perMillion(singleUnits),
      aggregated_units_per_million: perMillion(agg.putPayloadUnits),
      aggregated_records_per_million: perMillion(agg.records),
      ...sweep.units,
    }),
    atMost('splitter.on_demand_bytes', agg.billedBytesOnDemand / run.eventBytes, 1.05, {
      event_bytes_per_million: perMillion(run.eventBytes),
      single_record_billed_bytes_per_million: perMillion(singleBilled),
      aggregated_billed_bytes_per_million: perMillion(agg.billedBytesOnDemand),
      single_record_vs_event_bytes: round(singleBilled / run.eventBytes),
      saving_factor_vs_single_record: round(singleBilled / agg.billedBytesOnDemand, 2),
      ...sweep.bytes,
    }),
  ];
}

/**
 * The cap's trade-off on this file's real sequence of events: for each cap, the PUT
 * units and billed bytes per million readings, and how long an event waits in its
 * key's open aggregate before the aggregate is sent (at the measured core speed).
 */
function capSweep(
  log: EventLog,
  n: number,
  cpuMsPerEvent: number,
): { units: Record<string, number | string>; bytes: Record<string, number | string> } {
  let eventBytes = 0;
  for (let i = 0; i < n; i++) eventBytes += log.sizes[i] as number;
  const units: Record<string, number | string> = {};
  const bytes: Record<string, number | string> = {};
  const blanks = new Map<number, Buffer>();
  for (const capUnits of CAP_SWEEP_UNITS) {
    const agg = new KeyedAggregator(aggregatorMaxBytes(capUnits));
    const tally = new BillingTally();
    // per key: sum and count of the arrival indices of the events in its open aggregate, and the oldest
    const pendingSum = new Float64Array(log.keyNames.length);
    const pendingCount = new Float64Array(log.keyNames.length);
    const pendingFirst = new Float64Array(log.keyNames.length);
    let waitSum = 0;
    let waitMax = 0;
    const emitted = (record: AggregatedRecord, at: number, k: number): void => {
      tally.add(record.data.length, record.partitionKey);
      waitSum += (pendingCount[k] as number) * at - (pendingSum[k] as number);
      waitMax = Math.max(waitMax, at - (pendingFirst[k] as number));
      pendingSum[k] = 0;
      pendingCount[k] = 0;
    };
    for (let i = 0; i < n; i++) {
      const k = log.keys[i] as number;
      const size = log.sizes[i] as number;
      let blank = blanks.get(size);
      if (!blank) blanks.set(size, (blank = Buffer.alloc(size, 0x20)));
      for (const record of agg.add(log.keyNames[k] as string, blank)) emitted(record, i, k);
      if (pendingCount[k] === 0) pendingFirst[k] = i;
      pendingSum[k] = (pendingSum[k] as number) + i;
      pendingCount[k] = (pendingCount[k] as number) + 1;
    }
    const byKey = new Map(log.keyNames.map((name, k) => [name, k]));
    for (const record of agg.flush()) emitted(record, n, byKey.get(record.partitionKey) as number);
    const tag = `cap_${capUnits}u`;
    units[`${tag}_units_per_million`] = Math.round((tally.putPayloadUnits * 1e6) / n);
    units[`${tag}_mean_wait_ms`] = round((waitSum / n) * cpuMsPerEvent, 1);
    bytes[`${tag}_billed_vs_event_bytes`] = round(tally.billedBytesOnDemand / eventBytes, 4);
    bytes[`${tag}_max_wait_ms`] = round(waitMax * cpuMsPerEvent, 1);
  }
  return { units, bytes };
}

// ---------------------------------------------------------------------------
// --large: peak RSS of the process that runs the splitter

const THROUGHPUT_FLAG = '--splitter-throughput-run';
const TSX = createRequire(import.meta.url).resolve('tsx');
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/**
 * The splitter's process: the `splitter` service (the Lambda handler and the embedded
 * wiring) bundled with esbuild and run by plain node, as the Lambda is deployed, fed the
 * stack's S3 notifications over IPC. So its RSS is the splitter's, not that of the
 * TypeScript loader or of the other services' modules (DuckDB, …) a `dubegrid up`
 * process also holds.
 */
const HOST_SOURCE = `
import { createClients } from './shared/clients.ts';
import { dataPaths } from './local/data-dir.ts';
import { silentLog } from './local/service.ts';
import { createSplitterService } from './local/services/splitter.ts';
const [endpoints, dataDir] = [JSON.parse(process.argv[2]), process.argv[3]];
const clients = createClients({ target: 'local', endpoints });
const listeners = [];
const splitter = createSplitterService({ reconcile: false })({
  dataDir, paths: dataPaths(dataDir), clients, log: silentLog, service: () => undefined,
  onS3Event: (listener) => listeners.push(listener),
});
await splitter.start();
let sampled = 0;
setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 200).unref();
const atStart = process.memoryUsage.rss();
process.on('message', async (m) => {
  if (m.type === 'event') for (const l of listeners) l(m.event);
  if (m.type === 'report') {
    await splitter.waitIdle();
    process.send({ maxRssKb: process.resourceUsage().maxRSS, sampledPeakMb: sampled / 2 ** 20, startMb: atStart / 2 ** 20, status: await splitter.status() });
  }
  if (m.type === 'stop') { await splitter.stop(); clients.destroy(); process.exit(0); }
});
process.send({ type: 'ready' });
`;

async function bundleHost(dir: string): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = join(dir, 'splitter-host.mjs');
  await esbuild.build({
    stdin: { contents: HOST_SOURCE, resolveDir: SRC, sourcefile: 'splitter-host.ts', loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  return outfile;
}

interface HostReport {
  readonly maxRssKb: number;
  readonly sampledPeakMb: number;
  readonly startMb: number;
  readonly status: Record<string, number>;
}

async function largeRss(dir: string, minBytes: number): Promise<BenchResult> {
  const file = await generatedFile(join(dir, 'gen'), Math.ceil(minBytes / 75), minBytes);
  const hostFile = await bundleHost(dir);
  let host: ChildProcess | undefined;
  const forward: ServiceFactory = (ctx) => ({
    name: 'forward-to-splitter-host',
    start: async () => ctx.onS3Event((event) => host?.send({ type: 'event', event })),
    stop: async () => undefined,
  });
  const stack = await startStack({ dataDir: join(dir, 'data'), services: [forward] });
  try {
    // kpl.ts loads aws-kinesis-agg with a runtime require, which the bundle leaves to node_modules
    const env = { ...process.env, NODE_PATH: fileURLToPath(new URL('../../node_modules/', import.meta.url)) };
    host = fork(hostFile, [JSON.stringify(stack.endpoints), join(dir, 'data')], {
      execArgv: [],
      env,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const exited = new Promise<number | null>((resolve) => host?.once('exit', resolve));
    await Promise.race([
      new Promise<void>((resolve) => host?.once('message', () => resolve())),
      exited.then((code) => Promise.reject(new Error(`the splitter host exited (${code}) before it was ready`))),
    ]);
    process.stderr.write(
      `bench: splitting ${round(file.bytes / 1e9, 2)} GB (${file.rows} rows) through the embedded stack…\n`,
    );
    const t0 = performance.now();
    const uploaded = await uploadFile(
      stack.clients.s3,
      stack.clients.names.bucket,
      'raw/prod/lv/y=2025/m=02/large.csv',
      file.path,
      file.bytes,
    );
    const [m] = await waitForManifests(stack.clients.s3, stack.clients.names.bucket, [uploaded], {
      timeoutMs: 6 * 3_600_000,
    });
    const seconds = (performance.now() - t0) / 1000;
    const report = await new Promise<HostReport>((resolve) => {
      host?.once('message', (r) => resolve(r as HostReport));
      host?.send({ type: 'report' });
    });
    host.send({ type: 'stop' });
    await exited;
    const peakMb = report.maxRssKb / 1024;
    const manifest = m as Manifest;
    return atMost('splitter.peak_rss_mb', peakMb, RSS_TARGET_MB, {
      file_gb: round(file.bytes / 1e9, 3),
      rows: manifest.rows_read,
      events: manifest.events_emitted,
      kinesis_records: manifest.kinesis.records,
      split_seconds: round(manifest.duration_ms / 1000, 1),
      upload_and_split_seconds: round(seconds, 1),
      split_rows_per_s: Math.round(manifest.rows_read / (manifest.duration_ms / 1000)),
      splitter_process_rss_before_mb: round(report.startMb, 1),
      splitter_process_peak_rss_mb: round(peakMb, 1),
      splitter_process_sampled_peak_rss_mb: round(report.sampledPeakMb, 1),
    });
  } finally {
    host?.kill();
    await stack.stop();
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isEntry && process.argv[2] === THROUGHPUT_FLAG) {
  const path = process.argv[4] as string;
  process.send?.(process.argv[3] === 'csv-parse' ? await baselineRun(path) : await coreRun(path));
  process.disconnect?.();
}
