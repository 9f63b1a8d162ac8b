/**
 * `npm run bench -- replay`: replay throughput, readings per second per projection, on a
 * generated week (4 substations × 7 days at 10 minutes, with labelled anomalies by
 * default) — against the rate at which the same pipeline ingested it, measured in the
 * same run: a generated file uploaded to raw/, split, and every projection caught up
 * (consumers' checkpoints past the manifest's sequence numbers, the lake flushed).
 *
 * A replay that is at least as fast as live ingest can rebuild any projection in less
 * time than the data took to arrive. Each projection is replayed alone over the whole
 * stream, then all three together; with `--rebuild`, the state and anomaly projections
 * are also emptied and rebuilt from the stream (every write and every rule evaluation
 * made again, rather than recognised as done).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateLabelled } from '../../src/generate/labelled.ts';
import { PIPELINE_SERVICES } from '../../src/local/pipeline.ts';
import { startStack } from '../../src/local/stack.ts';
import { catchUpProjections, shardTargetsOf } from '../../src/ops/replay/catch-up.ts';
import { opsEnvironment, PROJECTIONS, type ProjectionName } from '../../src/ops/replay/environment.ts';
import { rebuild } from '../../src/ops/replay/rebuild.ts';
import { replay } from '../../src/ops/replay/replay.ts';
import { manifestKeyOf, type Manifest } from '../../src/shared/manifest.ts';
import { PREFIXES } from '../../src/shared/resources.ts';
import { atLeast, round, type Benchmark, type BenchResult } from '../types.ts';

const DEFAULTS = { substations: 4, days: 7 } as const;
const TARGET_RATIO = 1;

export const replayBenchmark: Benchmark = {
  name: 'replay',
  description:
    'replay readings/s per projection (state, anomaly, lake, all) on a generated week vs the live ingest rate of the same run, target ratio >= 1',
  flags: {
    substations: `substations of the generated data (default ${DEFAULTS.substations})`,
    days: `days of the generated data (default ${DEFAULTS.days})`,
    rebuild:
      'also time `rebuild --projection state` and `--projection anomaly` from the stream (into emptied tables: every write made again)',
  },
  async run(flags) {
    const substations = positive(flags.substations, DEFAULTS.substations);
    const days = positive(flags.days, DEFAULTS.days);
    const dir = await mkdtemp(join(tmpdir(), 'dubegrid-bench-replay-'));
    const stack = await startStack({ dataDir: dir, services: PIPELINE_SERVICES });
    try {
      const generated = await generateLabelled({ out: join(dir, 'generated'), substations, days, seed: 1 });
      const ctx = {
        target: 'local' as const,
        dataDir: dir,
        clients: stack.clients,
        attached: true,
        servicesStatus: () => stack.status(),
        flush: () => stack.flush(),
      };
      const { s3, names } = stack.clients;
      const parts = await Promise.all(
        generated.files.map(async (f, i) => ({
          key: `${PREFIXES.rawLv}bench/part-${i}.csv`,
          body: await readFile(f.path),
        })),
      );
      const keys = parts.map((p) => p.key);
      const began = performance.now();
      for (const { key, body } of parts)
        await s3.send(new PutObjectCommand({ Bucket: names.bucket, Key: key, Body: body }));
      const manifests = await Promise.all(keys.map((key) => manifestOf(s3, names.bucket, key)));
      await catchUpProjections(ctx, shardTargetsOf(manifests), { timeoutMs: 30 * 60_000 });
      const emitted = manifests.reduce((n, m) => n + m.events_emitted, 0);
      const ingestPerS = emitted / ((performance.now() - began) / 1000);

      const envt = await opsEnvironment(ctx);
      const range = { from: new Date(0), to: new Date() };
      const results: BenchResult[] = [];
      const runs: (readonly ProjectionName[])[] = [...PROJECTIONS.map((p) => [p] as const), PROJECTIONS];
      for (const projections of runs) {
        const s = await replay(envt, { range, projections });
        if (s.failures.length > 0)
          throw new Error(`replay of ${projections.join('+')} failed: ${s.failures[0]?.error}`);
        await envt.flush();
        const name = projections.length === 1 ? projections[0] : 'all';
        results.push(
          atLeast(`replay-${name}`, s.readings_per_s / ingestPerS, TARGET_RATIO, {
            data: `${substations} substations × ${days} days at 10 min, ${generated.anomalies} labelled anomalies`,
            readings: s.readings,
            kinesis_records: s.records,
            replay_s: round(s.elapsed_ms / 1000, 2),
            replay_readings_per_s: s.readings_per_s,
            ingest_readings_per_s: Math.round(ingestPerS),
            ...Object.fromEntries(
              Object.entries(s.by_projection.anomaly?.detail ?? {}).map(([k, v]) => [`anomaly_${k}`, v]),
            ),
          }),
        );
      }
      if (flags.rebuild === true) {
        // the pipeline's own consumers are caught up and idle: the bench vouches that nothing races the rebuild
        const quiet = { ...envt, liveReaders: [] };
        for (const projection of ['state', 'anomaly'] as const) {
          const r = await rebuild(quiet, { projection, fromRaw: false });
          if (!r.verify.ok)
            throw new Error(`rebuild of ${projection} did not verify: ${r.verify.differences[0]?.detail}`);
          results.push(
            atLeast(`rebuild-${projection}`, r.replay.readings_per_s / ingestPerS, TARGET_RATIO, {
              readings: r.replay.readings,
              rebuild_replay_s: round(r.replay.elapsed_ms / 1000, 2),
              rebuild_readings_per_s: r.replay.readings_per_s,
              ingest_readings_per_s: Math.round(ingestPerS),
              ...Object.fromEntries(
                Object.entries(r.replay.by_projection[projection]?.detail ?? {}).map(([k, v]) => [
                  `${projection}_${k}`,
                  v,
                ]),
              ),
            }),
          );
        }
      }
      return results;
    } finally {
      await stack.stop();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

async function manifestOf(s3: S3Client, bucket: string, key: string): Promise<Manifest> {
  for (let i = 0; i < 6_000; i++) {
    try {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: manifestKeyOf(key) }));
      return JSON.parse(await got.Body!.transformToString()) as Manifest;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`no manifest for ${key}`);
}

function positive(flag: string | boolean | undefined, fallback: number): number {
  if (flag === undefined || flag === true) return fallback;
  const v = Number(flag);
  if (!Number.isInteger(v) || v <= 0) throw new RangeError(`expected a positive whole number, got ${flag}`);
  return v;
}
