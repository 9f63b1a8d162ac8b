/**
 * What the app is given: its stores, its query runner, its alert feed and its auth.
 * The embedded runtime (`src/local/api/`) and the Lambda entry (`lambda.ts`) each
 * assemble these once; the routes see nothing else, so the same app runs on both.
 */
import type { IncidentRecord } from '../consumers/anomaly/alerts.ts';
import type { AssetItem } from '../shared/asset-item.ts';
import type { RollupGrain } from '../shared/glue.ts';
import type { AlertNotification, QueryRun } from './schemas.ts';

/** The newest reading of one series, as `latest` holds it. */
export interface LatestPoint {
  readonly asset_id: string;
  readonly measurement: string;
  readonly phase: string | null;
  readonly unit: string;
  readonly value: number;
  readonly ts: string;
  readonly substation_id?: string | undefined;
  readonly substation_name?: string | undefined;
  readonly feeder_id?: string | undefined;
}

/** One reading of a series request. */
export interface SeriesPoint {
  readonly measurement: string;
  readonly unit: string;
  /** Epoch ms. */
  readonly t: number;
  readonly value: number;
}

/** One rollup period of one series (`readings_hourly` / `readings_daily`). */
export interface RollupPoint {
  readonly measurement: string;
  readonly unit: string;
  /** The period's start, epoch ms. */
  readonly t: number;
  readonly count: number;
  readonly min: number;
  readonly max: number;
  /** The period's first and last reading, epoch ms. */
  readonly firstMs: number;
  readonly lastMs: number;
}

export interface SeriesRange {
  readonly assetId: string;
  readonly measurements: readonly string[];
  /** Inclusive, epoch ms. */
  readonly fromMs: number;
  /** Exclusive, epoch ms. */
  readonly toMs: number;
}

export interface IncidentQuery {
  readonly since?: string | undefined;
  readonly severity?: IncidentRecord['severity'] | undefined;
  readonly rule?: IncidentRecord['rule'] | undefined;
  readonly asset?: string | undefined;
}

/** The stores, as plain reads. `store.ts` builds them on the SDK clients of either target. */
export interface ApiStores {
  /** Every registry entry. */
  registry(): Promise<readonly AssetItem[]>;
  /** Every `latest` item of every asset. */
  latestAll(): Promise<readonly LatestPoint[]>;
  /** One asset's `latest` items. */
  latest(assetId: string): Promise<readonly LatestPoint[]>;
  /** Incidents (status and close time as stored). */
  incidents(query: IncidentQuery): Promise<readonly IncidentRecord[]>;
  /**
   * Whether the stale_feed watchdog has data (a shard watermark in the `feeds` table);
   * false when the rule is off or the table absent, and `stale` falls back (`status.ts`).
   */
  watchdogActive(): Promise<boolean>;
  /** Readings from the time-series table, time order. */
  tableSeries(range: SeriesRange): Promise<readonly SeriesPoint[]>;
  /** Readings from the lake (named query `asset_measurement_month`), time order. */
  lakeSeries(range: SeriesRange): Promise<readonly SeriesPoint[]>;
  /** The rollup periods starting in the range (named query `asset_measurement_<grain>`), time order. */
  rollupSeries(range: SeriesRange, grain: RollupGrain): Promise<readonly RollupPoint[]>;
  /** Which of the days (`YYYY-MM-DD`) have rollups built from the lake's readings as they are now. */
  currentRollupDays(days: readonly string[]): Promise<ReadonlySet<string>>;
  /** The latest `YYYY-MM` with readings in the lake. */
  latestLakeMonth(): Promise<string | undefined>;
}

/** Named-query runs: started by name with checked parameters, looked up by id. */
export interface QueryRuns {
  start(name: string, params: Readonly<Record<string, string>>): Promise<string>;
  /**
   * The run's state, with its rows once it has succeeded; undefined for an unknown id.
   * A running run may be waited for up to `waitMs` before answering.
   */
  get(id: string, waitMs?: number): Promise<QueryRun | undefined>;
}

/** Live alert notifications (the embedded stack's topic). */
export interface AlertFeed {
  /** Calls `listener` for every notification published from now on; returns the unsubscribe. */
  subscribe(listener: (n: AlertNotification) => void): () => void;
}

export type ApiAuth =
  /** The embedded server: `Authorization: Bearer <token>`, the token from `<data dir>/api-token`. */
  | { readonly kind: 'token'; readonly token: string }
  /** AWS: API Gateway's JWT authorizer has already checked the caller. */
  | { readonly kind: 'upstream' };

export interface ApiDeps {
  readonly target: 'local' | 'aws';
  readonly auth: ApiAuth;
  readonly stores: ApiStores;
  readonly queries: QueryRuns;
  /** Absent on AWS (API Gateway cannot stream): the console polls `/api/alerts`. */
  readonly alerts?: AlertFeed | undefined;
  /** The readings table keeps this many days; older ranges are read from the lake. Unset: no expiry. */
  readonly readingsTtlDays?: number | undefined;
  /**
   * The console's built files (`index.html`, its scripts, styles, `config.json`), served
   * at `/` and every path outside `/api/`; unset: no console.
   */
  readonly consoleDir?: string | undefined;
  /** How long `/api/queries/{name}` waits for rows before answering `running`. @default 20 s */
  readonly queryWaitMs?: number | undefined;
  /** Comment lines on the SSE stream this often, so proxies keep it open. @default 15 s */
  readonly keepAliveMs?: number | undefined;
  readonly now?: (() => Date) | undefined;
}
