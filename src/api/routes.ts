/**
 * The routes as OpenAPI operations: path, parameters and responses, built from the
 * schemas in `schemas.ts`. `app.ts` binds a handler to each.
 */
import type { z } from '@hono/zod-openapi';
import { createRoute } from '@hono/zod-openapi';
import {
  AlertList,
  AlertNotification,
  AlertsQuery,
  AssetIdParam,
  AssetLatest,
  AssetList,
  AssetSeries,
  ErrorBody,
  Health,
  MonthQuery,
  QueryList,
  QueryNameParam,
  QueryRun,
  Report,
  RunIdParam,
  SeriesQuery,
} from './schemas.ts';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
const error = (description: string) => json(ErrorBody, description);
const DENIED = { 401: error('no or a wrong token (embedded), no or an invalid JWT (AWS)') };
const BAD = { 400: error('a parameter is malformed; the body says which and why, on one line') };

export const healthRoute = createRoute({
  method: 'get',
  path: '/api/health',
  summary: 'Liveness; needs no auth',
  security: [],
  responses: { 200: json(Health, 'the API is up') },
});

export const assetsRoute = createRoute({
  method: 'get',
  path: '/api/assets',
  summary: 'Every asset in the registry or seen in `latest`, with rating, latest load, open incidents and status',
  description:
    'Status: `alerting` when an incident is open; `stale` when its newest reading lags the network newest by more than the stale window; `unknown` without readings; else `ok`.',
  responses: { 200: json(AssetList, 'the assets, by id'), ...DENIED },
});

export const latestRoute = createRoute({
  method: 'get',
  path: '/api/assets/{asset_id}/latest',
  summary: "An asset's newest reading of every measurement",
  request: { params: AssetIdParam },
  responses: {
    200: json(AssetLatest, 'the newest readings'),
    ...BAD,
    ...DENIED,
    404: error('the asset has no readings and is not in the registry'),
  },
});

export const seriesRoute = createRoute({
  method: 'get',
  path: '/api/assets/{asset_id}/series',
  summary: 'Readings of one asset over a range, downsampled to max_points keeping each bucket min and max',
  description:
    'The part of the range within the readings TTL (`DUBEGRID_READINGS_TTL_DAYS`) is read from the time-series table, the part older than it from the lake. ' +
    'When the answer is downsampled to buckets of an hour or more, bucket edges fall on whole hours (a day or more: whole days) and the rollups (`readings_hourly`, `readings_daily`) answer the whole periods of every finished day whose rollups are current; the same buckets read from the readings have the same min and max. ' +
    '`store` says which answered, `downsampled` whether points were merged.',
  request: { params: AssetIdParam, query: SeriesQuery },
  responses: { 200: json(AssetSeries, 'the series'), ...BAD, ...DENIED },
});

export const alertsRoute = createRoute({
  method: 'get',
  path: '/api/alerts',
  summary: 'Incidents raised by the anomaly rules, by opening time',
  description:
    'On AWS the console polls this route every few seconds with `since=` for new alerts: API Gateway HTTP APIs neither stream Lambda responses nor hold an integration open past 30 s, so `/api/alerts/stream` exists only on the embedded server.',
  request: { query: AlertsQuery },
  responses: { 200: json(AlertList, 'matching incidents'), ...BAD, ...DENIED },
});

export const alertStreamRoute = createRoute({
  method: 'get',
  path: '/api/alerts/stream',
  summary: 'Server-Sent Events: each new alert notification as an `alert` event (embedded server only)',
  description:
    'Read it with `fetch` and the body reader, sending the Authorization header (EventSource cannot send headers; never put the token in the URL). Every event is `event: alert` with an AlertNotification as JSON data; comment lines keep the connection alive. Not available on AWS (501): poll `GET /api/alerts?since=` there.',
  responses: {
    200: {
      content: { 'text/event-stream': { schema: AlertNotification } },
      description: 'the stream; each `data:` line is an AlertNotification',
    },
    ...DENIED,
    501: error('this target cannot stream (AWS): poll /api/alerts'),
  },
});

export const queriesRoute = createRoute({
  method: 'get',
  path: '/api/queries',
  summary: 'The named queries and their typed parameters (no raw SQL is accepted over HTTP)',
  responses: { 200: json(QueryList, 'the named queries'), ...DENIED },
});

export const runQueryRoute = createRoute({
  method: 'get',
  path: '/api/queries/{name}',
  summary: "Runs a named query; its parameters are this request's query-string values",
  description:
    'Waits up to about 20 s: a finished run comes back with its rows (200); a longer one as `running` with its id (202), then poll `/api/queries/runs/{id}`.',
  request: { params: QueryNameParam },
  responses: {
    200: json(QueryRun, 'the run finished (succeeded or failed)'),
    202: json(QueryRun, 'still running: poll /api/queries/runs/{id}'),
    ...BAD,
    ...DENIED,
    404: error('no such named query'),
  },
});

export const queryRunRoute = createRoute({
  method: 'get',
  path: '/api/queries/runs/{id}',
  summary: 'The state of a query run, with its rows once it has succeeded',
  request: { params: RunIdParam },
  responses: {
    200: json(QueryRun, 'the run finished (succeeded or failed)'),
    202: json(QueryRun, 'still running'),
    ...BAD,
    ...DENIED,
    404: error('no such run'),
  },
});

export const reportRoute = createRoute({
  method: 'get',
  path: '/api/report',
  summary:
    'The asset performance summary of one month (named query asset_summary_monthly), highest peak utilisation first',
  request: { query: MonthQuery },
  responses: {
    200: json(Report, 'the summary (or its failure)'),
    202: json(Report, 'still running: poll /api/queries/runs/{id}'),
    ...BAD,
    ...DENIED,
    404: error('the lake holds no readings yet'),
  },
});
