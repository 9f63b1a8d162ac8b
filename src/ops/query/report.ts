/**
 * The asset performance report: the monthly and daily summaries (named queries, alert
 * counts included, from the alert lake), and for the top assets (by peak utilisation
 * of their rating) an hourly profile for the charts. The same on both targets.
 */
import { paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import type { Clients } from '../../shared/clients.ts';
import { PREFIXES } from '../../shared/resources.ts';
import { monthParams, runNamed, type FactsCurrent } from './named.ts';
import { rowObjects, type Cell, type SqlEngine } from './result.ts';

export type Row = Record<string, Cell>;

export interface ChartSeries {
  readonly asset_id: string;
  readonly rating: number | null;
  readonly rating_unit: string;
  /** `asset_hourly_profile` rows: hour, mean_kw, max_kw, max_load, v_min, v_max. */
  readonly hours: readonly Row[];
}

export interface Report {
  readonly month: string;
  readonly target: 'local' | 'aws';
  readonly generated_at: string;
  /** One row per asset (the monthly summary, `alerts` and `critical_alerts` included), highest peak utilisation first. */
  readonly assets: readonly Row[];
  /** One row per asset per day, with the day's alert counts. */
  readonly daily: readonly Row[];
  readonly charts: readonly ChartSeries[];
}

export interface ReportOptions {
  /** `YYYY-MM`; the latest month in the lake when absent. */
  readonly month?: string | undefined;
  /** Assets charted (and shown in the terminal). @default 10 */
  readonly top?: number | undefined;
  readonly now?: (() => Date) | undefined;
  /**
   * Whether the month's fact layer is current (`factsCurrentIn` over the bucket): then the
   * summaries are composed from the interval facts, else read from `readings`.
   * @default none: `readings`, always right
   */
  readonly factsCurrent?: FactsCurrent | undefined;
}

export class ReportError extends Error {
  override name = 'ReportError';
}

/**
 * The latest `YYYY-MM` with objects in the lake. Read from the partition prefixes
 * (`Delimiter: '/'`, no data read); s3rver answers such listings without the nested
 * keys, so when they come back empty every key is listed instead.
 */
export async function latestLakeMonth(s3: S3Client, bucket: string): Promise<string | undefined> {
  const monthOf = (key: string): string | undefined => {
    const m = /y=(\d{4})\/m=(\d{2})\//.exec(key);
    return m ? `${m[1]}-${m[2]}` : undefined;
  };
  const list = async (prefix: string, delimiter?: string): Promise<string[]> => {
    const out: string[] = [];
    for await (const page of paginateListObjectsV2(
      { client: s3 },
      { Bucket: bucket, Prefix: prefix, ...(delimiter ? { Delimiter: delimiter } : {}) },
    )) {
      if (delimiter) for (const p of page.CommonPrefixes ?? []) out.push(p.Prefix ?? '');
      else for (const o of page.Contents ?? []) out.push(o.Key ?? '');
    }
    return out.sort();
  };
  for (const year of (await list(PREFIXES.processed, '/')).reverse()) {
    const month = (await list(year, '/'))
      .map(monthOf)
      .filter((m) => m !== undefined)
      .pop();
    if (month) return month;
  }
  return (await list(PREFIXES.processed))
    .map(monthOf)
    .filter((m) => m !== undefined)
    .sort()
    .pop();
}

export async function buildReport(engine: SqlEngine, clients: Clients, options: ReportOptions = {}): Promise<Report> {
  const month = options.month ?? (await latestLakeMonth(clients.s3, clients.names.bucket));
  if (!month)
    throw new ReportError('the lake holds no readings yet: ingest some data first (or name a month with --month)');
  const params = monthParams(month);
  // one look at the month's facts for both summaries: composed from them when current
  const current = (await options.factsCurrent?.(params.year, params.month)) ?? false;
  const [monthly, daily] = await Promise.all([
    runNamed(engine, 'asset_summary_monthly', params, async () => current),
    runNamed(engine, 'asset_summary_daily', params, async () => current),
  ]);
  const assets: Row[] = rowObjects(monthly).sort(byUtilisation);
  const dailyRows = rowObjects(daily);
  const top = assets.slice(0, options.top ?? 10);
  const charts: ChartSeries[] = [];
  for (const a of top) {
    const profile = await runNamed(engine, 'asset_hourly_profile', {
      ...params,
      substation_id: String(a.substation_id),
      feeder_id: String(a.feeder_id ?? ''),
    });
    charts.push({
      asset_id: String(a.asset_id),
      rating: typeof a.rating === 'number' ? a.rating : null,
      rating_unit: String(a.rating_unit ?? ''),
      hours: rowObjects(profile),
    });
  }
  return {
    month,
    target: engine.target,
    generated_at: (options.now?.() ?? new Date()).toISOString(),
    assets,
    daily: dailyRows,
    charts,
  };
}

/** Highest peak utilisation first (unrated assets last), then peak demand, then id. */
function byUtilisation(a: Row, b: Row): number {
  const num = (v: Cell | undefined): number => (typeof v === 'number' ? v : Number.NEGATIVE_INFINITY);
  return (
    num(b.peak_utilisation_pct) - num(a.peak_utilisation_pct) ||
    num(b.peak_demand_kw) - num(a.peak_demand_kw) ||
    String(a.asset_id).localeCompare(String(b.asset_id))
  );
}

/** Columns of the report's tables: the summary's, then the alert counts. */
export const REPORT_COLUMNS = [
  'asset_id',
  'substation_id',
  'feeder_id',
  'period',
  'interval_minutes',
  'intervals_expected',
  'intervals_present',
  'completeness_pct',
  'peak_demand_kw',
  'mean_demand_kw',
  'load_factor',
  'rating',
  'rating_unit',
  'peak_utilisation_pct',
  'mean_utilisation_pct',
  'minutes_outside_voltage_band',
  'mean_phase_imbalance_pct',
  'max_phase_imbalance_pct',
  'reverse_power_minutes',
  'alerts',
  'critical_alerts',
] as const;

/** The short form a terminal shows. */
export const TERMINAL_COLUMNS: readonly (readonly [string, (typeof REPORT_COLUMNS)[number]])[] = [
  ['asset', 'asset_id'],
  ['peak kW', 'peak_demand_kw'],
  ['mean kW', 'mean_demand_kw'],
  ['LF', 'load_factor'],
  ['peak util %', 'peak_utilisation_pct'],
  ['rating', 'rating'],
  ['V out min', 'minutes_outside_voltage_band'],
  ['imbal %', 'mean_phase_imbalance_pct'],
  ['reverse min', 'reverse_power_minutes'],
  ['complete % (covered period)', 'completeness_pct'],
  ['alerts', 'alerts'],
];
