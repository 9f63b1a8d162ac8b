/**
 * `npm run bench -- anomaly`: the anomaly projection end to end on the embedded stack.
 *
 * Detection quality: a generated file with labelled anomalies (`generate --anomalies`)
 * and its assets.csv are uploaded (registry under reference/assets/, readings under
 * raw/), the splitter, the local event source mapping and the anomaly consumer run
 * as `dubegrid up` runs them, and the incidents in the `alerts` table are scored
 * against the ground truth: per rule, precision (alerts matching a label) and recall
 * (labels with a matching alert that opened within their window). Target ≥ 0.95 each.
 *
 * Alert latency: then, on the same idle stack, `--trials` small files are uploaded one
 * after another, each ending in a reading that opens an incident at once (a dead phase:
 * loss of supply); the clock runs from the PutObject call to a webhook on 127.0.0.1
 * receiving the alert (the local SNS topic's HTTP POST). p50 and p95; target p95 < 2 s.
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLabels, scoreAlerts, type Score } from '../../src/consumers/anomaly/score.ts';
import { RULE_IDS } from '../../src/consumers/anomaly/rules/types.ts';
import { AlertStore } from '../../src/consumers/anomaly/store/alert-store.ts';
import { generateLabelled } from '../../src/generate/labelled.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { waitForConsumers } from '../../src/shared/kinesis/wait.ts';
import { anomalyService } from '../../src/local/services/anomaly.ts';
import { registryService, type RegistryService } from '../../src/local/services/registry.ts';
import { createSplitterService } from '../../src/local/services/splitter.ts';
import { snsService, type SnsService } from '../../src/local/sns/service.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { CONSUMERS } from '../../src/shared/consumers.ts';
import { manifestKeyOf, type Manifest } from '../../src/shared/manifest.ts';
import { PREFIXES } from '../../src/shared/resources.ts';
import { atLeast, atMost, round, type Benchmark, type BenchResult } from '../types.ts';

const TARGETS = { precision: 0.95, recall: 0.95, p95Seconds: 2 } as const;
const DEFAULTS = { substations: 4, days: 7, seed: 7, trials: 20 } as const;
/** The latency trials' asset: not in the registry, which loss of supply does not need. */
const LATENCY_SUBSTATION = 'LAT001';

export const anomalyBenchmark: Benchmark = {
  name: 'anomaly',
  description:
    'labelled anomalies → alerts: precision and recall per rule (target >= 0.95 each); PutObject → webhook alert latency (target p95 < 2 s)',
  flags: {
    substations: `substations of the labelled file (default ${DEFAULTS.substations})`,
    days: `days of the labelled file (default ${DEFAULTS.days}; one anomaly per substation per 12 h after the first)`,
    seed: `generator seed (default ${DEFAULTS.seed})`,
    trials: `latency trials (default ${DEFAULTS.trials})`,
  },
  async run(flags) {
    const substations = positive(flags.substations, DEFAULTS.substations);
    const days = positive(flags.days, DEFAULTS.days);
    const seed = positive(flags.seed, DEFAULTS.seed);
    const trials = positive(flags.trials, DEFAULTS.trials);
    const dir = await mkdtemp(join(tmpdir(), 'dubegrid-bench-anomaly-'));
    const hook = await webhook();
    await writeFile(
      join(dir, 'subscriptions.json'),
      JSON.stringify({ subscriptions: [{ name: 'bench', protocol: 'http', endpoint: hook.url }] }),
    );
    const stack = await startStack({ dataDir: dir, services: detectionServices() });
    try {
      const detection = await detect(stack, dir, { substations, days, seed });
      const latency = await measureLatency(stack, hook, trials);
      return [...qualityResults(detection.score, detection.figures), latencyResult(latency)];
    } finally {
      await stack.stop();
      await hook.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

/** The services `dubegrid up` runs that a labelled file goes through to become incidents. */
const detectionServices = () => [
  snsService,
  registryService,
  anomalyService,
  createSplitterService({ reconcile: false }),
];

/**
 * Detection quality alone, on a stack of its own: the labelled file's incidents scored
 * per rule. For other benchmarks that report one rule's figures (`lake-ops`'s stale_feed).
 */
export async function labelledDetection(size: { substations: number; days: number; seed: number }) {
  const dir = await mkdtemp(join(tmpdir(), 'dubegrid-bench-detection-'));
  const stack = await startStack({ dataDir: dir, services: detectionServices() });
  try {
    return await detect(stack, dir, size);
  } finally {
    await stack.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function detect(stack: EmbeddedStack, dir: string, size: { substations: number; days: number; seed: number }) {
  const generated = await generateLabelled({ out: join(dir, 'generated'), ...size });
  const { s3 } = stack.clients;
  const bucket = stack.clients.names.bucket;
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `${PREFIXES.referenceAssets}assets.csv`,
      Body: await readFile(generated.assets_file),
    }),
  );
  const registry = stack.service<RegistryService>('registry') as RegistryService;
  await until(async () => ((await registry.status?.()) as { files_loaded: number }).files_loaded >= 1, 60_000);
  const began = performance.now();
  let readings = 0;
  for (const [i, file] of generated.files.entries()) {
    const manifest = await upload(s3, bucket, `raw/bench/anomaly-${i}.csv`, await readFile(file.path));
    readings += manifest.events_emitted;
    await waitForConsumers(
      dataPaths(dir),
      [CONSUMERS.anomaly.name],
      { ...manifest.kinesis.shards },
      { timeoutMs: 30 * 60_000, pollMs: 20 },
    );
  }
  const seconds = (performance.now() - began) / 1000;
  const incidents = await new AlertStore(stack.clients.doc).incidents();
  const score = scoreAlerts(parseLabels(await readFile(generated.labels_file, 'utf8')), incidents);
  const figures: BenchResult['figures'] = {
    substations: size.substations,
    days: size.days,
    seed: size.seed,
    readings,
    labels: generated.anomalies,
    incidents: incidents.length,
    missed: score.missed.length,
    false_positives: score.false_positives.length,
    ingest_to_judged_s: round(seconds, 1),
    readings_per_s: Math.round(readings / seconds),
  };
  return { score, figures };
}

function qualityResults(score: Score, common: BenchResult['figures']): BenchResult[] {
  const per = (what: 'precision' | 'recall'): BenchResult['figures'] =>
    Object.fromEntries(
      RULE_IDS.map((r) => [
        `${r}_${what}`,
        `${round(score.rules[r][what])} (${what === 'precision' ? `${score.rules[r].matching_alerts}/${score.rules[r].alerts} alerts` : `${score.rules[r].found}/${score.rules[r].labels} labels`})`,
      ]),
    );
  const min = (what: 'precision' | 'recall'): number => Math.min(...RULE_IDS.map((r) => score.rules[r][what]));
  const missing = RULE_IDS.filter((r) => score.rules[r].labels === 0);
  const note: Record<string, string> = missing.length ? { rules_without_labels: missing.join(', ') } : {};
  return [
    atLeast('anomaly-precision (worst rule)', min('precision'), TARGETS.precision, {
      ...common,
      ...note,
      ...per('precision'),
    }),
    atLeast('anomaly-recall (worst rule)', missing.length ? 0 : min('recall'), TARGETS.recall, {
      ...note,
      ...per('recall'),
    }),
  ];
}

interface Latency {
  samplesMs: number[];
  timeouts: number;
}

async function measureLatency(stack: EmbeddedStack, hook: Hook, trials: number): Promise<Latency> {
  const { s3 } = stack.clients;
  const bucket = stack.clients.names.bucket;
  const samplesMs: number[] = [];
  let timeouts = 0;
  // Each trial continues the series: three normal readings (closing the previous
  // incident), then a dead phase that opens the next one.
  let t = Date.parse('2025-10-01T00:00:00.000Z');
  for (let trial = 0; trial < trials; trial++) {
    const lines = ['Substation Number,Substation Name,Timestamp,Attribute Type,Feeder ID,Description,Units,Value'];
    for (let k = 0; k < 4; k++) {
      lines.push(
        `${LATENCY_SUBSTATION},Latency Lane,${new Date(t).toISOString().slice(0, 19)}Z,feeder,01,L1 Voltage,V,${k === 3 ? '0.0' : (240 + k * 0.3).toFixed(1)}`,
      );
      t += 600_000;
    }
    const deadAt = new Date(t - 600_000).toISOString();
    const arrived = hook.waitFor(
      (n) => n.rule === 'loss_of_supply' && n.kind === 'open' && n.opened_at === deadAt,
      30_000,
    );
    const began = performance.now();
    await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: `raw/bench/latency-${trial}.csv`, Body: `${lines.join('\n')}\n` }),
    );
    const at = await arrived;
    if (at === undefined) timeouts++;
    else samplesMs.push(at - began);
  }
  await stack.service<SnsService>('sns')?.topic.flush();
  return { samplesMs, timeouts };
}

function latencyResult(l: Latency): BenchResult {
  const sorted = [...l.samplesMs].sort((a, b) => a - b);
  const q = (p: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.POSITIVE_INFINITY;
  const p95 = l.timeouts ? Number.POSITIVE_INFINITY : q(0.95);
  return atMost('anomaly-alert-latency p95 (s)', p95 / 1000, TARGETS.p95Seconds, {
    trials: l.samplesMs.length + l.timeouts,
    timeouts: l.timeouts,
    p50_ms: Math.round(q(0.5)),
    p95_ms: Math.round(p95),
    max_ms: Math.round(sorted[sorted.length - 1] ?? 0),
    path: 'PutObject → S3 event → splitter → Kinesis → local ESM → anomaly handler → outbox → local SNS → HTTP POST on 127.0.0.1',
    esm_batching_window_s: CONSUMERS.anomaly.maxBatchingWindowSeconds,
  });
}

interface Hook {
  readonly url: string;
  /** Resolves with the receipt time (performance.now()) of the first message matching, or undefined after the timeout. */
  waitFor(match: (body: Record<string, unknown>) => boolean, timeoutMs: number): Promise<number | undefined>;
  close(): Promise<void>;
}

async function webhook(): Promise<Hook> {
  const waiters: { match: (b: Record<string, unknown>) => boolean; resolve: (t: number | undefined) => void }[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const at = performance.now();
      res.writeHead(200).end();
      const body = JSON.parse((JSON.parse(text) as { Message: string }).Message) as Record<string, unknown>;
      for (const w of [...waiters]) {
        if (!w.match(body)) continue;
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(at);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`,
    waitFor(match, timeoutMs) {
      return new Promise((resolve) => {
        const w = { match, resolve };
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            resolve(undefined);
          }
        }, timeoutMs).unref();
      });
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function upload(s3: S3Client, bucket: string, key: string, body: Buffer): Promise<Manifest> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  let manifest: Manifest | undefined;
  await until(async () => {
    manifest = await s3
      .send(new GetObjectCommand({ Bucket: bucket, Key: manifestKeyOf(key) }))
      .then(async (o) => JSON.parse((await o.Body?.transformToString()) ?? '{}') as Manifest)
      .catch(() => undefined);
    return manifest !== undefined;
  }, 30 * 60_000);
  return manifest as Manifest;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('anomaly bench: timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

function positive(flag: string | boolean | undefined, fallback: number): number {
  if (flag === undefined || flag === true) return fallback;
  const n = Number(flag);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`expected a positive whole number, got ${String(flag)}`);
  return n;
}
