/**
 * The HTTP app: one Hono app, two targets. `createApp(deps)` binds the routes of
 * `routes.ts` to thin handlers over the pure cores (`asset-view.ts`, `series.ts`,
 * `query-runs.ts`), behind the auth of `auth.ts`; the embedded server serves it with
 * `@hono/node-server`, the Lambda entry with `hono/aws-lambda`.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ZodError } from 'zod';
import { monthParams } from '../ops/query/named.ts';
import { NAMED_QUERIES, QueryParameterError } from '../shared/queries.ts';
import { assetView } from './asset-view.ts';
import { requireAuth } from './auth.ts';
import type { ApiDeps, LatestPoint } from './deps.ts';
import { checkParams, namedQueryOf, waitForRun } from './query-runs.ts';
import * as routes from './routes.ts';
import { SERIES_LIMITS, timeMs, type QueryRun } from './schemas.ts';
import { readSeries } from './series.ts';
import { staticFile } from './static.ts';

export const DEFAULT_QUERY_WAIT_MS = 20_000;
export const DEFAULT_KEEPALIVE_MS = 15_000;
export const OPENAPI_PATH = '/api/openapi.json';

/** A validation failure as one line: the first issue, with the parameter it is about. */
export function oneLineIssue(error: ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'bad request';
  const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
  return `${where}${issue.message}`.replace(/\s+/g, ' ');
}

const canonical = (ms: number): string => new Date(ms).toISOString();

export function createApp(deps: ApiDeps) {
  const now = deps.now ?? (() => new Date());
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (!result.success) return c.json({ error: oneLineIssue(result.error) }, 400);
      return undefined;
    },
  });

  app.onError((err, c) => {
    if (err instanceof QueryParameterError) return c.json({ error: err.message.split('\n')[0] }, 400);
    // never echo internals (or a header) back; one line for the operator's log
    process.stderr.write(`api: ${c.req.method} ${c.req.path} failed: ${err.message.split('\n')[0]}\n`);
    return c.json({ error: 'internal error' }, 500);
  });
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));

  // Auth everywhere under /api/ but /api/health.
  const auth = requireAuth(deps.auth);
  app.use('/api/*', async (c, next) => (c.req.path === routes.healthRoute.path ? next() : auth(c, next)));

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description:
      'Embedded: the token in <data dir>/api-token. AWS: a Cognito access token (the console signs in through the hosted UI, authorization code + PKCE).',
  });

  app.openapi(routes.healthRoute, (c) =>
    c.json({ status: 'ok' as const, target: deps.target, time: now().toISOString() }, 200),
  );

  app.openapi(routes.assetsRoute, async (c) => {
    const [registry, latest, incidents, watchdog] = await Promise.all([
      deps.stores.registry(),
      deps.stores.latestAll(),
      deps.stores.incidents({}),
      deps.stores.watchdogActive(),
    ]);
    const view = assetView(registry, latest, incidents, watchdog);
    return c.json({ count: view.assets.length, network_newest: view.networkNewest, assets: view.assets }, 200);
  });

  app.openapi(routes.latestRoute, async (c) => {
    const { asset_id } = c.req.valid('param');
    const latest = await deps.stores.latest(asset_id);
    if (!latest.length && !(await deps.stores.registry()).some((a) => a.asset_id === asset_id))
      return c.json({ error: `no asset ${asset_id}` }, 404);
    return c.json({ asset_id, measurements: latest.map(publicLatest) }, 200);
  });

  app.openapi(routes.seriesRoute, async (c) => {
    const { asset_id } = c.req.valid('param');
    const q = c.req.valid('query');
    const fromMs = timeMs(q.from);
    const toMs = timeMs(q.to);
    const maxPoints = q.max_points ?? SERIES_LIMITS.defaultPoints;
    const out = await readSeries(
      deps.stores,
      { assetId: asset_id, measurements: q.measurement.split(','), fromMs, toMs },
      maxPoints,
      deps.readingsTtlDays,
      now().getTime(),
    );
    return c.json({ ...out, from: canonical(fromMs), to: canonical(toMs) }, 200);
  });

  app.openapi(routes.alertsRoute, async (c) => {
    const q = c.req.valid('query');
    const since = q.since === undefined ? undefined : canonical(timeMs(q.since));
    const until = q.until === undefined ? undefined : canonical(timeMs(q.until));
    const incidents = (
      await deps.stores.incidents({ since, severity: q.severity, rule: q.rule, asset: q.asset })
    ).filter((i) => (until === undefined || i.opened_at < until) && (q.status === undefined || i.status === q.status));
    return c.json({ count: incidents.length, alerts: [...incidents] }, 200);
  });

  app.openapi(routes.alertStreamRoute, (c) => {
    const feed = deps.alerts;
    if (!feed) return c.json({ error: 'this target cannot stream: poll GET /api/alerts?since=' }, 501);
    return streamSSE(c, async (stream) => {
      const queue: string[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = feed.subscribe((n) => {
        queue.push(JSON.stringify(n));
        wake?.();
      });
      let open = true;
      stream.onAbort(() => {
        open = false;
        wake?.();
      });
      try {
        await stream.write(': connected\n\n');
        while (open) {
          while (queue.length) await stream.writeSSE({ event: 'alert', data: queue.shift() as string });
          const timer = new Promise<'tick'>((resolve) => {
            const t = setTimeout(() => resolve('tick'), deps.keepAliveMs ?? DEFAULT_KEEPALIVE_MS);
            wake = () => {
              clearTimeout(t);
              resolve('tick');
            };
          });
          await timer;
          wake = undefined;
          if (open && !queue.length) await stream.write(': keep-alive\n\n');
        }
      } finally {
        unsubscribe();
      }
    });
  });

  app.openapi(routes.queriesRoute, (c) =>
    c.json(
      {
        queries: Object.values(NAMED_QUERIES).map((q) => ({
          name: q.name,
          description: q.description,
          parameters: q.parameters.map((p) => ({
            name: p.name,
            description: p.description,
            pattern: p.pattern.source,
            example: p.example,
          })),
        })),
      },
      200,
    ),
  );

  const runResponse = (c: Context, run: QueryRun) => c.json(run, run.state === 'running' ? 202 : 200);

  app.openapi(routes.runQueryRoute, async (c) => {
    const { name } = c.req.valid('param');
    const query = namedQueryOf(name);
    if (!query) return c.json({ error: `no named query ${name} (GET /api/queries lists them)` }, 404);
    const params = queryParams(c);
    checkParams(query, params);
    const id = await deps.queries.start(name, params);
    const run = await waitForRun(deps.queries, id, deps.queryWaitMs ?? DEFAULT_QUERY_WAIT_MS);
    return runResponse(c, run ?? { id, name, state: 'running' }) as never;
  });

  app.openapi(routes.queryRunRoute, async (c) => {
    const { id } = c.req.valid('param');
    const run = await deps.queries.get(id);
    if (!run) return c.json({ error: `no query run ${id} (runs are kept for a while, then forgotten)` }, 404);
    return runResponse(c, run) as never;
  });

  app.openapi(routes.reportRoute, async (c) => {
    const month = c.req.valid('query').month ?? (await deps.stores.latestLakeMonth());
    if (!month) return c.json({ error: 'the lake holds no readings yet: ingest some data first' }, 404);
    const name = NAMED_QUERIES.asset_summary_monthly.name;
    const id = await deps.queries.start(name, monthParams(month));
    const run = (await waitForRun(deps.queries, id, deps.queryWaitMs ?? DEFAULT_QUERY_WAIT_MS)) ?? {
      id,
      name,
      state: 'running' as const,
    };
    return c.json({ ...byUtilisation(run), month }, run.state === 'running' ? 202 : 200) as never;
  });

  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: {
      title: 'DubeGrid API',
      version: '1',
      description:
        'The LV network at a glance: assets, their readings, alerts, named queries and the monthly performance summary. ' +
        'Live alerts: `GET /api/alerts/stream` (Server-Sent Events) on the embedded server; on AWS poll `GET /api/alerts?since=` every few seconds.',
    },
    security: [{ bearer: [] }],
  });

  if (deps.consoleDir) {
    const root = deps.consoleDir;
    app.get('*', async (c) => {
      const path = rawPath(c.req.url);
      if (path === '/api' || path.startsWith('/api/')) return c.json({ error: `no route GET ${c.req.path}` }, 404);
      const file = await staticFile(root, path === '/' ? '/index.html' : path);
      if (!file) return c.json({ error: 'not found' }, 404);
      return c.body(new Uint8Array(file.body), 200, {
        'content-type': file.type,
        'x-content-type-options': 'nosniff',
        'cache-control': 'no-cache',
      });
    });
  }
  return app;
}

export type ApiApp = ReturnType<typeof createApp>;

/** The path as sent (percent-encoding kept), so the static handler sees what the client asked for. */
function rawPath(url: string): string {
  const afterHost = url.replace(/^[a-z]+:\/\/[^/]*/i, '');
  return afterHost.replace(/[?#].*$/, '');
}

/** A named query's parameters: the query string, each key once. */
function queryParams(c: Context): Record<string, string> {
  const all = c.req.queries();
  const out: Record<string, string> = {};
  for (const [k, values] of Object.entries(all)) {
    if (values.length !== 1) throw new QueryParameterError(`parameter ${k} is given ${values.length} times`);
    const v = values[0] as string;
    if (v.length > 256) throw new QueryParameterError(`parameter ${k} is longer than 256 characters`);
    out[k] = v;
  }
  return out;
}

function publicLatest(p: LatestPoint) {
  return { measurement: p.measurement, phase: p.phase ?? null, unit: p.unit, value: p.value, ts: p.ts };
}

/** The summary's rows, highest peak utilisation first (as `dubegrid report` lists them). */
function byUtilisation(run: QueryRun): QueryRun {
  if (run.state !== 'succeeded' || !run.columns || !run.rows) return run;
  const at = (n: string): number => run.columns?.findIndex((c) => c.name === n) ?? -1;
  const util = at('peak_utilisation_pct');
  const peak = at('peak_demand_kw');
  const id = at('asset_id');
  const num = (v: unknown): number => (typeof v === 'number' ? v : Number.NEGATIVE_INFINITY);
  const rows = [...run.rows].sort(
    (a, b) => num(b[util]) - num(a[util]) || num(b[peak]) - num(a[peak]) || String(a[id]).localeCompare(String(b[id])),
  );
  return { ...run, rows };
}
