/**
 * The API's reads on either target's SDK clients: the registry, `latest`, the
 * incidents and whether the stale_feed watchdog runs from DynamoDB; series from the
 * time-series table, from the lake (the named query `asset_measurement_month`) or from
 * the rollups (`asset_measurement_hourly`/`_daily`, for the days whose rollups are
 * current), on Athena or the embedded DuckDB. Each read is the same call the CLI makes
 * where one exists.
 */
import { paginateQuery, paginateScan } from '@aws-sdk/lib-dynamodb';
import { AlertStore } from '../consumers/anomaly/store/alert-store.ts';
import { FeedStore } from '../consumers/anomaly/store/feed-store.ts';
import { listAssets } from '../consumers/registry/record.ts';
import { currentRollupDays } from '../lake/rollups/built.ts';
import { latestState } from '../consumers/state/queries.ts';
import { runNamed } from '../ops/query/named.ts';
import { latestLakeMonth } from '../ops/query/report.ts';
import { rowObjects, type SqlEngine } from '../ops/query/result.ts';
import type { Clients } from '../shared/clients.ts';
import { canonicalTs } from '../shared/event.ts';
import type { RollupGrain } from '../shared/glue.ts';
import type { ApiStores, LatestPoint, RollupPoint, SeriesPoint, SeriesRange } from './deps.ts';

/** Above every character of a sort key: `<ts>` + this bounds every key beginning with `<ts>`. */
const AFTER_PREFIX = '\uffff';

export interface StoreOptions {
  readonly clients: Pick<Clients, 'doc' | 's3' | 'names'>;
  /** The lake's SQL engine for one read (closed after it). */
  readonly openEngine: () => Promise<SqlEngine>;
}

export function createStores({ clients, openEngine }: StoreOptions): ApiStores {
  const { doc, names } = clients;
  const alerts = new AlertStore(doc, names.tables.alerts);
  const feeds = new FeedStore(doc, names.tables.feeds);
  return {
    registry: () => listAssets(doc, names.tables.assets),
    async latestAll() {
      const out: LatestPoint[] = [];
      for await (const page of paginateScan(
        { client: doc },
        {
          TableName: names.tables.latest,
          ProjectionExpression: 'asset_id, measurement, phase, #u, #v, ts, substation_id, substation_name, feeder_id',
          ExpressionAttributeNames: { '#u': 'unit', '#v': 'value' },
        },
      ))
        out.push(...((page.Items ?? []) as LatestPoint[]));
      return out;
    },
    latest: (assetId) => latestState(doc, assetId, names.tables.latest),
    incidents: (q) =>
      alerts.incidents({
        ...(q.since !== undefined ? { since: q.since } : {}),
        ...(q.severity !== undefined ? { severity: q.severity } : {}),
        ...(q.rule !== undefined ? { rule: q.rule } : {}),
        ...(q.asset !== undefined ? { asset: q.asset } : {}),
      }),
    async watchdogActive() {
      try {
        return await feeds.hasWatermarks();
      } catch (err) {
        // a deployment from before the watchdog has no `feeds` table: no watchdog data
        if ((err as Error).name === 'ResourceNotFoundException') return false;
        throw err;
      }
    },
    tableSeries: (range) => tableSeries(clients, range),
    async lakeSeries(range) {
      const engine = await openEngine();
      try {
        return await lakeSeries(engine, range);
      } finally {
        await engine.close();
      }
    },
    async rollupSeries(range, grain) {
      const engine = await openEngine();
      try {
        return await rollupSeries(engine, range, grain);
      } finally {
        await engine.close();
      }
    },
    currentRollupDays: (days) => currentRollupDays({ s3: clients.s3, bucket: names.bucket }, days),
    latestLakeMonth: () => latestLakeMonth(clients.s3, names.bucket),
  };
}

/** One Query of the asset's partition over the range, only the attributes a chart needs. */
export async function tableSeries(clients: Pick<Clients, 'doc' | 'names'>, range: SeriesRange): Promise<SeriesPoint[]> {
  const wanted = new Set(range.measurements);
  const values: Record<string, string> = {
    ':a': range.assetId,
    ':f': canonicalTs(range.fromMs),
    ':t': `${canonicalTs(range.toMs - 1)}${AFTER_PREFIX}`,
  };
  const ms = [...wanted];
  ms.forEach((m, i) => (values[`:m${i}`] = m));
  const out: SeriesPoint[] = [];
  for await (const page of paginateQuery(
    { client: clients.doc },
    {
      TableName: clients.names.tables.readings,
      KeyConditionExpression: 'asset_id = :a AND sk BETWEEN :f AND :t',
      FilterExpression: `#m IN (${ms.map((_, i) => `:m${i}`).join(', ')})`,
      ProjectionExpression: '#m, #u, #v, ts',
      ExpressionAttributeNames: { '#m': 'measurement', '#u': 'unit', '#v': 'value' },
      ExpressionAttributeValues: values,
    },
  )) {
    for (const item of page.Items ?? []) {
      const t = Date.parse(item.ts as string);
      if (t >= range.fromMs && t < range.toMs)
        out.push({
          measurement: item.measurement as string,
          unit: item.unit as string,
          t,
          value: item.value as number,
        });
    }
  }
  return out;
}

/** Every month the range touches, `{ year, month }`. */
export function monthsOf(fromMs: number, toMs: number): { year: string; month: string }[] {
  const out: { year: string; month: string }[] = [];
  const d = new Date(fromMs);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth();
  while (Date.UTC(y, m, 1) < toMs) {
    out.push({ year: String(y), month: String(m + 1).padStart(2, '0') });
    m++;
    if (m === 12) {
      m = 0;
      y++;
    }
  }
  return out;
}

/** The lake's readings of the range: one named query per month and measurement. */
export async function lakeSeries(engine: SqlEngine, range: SeriesRange): Promise<SeriesPoint[]> {
  const out: SeriesPoint[] = [];
  for (const measurement of range.measurements) {
    for (const month of monthsOf(range.fromMs, range.toMs)) {
      const result = await runNamed(engine, 'asset_measurement_month', {
        ...month,
        asset_id: range.assetId,
        measurement,
      });
      for (const row of rowObjects(result)) {
        const t = Date.parse(String(row.ts));
        if (t >= range.fromMs && t < range.toMs && typeof row.value === 'number')
          out.push({ measurement, unit: String(row.unit ?? ''), t, value: row.value });
      }
    }
  }
  return out.sort((a, b) => a.t - b.t);
}

/** The rollup periods starting in the range: one named query per month and measurement. */
export async function rollupSeries(engine: SqlEngine, range: SeriesRange, grain: RollupGrain): Promise<RollupPoint[]> {
  const out: RollupPoint[] = [];
  for (const measurement of range.measurements) {
    for (const month of monthsOf(range.fromMs, range.toMs)) {
      const result = await runNamed(engine, `asset_measurement_${grain}`, {
        ...month,
        asset_id: range.assetId,
        measurement,
      });
      for (const row of rowObjects(result)) {
        const t = Date.parse(String(row.period_start));
        if (t < range.fromMs || t >= range.toMs || typeof row.min !== 'number' || typeof row.max !== 'number') continue;
        out.push({
          measurement,
          unit: String(row.unit ?? ''),
          t,
          count: Number(row.count),
          min: row.min,
          max: row.max,
          firstMs: Date.parse(String(row.first_ts)),
          lastMs: Date.parse(String(row.last_ts)),
        });
      }
    }
  }
  return out.sort((a, b) => a.t - b.t);
}
