/**
 * `npm run bench -- api`: what the HTTP API adds on top of its stores, and how fast an
 * alert reaches a live client, on the embedded stack with the labelled sample ingested
 * (the real pipeline, the real server on 127.0.0.1, in this process).
 *
 * - `series`: one feeder × the month ending at its newest reading (its three phase
 *   currents, `max_points` 1200 as the console asks), GET through the server vs the
 *   store calls the route makes (`fetchSeries`: the rollups' current days, the rollups,
 *   the table and/or the lake), paired; the rollups built once after the ingest, as the
 *   hourly timer would have.
 * - `assets`: GET /api/assets vs its four store reads, paired, with the registry and
 *   `latest` padded to `--assets` (`pad.ts`).
 * - push: PutObject of a file with an anomaly → the SSE `alert` event (`push.ts`).
 * - console: the overview's and an asset page's first render with data in headless
 *   Chromium on this dataset, against the same API calls from Node (`../console.ts`).
 *
 * The issue's dataset is 100 substations × 31 days (~10 M readings); ingesting it takes
 * this shared 2-core machine most of a day, so the size is a flag, the default is
 * smaller, and `--seed lake` puts all but the measured substation straight into the
 * lake and `latest` (seed.ts).
 * The series figures depend on the one asset's month, which is the same at any number
 * of substations; the assets figures on the padded count.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchSeries } from '../../../src/api/series.ts';
import { createStores } from '../../../src/api/store.ts';
import type { ApiStores, SeriesRange } from '../../../src/api/deps.ts';
import { buildConsole } from '../../../src/console/build.ts';
import { buildRollups } from '../../../src/lake/rollups/build.ts';
import { API_SERVICE_NAME, apiServiceFactory, type ApiService } from '../../../src/local/api/service.ts';
import { PIPELINE_SERVICES } from '../../../src/local/pipeline.ts';
import { startStack } from '../../../src/local/stack.ts';
import { openSqlEngine } from '../../../src/ops/query/open.ts';
import { SAMPLE_DEFAULTS } from '../../../src/ops/sample/defaults.ts';
import { runSample, sampleDirOf } from '../../../src/ops/sample/run.ts';
import { ASSETS_FILE } from '../../../src/generate/index.ts';
import { generateLabelled, LABELS_FILE } from '../../../src/generate/labelled.ts';
import { expandInputs } from '../../../src/producers/ingest/inputs.ts';
import { readSettings } from '../../../src/shared/settings.ts';
import { getJson } from '../../../test/support/api.ts';
import { atMost, round, type Benchmark } from '../../types.ts';
import { measureConsole } from '../console.ts';
import { padAssets } from './pad.ts';
import { measurePush } from './push.ts';
import { cutSample, seedDirect, type CutSample } from './seed.ts';
import { paired, pairedFigures, percentile } from './stats.ts';

const TARGETS = { overhead: 1.3, pushP95Seconds: 3 } as const;
const DEFAULTS = { substations: 3, days: 31, assets: 1000, runs: 30, trials: 10, pages: 5 } as const;
const MEASUREMENTS = ['l1_current', 'l2_current', 'l3_current'] as const;
const MAX_POINTS = 1200;
/** The substation whose feeder is measured: the generator's first. */
const MEASURED = 'LV100001';
const DAY_MS = 86_400_000;

export const apiBenchmark: Benchmark = {
  name: 'api',
  description: `HTTP API p95 ÷ the same store calls made directly, for series and assets (target <= ${TARGETS.overhead}); PutObject → SSE alert p95 (target < ${TARGETS.pushP95Seconds} s)`,
  flags: {
    substations: `substations of the sample (default ${DEFAULTS.substations}; the issue's is 100)`,
    days: `days of the sample (default ${DEFAULTS.days})`,
    assets: `assets in the registry and latest for the assets measurement, padded (default ${DEFAULTS.assets})`,
    runs: `paired calls per endpoint (default ${DEFAULTS.runs})`,
    trials: `alert push trials (default ${DEFAULTS.trials})`,
    pages: `console page loads per first-render figure, headless Chromium (default ${DEFAULTS.pages})`,
    seed: `pipeline (default): the whole sample ingested; lake: only ${MEASURED} through the pipeline, every other substation split into the lake and \`latest\` directly (seed.ts; for the issue's 100 substations)`,
  },
  async run(flags) {
    const num = (k: keyof typeof DEFAULTS): number => {
      const n = Number(flags[k] ?? DEFAULTS[k]);
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${k} must be a positive whole number`);
      return n;
    };
    const dataDir = await mkdtemp(join(tmpdir(), 'dubegrid-bench-api-'));
    const stack = await startStack({
      dataDir,
      services: [...PIPELINE_SERVICES, apiServiceFactory({ port: 0, buildConsole: (dir) => buildConsole(dir) })],
    });
    try {
      const seed = flags.seed ?? 'pipeline';
      if (seed !== 'pipeline' && seed !== 'lake') throw new RangeError('--seed must be pipeline or lake');
      const began = performance.now();
      const cut = seed === 'lake' ? await cutGenerated(dataDir, num('substations'), num('days')) : undefined;
      const sample = await runSample(stack, {
        substations: num('substations'),
        days: num('days'),
        // an hour, or the sample's ~3,600 readings per substation-day at 500 a second (a loaded machine)
        timeoutMs: Math.max(60 * 60_000, ((num('substations') * num('days') * 3_600) / 500) * 1000),
        progress: (line) => process.stderr.write(`bench api: ${line}\n`),
      });
      const seeded =
        cut === undefined
          ? undefined
          : await seedDirect(stack, cut.direct, join(dataDir, 'direct'), (line) =>
              process.stderr.write(`bench api: ${line}\n`),
            );
      const ingestS = round((performance.now() - began) / 1000, 1);
      // what the hourly rollups timer would have done by now: long series read them
      const rolledAt = performance.now();
      await buildRollups({ s3: stack.clients.s3, bucket: stack.clients.names.bucket, threads: 1 });
      const rollupsS = round((performance.now() - rolledAt) / 1000, 1);
      const api = stack.service<ApiService>(API_SERVICE_NAME) as ApiService;
      const openEngine = async () => (await openSqlEngine(stack.clients, join(dataDir, 'bench-cache'))).engine;
      const stores = createStores({ clients: stack.clients, openEngine });
      const get = async (path: string): Promise<unknown> => {
        const r = await getJson(api.url, path, api.token);
        if (r.status !== 200) throw new Error(`${path}: ${r.status} ${r.text.slice(0, 200)}`);
        return r.body;
      };

      const feeder = (await stores.registry()).find((a) => a.kind === 'feeder' && a.substation_id === MEASURED);
      if (!feeder) throw new Error('the sample has no feeder');
      const range = await monthOf(stores, feeder.asset_id);
      const ttlDays = readSettings().readingsTtlDays;
      const direct = () => fetchSeries(stores, range, MAX_POINTS, ttlDays, Date.now());
      const reads = await direct();
      const readings = reads.readings.length + reads.rollups.reduce((n, p) => n + p.count, 0);
      const seriesPath =
        `/api/assets/${encodeURIComponent(feeder.asset_id)}/series?measurement=${MEASUREMENTS.join(',')}` +
        `&from=${new Date(range.fromMs).toISOString()}&to=${new Date(range.toMs).toISOString()}&max_points=${MAX_POINTS}`;
      const series = await paired(num('runs'), () => get(seriesPath), direct);

      const padded = await padAssets(stack.clients.doc, stack.clients.names.tables, num('assets'), feeder.asset_id);
      const assetCount = ((await get('/api/assets')) as { count: number }).count;
      const assets = await paired(
        num('runs'),
        () => get('/api/assets'),
        () => Promise.all([stores.registry(), stores.latestAll(), stores.incidents({}), stores.watchdogActive()]),
      );

      const push = await measurePush(api, stack.clients.s3, stack.clients.names.bucket, num('trials'));
      // the console's first renders on this dataset, after the push trials (their alerts are on the pages too)
      const pages = await measureConsole({ origin: api.url, token: api.token }, feeder.asset_id, num('pages'), {
        substations: num('substations'),
        days: num('days'),
        assets: assetCount,
      });

      const common = {
        substations: num('substations'),
        days: num('days'),
        readings_ingested: (sample.ingest.totals?.events_emitted ?? 0) + (seeded?.readings ?? 0),
        seed,
        ...(seeded
          ? {
              readings_through_pipeline: sample.ingest.totals?.events_emitted ?? 0,
              readings_seeded_direct: seeded.readings,
              latest_series_seeded: seeded.latest_series,
              direct_seed_s: seeded.seed_s,
            }
          : {}),
        ingest_s: ingestS,
        runs: num('runs'),
        load_average_1m: round(loadavg()[0] ?? 0, 2),
        where: 'server, client, emulators and direct calls in one Node process on 127.0.0.1',
      };
      const ratio = (p: { httpMs: number[]; directMs: number[] }) =>
        percentile(p.httpMs, 0.95) / percentile(p.directMs, 0.95);
      const pushP95 = push.timeouts ? Number.POSITIVE_INFINITY : percentile(push.samplesMs, 0.95);
      return [
        atMost('api series p95 ÷ direct p95', ratio(series), TARGETS.overhead, {
          ...pairedFigures('series', series),
          asset: feeder.asset_id,
          measurements: MEASUREMENTS.length,
          range_days: round((range.toMs - range.fromMs) / DAY_MS, 1),
          readings_in_range: readings,
          readings_read: reads.readings.length,
          rollup_periods_read: reads.rollups.length,
          max_points: MAX_POINTS,
          store: reads.store,
          rollups_build_s: rollupsS,
          ...common,
        }),
        atMost('api assets p95 ÷ direct p95', ratio(assets), TARGETS.overhead, {
          ...pairedFigures('assets', assets),
          assets: assetCount,
          assets_padded: padded,
          ...common,
        }),
        atMost('api alert push p95 (s)', pushP95 / 1000, TARGETS.pushP95Seconds, {
          trials: push.samplesMs.length + push.timeouts,
          timeouts: push.timeouts,
          push_p50_ms: Math.round(percentile(push.samplesMs, 0.5)),
          push_p95_ms: Math.round(pushP95),
          push_max_ms: Math.round(Math.max(...push.samplesMs)),
          path: 'PutObject → splitter → Kinesis → anomaly → outbox → local SNS → API SSE → fetch body reader',
          load_average_1m: common.load_average_1m,
        }),
        ...pages,
      ];
    } finally {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};

/**
 * `--seed lake`: the labelled sample generated where `runSample` looks for it, then cut so
 * that it ingests the measured substation alone (seed.ts).
 */
async function cutGenerated(dataDir: string, substations: number, days: number): Promise<CutSample> {
  const dir = sampleDirOf(dataDir);
  await generateLabelled({ out: dir, substations, days, seed: SAMPLE_DEFAULTS.seed, start: SAMPLE_DEFAULTS.start });
  const files = (await expandInputs([dir])).filter((f) => f.name !== ASSETS_FILE && f.name !== LABELS_FILE);
  return cutSample(
    dir,
    files.map((f) => f.path),
    MEASURED,
    join(dataDir, 'direct'),
  );
}

/** The month (31 days) ending just after the asset's newest reading, as the console's month view asks. */
async function monthOf(stores: ApiStores, assetId: string): Promise<SeriesRange> {
  const newest = (await stores.latest(assetId)).reduce((m, p) => Math.max(m, Date.parse(p.ts)), 0);
  if (!newest) throw new Error(`${assetId} has no readings`);
  const toMs = newest + 1;
  return { assetId, measurements: MEASUREMENTS, fromMs: toMs - 31 * DAY_MS, toMs };
}
