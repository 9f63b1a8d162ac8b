/**
 * The HTTP API on the embedded stack with the sample ingested, through a real socket:
 * every route's answers validated against the OpenAPI document the app serves
 * (contract), the security cases of issue 16, and a live alert over SSE after a file
 * with an anomaly is put in raw/.
 */
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { stat, readFile, mkdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/api/app.ts';
import { bucketOf, seriesGrid } from '../../src/api/buckets.ts';
import { EngineRuns } from '../../src/api/query-runs.ts';
import { createStores } from '../../src/api/store.ts';
import { buildRollups } from '../../src/lake/rollups/build.ts';
import { openSqlEngine } from '../../src/ops/query/open.ts';
import { API_SERVICE_NAME, apiServiceFactory, type ApiService } from '../../src/local/api/service.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { PIPELINE_SERVICES } from '../../src/local/pipeline.ts';
import { readRuntime } from '../../src/local/runtime-file.ts';
import { startStack, type EmbeddedStack } from '../../src/local/stack.ts';
import { runSample, type SampleRun } from '../../src/ops/sample/run.ts';
import { rollupObjectKey } from '../../src/shared/glue.ts';
import { PREFIXES } from '../../src/shared/resources.ts';
import { getJson, openStream, rawGet, voltageCsv, type Fetched } from '../support/api.ts';
import { eventually } from '../support/eventually.ts';
import { tempDir } from '../support/tmp.ts';
import { fuzzRequest } from '../support/fuzz-requests.ts';
import { scaled } from '../soak/scale.ts';
import fc from 'fast-check';

let stack: EmbeddedStack;
let api: ApiService;
let sample: SampleRun;
let cleanup: () => Promise<void>;
let doc: { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
const ajv = new Ajv2020({ strict: false, allErrors: true });

beforeAll(async () => {
  const t = await tempDir();
  cleanup = t.cleanup;
  // the console's build output (the console engineer's), stood in for by two files
  const consoleDir = join(t.dir, 'console-build');
  await mkdir(consoleDir, { recursive: true });
  await writeFile(join(consoleDir, 'index.html'), '<!doctype html><title>DubeGrid</title>');
  await writeFile(join(consoleDir, 'app.js'), 'console.log(1)');
  await writeFile(join(t.dir, 'outside.txt'), 'must never be served');
  stack = await startStack({
    dataDir: join(t.dir, 'data'),
    services: [...PIPELINE_SERVICES, apiServiceFactory({ port: 0, consoleDir })],
  });
  api = stack.service<ApiService>(API_SERVICE_NAME) as ApiService;
  sample = await runSample(stack, { substations: 1, days: 2, timeoutMs: 100_000, progress: () => undefined });
  const openapi = await getJson(api.url, '/api/openapi.json', api.token);
  expect(openapi.status).toBe(200);
  doc = openapi.body as typeof doc;
  ajv.addSchema(doc, 'openapi');
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await cleanup?.();
});

/** With the token, or (`null`) with none, or with the one given. */
const get = (path: string, token: string | null = api.token) => getJson(api.url, path, token ?? undefined);

/** Validates an answer against the document's schema for the route, status and JSON body. */
function conforms(route: string, r: Fetched): void {
  const op = doc.paths[route]?.get;
  expect(op, `${route} is in the OpenAPI document`).toBeDefined();
  expect(Object.keys(op?.responses ?? {}), `${route} documents ${r.status}`).toContain(String(r.status));
  const pointer = `openapi#/paths/${route.replace(/\//g, '~1')}/get/responses/${r.status}/content/application~1json/schema`;
  const validate = ajv.compile({ $ref: pointer });
  expect(validate(r.body), `${route} ${r.status}: ${ajv.errorsText(validate.errors)}`).toBe(true);
}

describe('the embedded server', () => {
  it('binds 127.0.0.1 only, records console_url, keeps the token in a 0600 file and out of the runtime file', async () => {
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const runtime = await readRuntime(stack.dataDir);
    expect(runtime?.console_url).toBe(api.url);
    const tokenFile = dataPaths(stack.dataDir).apiToken;
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    expect((await readFile(tokenFile, 'utf8')).trim()).toBe(api.token);
    expect(JSON.stringify(runtime)).not.toContain(api.token);
    expect(api.signInUrl).toBe(`${api.url}/#token=${api.token}`);
  });

  it('is not reachable on any other interface', async () => {
    const port = Number(new URL(api.url).port);
    const others = [
      '127.0.0.2',
      ...Object.values(networkInterfaces())
        .flat()
        .filter((i) => i && !i.internal)
        .map((i) => (i?.family === 'IPv6' ? (i.address.split('%')[0] as string) : (i?.address as string))),
    ];
    for (const host of others) {
      const outcome = await new Promise<string>((resolve) => {
        const s = connect({ host, port, timeout: 2_000 });
        s.once('connect', () => {
          s.destroy();
          resolve('connected');
        });
        s.once('timeout', () => {
          s.destroy();
          resolve('timeout');
        });
        s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(outcome, `${host}:${port}`).not.toBe('connected');
    }
  });
});

describe('auth', () => {
  it('health needs none; every other route answers 401 without the token or with a wrong one', async () => {
    const health = await get('/api/health', null);
    expect(health.status).toBe(200);
    conforms('/api/health', health);
    for (const path of [
      '/api/assets',
      '/api/openapi.json',
      '/api/alerts',
      '/api/queries',
      '/api/report',
      '/api/assets/LV100001/latest',
    ]) {
      for (const token of [null, 'wrong', `${api.token}x`]) {
        const r = await get(path, token);
        expect(r.status, `${path} with ${token ? 'a wrong' : 'no'} token`).toBe(401);
        expect(r.text).not.toContain(api.token);
      }
    }
    conforms('/api/assets', await get('/api/assets', 'wrong'));
  });

  it('the SSE stream refuses a client without the token', async () => {
    for (const token of [undefined, 'wrong']) {
      const s = await openStream(api.url, token);
      expect(s.status).toBe(401);
      s.close();
    }
  });
});

describe('routes (contract: every answer validates against /api/openapi.json)', () => {
  it('assets: every sample asset with rating, load, status', async () => {
    const r = await get('/api/assets');
    expect(r.status).toBe(200);
    conforms('/api/assets', r);
    const body = r.body as { assets: { asset_id: string; in_registry: boolean; status: string; rating: number }[] };
    const seen = new Set(sample.latest.map((a) => a.asset_id));
    expect(seen.size).toBeGreaterThan(0);
    for (const id of seen) expect(body.assets.map((a) => a.asset_id)).toContain(id);
    expect(body.assets.every((a) => a.in_registry && a.rating > 0)).toBe(true);
    // stale comes from an open stale_feed incident (and beats alerting), and from nothing else; the
    // watchdog may open one between the sample's snapshot and the answer, so read them again after it
    const staleFeedOf = (alerts: readonly { status: string; rule: string; asset_id: string }[]) =>
      new Set(alerts.filter((a) => a.status === 'open' && a.rule === 'stale_feed').map((a) => a.asset_id));
    const before = staleFeedOf(sample.alerts);
    const after = staleFeedOf(
      ((await get('/api/alerts?status=open')).body as { alerts: { status: string; rule: string; asset_id: string }[] })
        .alerts,
    );
    const open = sample.alerts.filter((a) => a.status === 'open').map((a) => a.asset_id);
    for (const a of body.assets) {
      if (before.has(a.asset_id)) expect(a.status, a.asset_id).toBe('stale');
      else if (open.includes(a.asset_id)) expect(['alerting', 'stale'], a.asset_id).toContain(a.status);
      if (a.status === 'stale') expect(after.has(a.asset_id), a.asset_id).toBe(true);
    }
  });

  it('latest and series of an asset, downsampled keeping min and max, from the table', async () => {
    const assetId = sample.latest[0]?.asset_id as string;
    const latest = await get(`/api/assets/${encodeURIComponent(assetId)}/latest`);
    conforms('/api/assets/{asset_id}/latest', latest);
    const ms = (latest.body as { measurements: { measurement: string }[] }).measurements.map((m) => m.measurement);
    expect(ms.length).toBeGreaterThan(0);
    const measurement = ms[0] as string;
    const full = await get(
      `/api/assets/${encodeURIComponent(assetId)}/series?measurement=${measurement}&from=2025-08-01&to=2025-09-01&max_points=20000`,
    );
    conforms('/api/assets/{asset_id}/series', full);
    const f = full.body as {
      store: string;
      downsampled: boolean;
      series: { t: number[]; v: number[]; readings: number }[];
    };
    expect(f.store).toBe('table');
    expect(f.downsampled).toBe(false);
    const all = f.series[0] as { t: number[]; v: number[]; readings: number };
    expect(all.t.length).toBeGreaterThan(100);
    const small = await get(
      `/api/assets/${encodeURIComponent(assetId)}/series?measurement=${measurement}&from=2025-08-01&to=2025-09-01&max_points=50`,
    );
    conforms('/api/assets/{asset_id}/series', small);
    const s = small.body as typeof f;
    expect(s.downsampled).toBe(true);
    const few = s.series[0] as typeof all;
    expect(few.t.length).toBeLessThanOrEqual(50);
    expect(few.readings).toBe(all.t.length);
    expect(Math.max(...few.v)).toBe(Math.max(...all.v));
    expect(Math.min(...few.v)).toBe(Math.min(...all.v));
    const unknown = await get('/api/assets/NOPE999/latest');
    expect(unknown.status).toBe(404);
    conforms('/api/assets/{asset_id}/latest', unknown);
  });

  it('a range older than the readings TTL is read from the lake, with the same readings the table holds', async () => {
    // the same app on the same stores, with a TTL that puts the whole sample beyond it
    const openEngine = async () => (await openSqlEngine(stack.clients, dataPaths(stack.dataDir).cache)).engine;
    const old = createApp({
      target: 'local',
      auth: { kind: 'token', token: 't' },
      stores: createStores({ clients: stack.clients, openEngine }),
      queries: new EngineRuns(openEngine),
      readingsTtlDays: 30,
    });
    const asset = sample.latest[0] as SampleRun['latest'][number];
    const measurements = asset.measurements.slice(0, 2).map((m) => m.measurement);
    const path = `/api/assets/${encodeURIComponent(asset.asset_id)}/series?measurement=${measurements.join(',')}&from=2025-08-01&to=2025-09-01&max_points=20000`;
    const fromLake = await old.request(path, { headers: { authorization: 'Bearer t' } });
    const lake = (await fromLake.json()) as { store: string; series: { t: number[]; v: number[] }[] };
    conforms('/api/assets/{asset_id}/series', { status: fromLake.status, body: lake, text: '' });
    expect(lake.store).toBe('lake');
    const table = (await get(path)).body as typeof lake;
    expect(table.store).toBe('table');
    expect(lake.series.map((s) => s.t.length)).toEqual(table.series.map((s) => s.t.length));
    expect(lake.series[0]?.t.length).toBeGreaterThan(100);
    expect(lake.series).toEqual(table.series);
  });

  it('alerts with filters', async () => {
    const all = await get('/api/alerts');
    conforms('/api/alerts', all);
    const list = (all.body as { alerts: { severity: string; rule: string; asset_id: string; status: string }[] })
      .alerts;
    expect(list.length).toBe(sample.alerts.length);
    const one = list[0] as (typeof list)[number];
    const filtered = await get(
      `/api/alerts?severity=${one.severity}&rule=${one.rule}&asset=${encodeURIComponent(one.asset_id)}&status=${one.status}&since=2025-01-01&until=2026-01-01`,
    );
    conforms('/api/alerts', filtered);
    const f = (filtered.body as { alerts: typeof list }).alerts;
    expect(f.length).toBeGreaterThan(0);
    expect(
      f.every(
        (a) =>
          a.severity === one.severity && a.rule === one.rule && a.asset_id === one.asset_id && a.status === one.status,
      ),
    ).toBe(true);
    expect((await get('/api/alerts?until=2000-01-01')).body).toMatchObject({ count: 0 });
  });

  it('named queries: the list, a run with rows in the first answer, the run by id, the report', async () => {
    const list = await get('/api/queries');
    conforms('/api/queries', list);
    expect((list.body as { queries: { name: string }[] }).queries.map((q) => q.name)).toContain('peak_load_by_asset');
    const run = await get('/api/queries/peak_load_by_asset?year=2025&month=08');
    expect(run.status).toBe(200);
    conforms('/api/queries/{name}', run);
    const r = run.body as { id: string; state: string; rows: unknown[] };
    expect(r.state).toBe('succeeded');
    expect(r.rows.length).toBeGreaterThan(0);
    const again = await get(`/api/queries/runs/${r.id}`);
    conforms('/api/queries/runs/{id}', again);
    expect(again.body).toEqual(run.body);
    const missing = await get('/api/queries/runs/not-a-run');
    expect(missing.status).toBe(404);
    conforms('/api/queries/runs/{id}', missing);
    const report = await get('/api/report?month=2025-08');
    expect(report.status).toBe(200);
    conforms('/api/report', report);
    const rows = (report.body as { rows: unknown[][]; columns: { name: string }[] }).rows;
    expect(rows.length).toBeGreaterThan(0);
    const latestMonth = await get('/api/report');
    expect((latestMonth.body as { month: string }).month).toBe('2025-08');
  });
});

describe('long series from the rollups', () => {
  it('buckets of whole hours come from readings_hourly with the min and max per bucket the readings give; a day whose rollups are gone is read as readings', async () => {
    await buildRollups({ s3: stack.clients.s3, bucket: stack.clients.names.bucket, threads: 1 });
    const asset = sample.latest[0] as SampleRun['latest'][number];
    const measurements = asset.measurements.slice(0, 2).map((m) => m.measurement);
    const stores = createStores({
      clients: stack.clients,
      openEngine: async () => (await openSqlEngine(stack.clients, dataPaths(stack.dataDir).cache)).engine,
    });
    const wide = {
      assetId: asset.asset_id,
      measurements,
      fromMs: Date.parse('2025-01-01'),
      toMs: Date.parse('2026-01-01'),
    };
    const all = await stores.tableSeries(wide);
    const first = Math.min(...all.map((p) => p.t));
    const last = Math.max(...all.map((p) => p.t));
    // ends off the hour: the partial hours at both ends are read as readings
    const range = { ...wide, fromMs: first - (first % 3_600_000) + 25 * 60_000, toMs: last + 1 };
    const maxPoints = 40;
    const grid = seriesGrid(range.fromMs, range.toMs, maxPoints);
    expect(grid.grain).toBe('hourly');
    const raw = await stores.tableSeries(range);
    const path =
      `/api/assets/${encodeURIComponent(asset.asset_id)}/series?measurement=${measurements.join(',')}` +
      `&from=${new Date(range.fromMs).toISOString()}&to=${new Date(range.toMs).toISOString()}&max_points=${maxPoints}`;
    type Answer = {
      store: string;
      downsampled: boolean;
      series: { measurement: string; readings: number; t: number[]; v: number[] }[];
    };
    const expectSameBuckets = (answer: Answer): void => {
      for (const s of answer.series) {
        const readings = raw.filter((p) => p.measurement === s.measurement);
        expect(s.readings, s.measurement).toBe(readings.length);
        expect(s.t.length).toBeLessThanOrEqual(maxPoints);
        expect(minMaxPerBucket(s.t, s.v, grid.edges), s.measurement).toEqual(
          minMaxPerBucket(
            readings.map((p) => p.t),
            readings.map((p) => p.value),
            grid.edges,
          ),
        );
      }
    };

    const rolled = await get(path);
    conforms('/api/assets/{asset_id}/series', rolled);
    const a = rolled.body as Answer;
    expect(a.store).toBe('readings_hourly+table');
    expect(a.downsampled).toBe(true);
    expect(a.series.map((s) => s.measurement)).toEqual(measurements);
    expectSameBuckets(a);

    // the first day's hourly rollup deleted: that day is no longer current, so it is read as readings
    const day = new Date(range.fromMs).toISOString().slice(0, 10);
    await stack.clients.s3.send(
      new DeleteObjectCommand({
        Bucket: stack.clients.names.bucket,
        Key: rollupObjectKey('hourly', { y: day.slice(0, 4), m: day.slice(5, 7), d: day.slice(8, 10) }),
      }),
    );
    expect(await stores.currentRollupDays([day])).toEqual(new Set());
    const partly = (await get(path)).body as Answer;
    expectSameBuckets(partly);
    const fromRollups = await stores.rollupSeries(range, 'hourly');
    expect(fromRollups.length).toBeGreaterThan(0);
    expect(fromRollups.every((p) => new Date(p.t).toISOString().slice(0, 10) !== day)).toBe(true);
    // a bucket count that keeps buckets under an hour reads readings only
    const fine = (await get(path.replace(`max_points=${maxPoints}`, 'max_points=200'))).body as Answer;
    expect(fine.store).toBe('table');
  });
});

/** Per bucket of the grid: the min and max of the points in it. */
function minMaxPerBucket(
  t: readonly number[],
  v: readonly number[],
  edges: readonly number[],
): [number, number, number][] {
  const out = new Map<number, [number, number, number]>();
  t.forEach((x, i) => {
    const b = bucketOf(edges, x);
    const val = v[i] as number;
    const cur = out.get(b);
    out.set(b, [b, Math.min(cur?.[1] ?? val, val), Math.max(cur?.[2] ?? val, val)]);
  });
  return [...out.values()].sort((p, q) => p[0] - q[0]);
}

describe('bad input', () => {
  it('SQL in a named-query parameter is a 400 and changes nothing', async () => {
    const before = await get('/api/queries/daily_trend_substation?year=2025&month=08&substation_id=LV100001');
    expect(before.status).toBe(200);
    const evil = encodeURIComponent("'; DROP TABLE readings; --");
    for (const path of [
      `/api/queries/daily_trend_substation?year=2025&month=08&substation_id=${evil}`,
      `/api/queries/peak_load_by_asset?year=${evil}&month=08`,
      `/api/queries/peak_load_by_asset?year=2025&month=08&sql=${evil}`,
      `/api/queries/peak_load_by_asset?year=2025&year=2024&month=08`,
    ]) {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      conforms('/api/queries/{name}', r);
      expect((r.body as { error: string }).error).not.toMatch(/\n/);
    }
    const after = await get('/api/queries/daily_trend_substation?year=2025&month=08&substation_id=LV100001');
    expect((after.body as { rows: unknown }).rows).toEqual((before.body as { rows: unknown }).rows);
    expect((after.body as { rows: unknown[] }).rows.length).toBeGreaterThan(0);
    expect((await get('/api/queries/no_such_query')).status).toBe(404);
  });

  it.each([
    ['from=yesterday&to=2025-09-01'],
    ['from=2025-08-01&to=2025-09-01T00:00:00Z&oversized'],
    ['from=2025-09-01&to=2025-08-01'],
    ['from=0001-01-01&to=2025-08-01'],
    ['from=2025-08-01&to=2025-09-01&max_points=0'],
    ['from=2025-08-01&to=2025-09-01&max_points=1e9'],
    ['from=2025-08-01&to=2025-09-01&max_points=99999999'],
    ['from=2025-08-01&to=2025-09-01&max_points=ten'],
    ['to=2025-09-01'],
  ])('series with %s is a 400 with a one-line reason', async (query) => {
    const q = query.replace('&oversized', '0'.repeat(10_000));
    const r = await get(`/api/assets/LV100001/series?measurement=l1_voltage&${q}`);
    expect(r.status).toBe(400);
    conforms('/api/assets/{asset_id}/series', r);
    expect((r.body as { error: string }).error).toMatch(/^[^\n]+$/);
  });

  it('alerts with a bad severity or time is a 400', async () => {
    for (const q of ['severity=huge', 'since=last-tuesday', 'rule=unknown_rule', 'status=maybe']) {
      const r = await get(`/api/alerts?${q}`);
      expect(r.status, q).toBe(400);
      conforms('/api/alerts', r);
    }
  });
});

/** Random requests per run of the query-parameter fuzzer: a quick pass in npm test, more under `npm run soak`. */
const FUZZ_RUNS = scaled('api_fuzz_runs', 120, 2_000);

describe('query and path parameters under a fuzzer (issue #18: the splitter fuzz applied to the API)', () => {
  it(`answers ${FUZZ_RUNS} random requests with a documented answer: 2xx, or a 400/404 saying why in one line, never a 5xx`, async () => {
    const assetIds = sample.latest.map((l) => l.asset_id);
    const valid = [
      ...assetIds,
      ...assetIds.map((a) => a.split(':')[0] ?? a),
      '2025-08-01',
      '2025-08-14T12:00:00Z',
      '2025-08',
      'total_active_power',
      'l1_voltage,l2_voltage',
      'open',
      'critical',
      '100',
    ];
    let answered = 0;
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fuzzRequest(valid), async ({ route, path }) => {
        const r = await get(path);
        answered++;
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const said = `GET ${path.slice(0, 300)} → ${r.status} ${r.text.slice(0, 300)}`;
        expect(r.status, said).toBeLessThan(500);
        if (r.status === 404 && (r.body as { error?: string } | undefined)?.error?.startsWith('no route')) {
          // a path value holding `/` after decoding is another path: the router's one-line answer
          return;
        }
        conforms(route, r);
        if (r.status >= 400) {
          const error = (r.body as { error?: unknown }).error;
          expect(typeof error, said).toBe('string');
          expect(error as string, said).not.toContain('\n');
          expect(error as string, said).not.toBe('internal error');
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
    expect(answered).toBe(FUZZ_RUNS);
    // the fuzzer reached past validation too, not only its refusals
    expect(statuses.get(200) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0);
    expect(statuses.get(400) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0);
    console.info(`api fuzz: ${answered} requests, answers by status ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, 600_000);
});

describe('static console', () => {
  it('serves the build at / and its files, and nothing outside the directory', async () => {
    const index = await rawGet(api.url, '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('DubeGrid');
    expect((await rawGet(api.url, '/app.js')).status).toBe(200);
    for (const path of [
      '/../outside.txt',
      '/assets/../../outside.txt',
      '/%2e%2e/outside.txt',
      '/%2e%2e%2foutside.txt',
      '/..%2f..%2foutside.txt',
      '/assets/..%5c..%5coutside.txt',
      '/....//outside.txt',
      '/app.js%00.html',
    ]) {
      const r = await rawGet(api.url, path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('must never be served');
    }
  });
});

describe('stale comes from the stale_feed watchdog', () => {
  it('a feeder that falls silent while its neighbour reports is stale once its incident opens; the neighbour is not', async () => {
    // Inside the sample's days, so the network's low watermark (the minimum over the
    // active sources) is this file's own: 01 stops at 00:50, 02 reports to 03:10, past
    // 01's due (00:50 + 3 × 10 min).
    const start = Date.parse('2025-08-12T00:00:00Z');
    const rows: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ts = new Date(start + i * 600_000).toISOString();
      if (i < 6) rows.push(`LVSTALE1,Stale Lane,${ts},feeder,01,L1 Current,A,${100 + i}`);
      rows.push(`LVSTALE1,Stale Lane,${ts},feeder,02,L1 Current,A,${80 + i}`);
    }
    await stack.clients.s3.send(
      new PutObjectCommand({
        Bucket: stack.clients.names.bucket,
        Key: `${PREFIXES.raw}api-test/stale.csv`,
        Body: `Substation Number,Substation Name,Timestamp,Attribute Type,Feeder ID,Description,Units,Value\n${rows.join('\n')}\n`,
      }),
    );
    type Alerts = { alerts: { status: string }[] };
    await eventually('an open stale_feed incident of LVSTALE1:01', async () => {
      const r = await get(`/api/alerts?asset=${encodeURIComponent('LVSTALE1:01')}&rule=stale_feed`);
      return (r.body as Alerts).alerts.some((a) => a.status === 'open');
    });
    // The state consumer reads the same shard as the anomaly consumer but on its own
    // poller: the incident can open before `latest` holds these feeders' readings.
    type Assets = { assets: { asset_id: string }[] };
    await eventually('latest holds both LVSTALE1 feeders', async () => {
      const ids = new Set(((await get('/api/assets')).body as Assets).assets.map((a) => a.asset_id));
      return ids.has('LVSTALE1:01') && ids.has('LVSTALE1:02');
    });
    const r = await get('/api/assets');
    conforms('/api/assets', r);
    const by = new Map(
      (r.body as { assets: { asset_id: string; status: string }[] }).assets.map((a) => [a.asset_id, a]),
    );
    expect(by.get('LVSTALE1:01')?.status).toBe('stale');
    expect(by.get('LVSTALE1:02')?.status).toBe('ok');
  });
});

describe('live alerts', () => {
  it('a file with an anomaly put in raw/ reaches an SSE client as an alert event', async () => {
    const stream = await openStream(api.url, api.token);
    try {
      expect(stream.status).toBe(200);
      const csv = voltageCsv('LVSSE1', '2025-08-20T00:00:00Z', [240, 241, 275, 276, 277]);
      await stack.clients.s3.send(
        new PutObjectCommand({
          Bucket: stack.clients.names.bucket,
          Key: `${PREFIXES.raw}api-test/sse.csv`,
          Body: csv,
        }),
      );
      const event = await stream.next();
      expect(event.event).toBe('alert');
      const n = JSON.parse(event.data) as { asset_id: string; rule: string; kind: string };
      expect(n).toMatchObject({ asset_id: 'LVSSE1', rule: 'voltage_out_of_range', kind: 'open' });
      expect(doc.paths['/api/alerts/stream']).toBeDefined();
      const schema = ajv.compile({
        $ref: 'openapi#/paths/~1api~1alerts~1stream/get/responses/200/content/text~1event-stream/schema',
      });
      expect(schema(n), ajv.errorsText(schema.errors)).toBe(true);
    } finally {
      stream.close();
    }
  });
});
