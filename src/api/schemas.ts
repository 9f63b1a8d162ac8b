/**
 * Every HTTP shape of the API, declared once (zod, with OpenAPI metadata). The routes
 * (`routes.ts`) validate requests with them, the OpenAPI 3.1 document at
 * `/api/openapi.json` is generated from them, the contract tests validate responses
 * against that document, and the console reads the same field names.
 */
import { z } from '@hono/zod-openapi';
import { RULE_IDS, SEVERITIES } from '../consumers/anomaly/rules/types.ts';
import { ROLLUP_GRAINS } from '../shared/glue.ts';

/** Every 4xx/5xx body: one line saying what was wrong. */
export const ErrorBody = z.object({ error: z.string() }).openapi('Error');

/* ---------------------------------------------------------------- parameters */

/** An asset id as the pipeline spells it: `<substation>` or `<substation>:<feeder>`. */
export const ASSET_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,159}$/;
export const AssetIdParam = z.object({
  asset_id: z
    .string()
    .regex(ASSET_ID_PATTERN, 'asset_id must be <substation> or <substation>:<feeder> (letters, digits, . _ : -)')
    .openapi({ param: { name: 'asset_id', in: 'path' }, example: 'LV100001:1' }),
});

/** A time bound: a date (`2025-08-14`) or a time with a zone (`2025-08-14T15:00:00Z`, `…+01:00`). */
const TIME_TEXT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
export const TimeText = z
  .string()
  .max(40, 'a time is at most 40 characters')
  .regex(TIME_TEXT, 'a time is a date (2025-08-14) or a time with a zone (2025-08-14T15:00:00Z)')
  .refine((s) => Number.isFinite(Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s)), 'not a real date or time')
  .refine((s) => s.slice(0, 4) >= '1970' && s.slice(0, 4) <= '2100', 'the year must be between 1970 and 2100');

/** Epoch ms of a `TimeText`; a bare date is its UTC midnight. */
export function timeMs(text: string): number {
  return Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
}

export const MEASUREMENT_PATTERN = /^[a-z0-9_]{1,64}$/;
export const SERIES_LIMITS = { maxMeasurements: 12, minPoints: 2, maxPoints: 20_000, defaultPoints: 1_000 } as const;
/** The longest range one series request may ask for. */
export const MAX_SERIES_DAYS = 400;

export const SeriesQuery = z
  .object({
    measurement: z
      .string()
      .max(1_000)
      .refine((s) => {
        const parts = s.split(',');
        return parts.length <= SERIES_LIMITS.maxMeasurements && parts.every((p) => MEASUREMENT_PATTERN.test(p));
      }, `measurement is one slug or up to ${SERIES_LIMITS.maxMeasurements} comma-separated slugs (a-z 0-9 _)`)
      .openapi({
        description: 'measurement slug(s), comma-separated, e.g. `l1_voltage,l2_voltage,l3_voltage`',
        example: 'total_active_power',
      }),
    from: TimeText.openapi({
      description: 'start of the range (inclusive); a date is its UTC midnight',
      example: '2025-08-01',
    }),
    to: TimeText.openapi({
      description: 'end of the range (exclusive); a date is its UTC midnight',
      example: '2025-09-01',
    }),
    max_points: z
      .string()
      .regex(/^\d{1,6}$/, 'max_points must be a whole number')
      .transform(Number)
      .refine(
        (n) => n >= SERIES_LIMITS.minPoints && n <= SERIES_LIMITS.maxPoints,
        `max_points must be from ${SERIES_LIMITS.minPoints} to ${SERIES_LIMITS.maxPoints}`,
      )
      .optional()
      .openapi({
        type: 'string',
        description: `at most this many points per series (default ${SERIES_LIMITS.defaultPoints}); more readings are downsampled keeping each bucket's min and max`,
        example: '1000',
      }),
  })
  .refine((q) => timeMs(q.from) < timeMs(q.to), { message: 'from must be before to', path: ['from'] })
  .refine((q) => timeMs(q.to) - timeMs(q.from) <= MAX_SERIES_DAYS * 86_400_000, {
    message: `a series covers at most ${MAX_SERIES_DAYS} days`,
    path: ['to'],
  });

export const AlertsQuery = z.object({
  since: TimeText.optional().openapi({ description: 'incidents opened at or after this reading time' }),
  until: TimeText.optional().openapi({ description: 'incidents opened before this reading time' }),
  severity: z.enum(SEVERITIES).optional(),
  rule: z.enum(RULE_IDS).optional(),
  asset: z.string().regex(ASSET_ID_PATTERN, 'asset must be an asset id').optional(),
  status: z.enum(['open', 'closed']).optional(),
});

export const MonthQuery = z.object({
  month: z
    .string()
    .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month is YYYY-MM')
    .optional()
    .openapi({ description: 'YYYY-MM; the latest month in the lake when absent', example: '2025-08' }),
});

export const QueryNameParam = z.object({
  name: z
    .string()
    .regex(/^[a-z_]{1,64}$/, 'a query name is lower-case letters and _')
    .openapi({ param: { name: 'name', in: 'path' }, example: 'peak_load_by_asset' }),
});

export const RunIdParam = z.object({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,160}$/, 'a run id is letters, digits and . _ -')
    .openapi({ param: { name: 'id', in: 'path' } }),
});

/** A named query's parameters come as query-string values; each is checked against its own pattern. */
export const QueryParams = z.record(z.string(), z.string().max(256, 'a parameter value is at most 256 characters'));

/* ------------------------------------------------------------------ responses */

export const Health = z
  .object({ status: z.literal('ok'), target: z.enum(['local', 'aws']), time: z.string() })
  .openapi('Health');

export const ASSET_STATUSES = ['ok', 'alerting', 'stale', 'unknown'] as const;
export type AssetStatus = (typeof ASSET_STATUSES)[number];

export const AssetSummary = z
  .object({
    asset_id: z.string(),
    kind: z.enum(['substation', 'feeder']),
    substation_id: z.string(),
    substation_name: z.string(),
    feeder_id: z.string(),
    in_registry: z.boolean(),
    rating: z.number().nullable().openapi({ description: "a feeder's rated current (A), a substation's kVA" }),
    rating_unit: z.enum(['A', 'kVA']).nullable(),
    load: z.number().nullable().openapi({ description: 'the latest load in the rating unit' }),
    load_pct: z.number().nullable().openapi({ description: 'latest load as % of rating' }),
    newest_reading: z.string().nullable(),
    open_incidents: z.number().int(),
    status: z.enum(ASSET_STATUSES),
    latitude: z.number().nullable(),
    longitude: z.number().nullable(),
  })
  .openapi('AssetSummary');
export type AssetSummary = z.infer<typeof AssetSummary>;

export const AssetList = z
  .object({
    count: z.number().int(),
    network_newest: z.string().nullable().openapi({ description: "the network's newest reading time" }),
    assets: z.array(AssetSummary),
  })
  .openapi('AssetList');

export const LatestReading = z
  .object({
    measurement: z.string(),
    phase: z.string().nullable(),
    unit: z.string(),
    value: z.number(),
    ts: z.string(),
  })
  .openapi('LatestReading');

export const AssetLatest = z
  .object({ asset_id: z.string(), measurements: z.array(LatestReading) })
  .openapi('AssetLatest');

const READINGS_STORES = ['table', 'lake', 'table+lake'] as const;
type ReadingsStore = (typeof READINGS_STORES)[number];
type RollupTable = (typeof ROLLUP_GRAINS)[keyof typeof ROLLUP_GRAINS]['tableName'];
/** The stores that answered a series, `+`-joined: a rollup table first, then the readings' stores. */
export type SeriesStore = ReadingsStore | RollupTable | `${RollupTable}+${ReadingsStore}`;
export const SERIES_STORES = [
  ...READINGS_STORES,
  ...Object.values(ROLLUP_GRAINS).flatMap((g) => [g.tableName, ...READINGS_STORES.map((s) => `${g.tableName}+${s}`)]),
] as readonly string[] as readonly [SeriesStore, ...SeriesStore[]];
export const Series = z
  .object({
    measurement: z.string(),
    unit: z.string().nullable(),
    readings: z.number().int().openapi({ description: 'readings in the range before downsampling' }),
    t: z.array(z.number()).openapi({ description: 'epoch milliseconds, ascending' }),
    v: z.array(z.number()),
  })
  .openapi('Series');

export const AssetSeries = z
  .object({
    asset_id: z.string(),
    from: z.string(),
    to: z.string(),
    max_points: z.number().int(),
    store: z.enum(SERIES_STORES).openapi({
      description:
        'which stores answered, `+`-joined: `table` (the time-series table), `lake` (readings older than the readings TTL), ' +
        '`readings_hourly` / `readings_daily` (the rollups: when the buckets are whole hours or days, the whole periods of days whose rollups are current; each bucket min and max is exact, and a period’s extremes are drawn at the middle of its first and last reading)',
    }),
    downsampled: z.boolean(),
    series: z.array(Series),
  })
  .openapi('AssetSeries');

export const Incident = z
  .object({
    alert_id: z.string(),
    asset_id: z.string(),
    substation_id: z.string(),
    rule: z.enum(RULE_IDS),
    measurement: z.string(),
    severity: z.enum(SEVERITIES),
    status: z.enum(['open', 'closed']),
    opened_at: z.string(),
    escalated_at: z.string().optional(),
    closed_at: z.string().optional(),
    value: z.number(),
    threshold: z.number(),
    unit: z.string(),
    detail: z.string(),
  })
  .openapi('Incident');

export const AlertList = z.object({ count: z.number().int(), alerts: z.array(Incident) }).openapi('AlertList');

/** One SSE `alert` event's data: a notification (open, escalate or close of an incident). */
export const AlertNotification = z
  .object({
    notification_id: z.string(),
    alert_id: z.string(),
    kind: z.enum(['open', 'escalate', 'close']),
    ts: z.string(),
    asset_id: z.string(),
    substation_id: z.string(),
    rule: z.enum(RULE_IDS),
    measurement: z.string(),
    severity: z.enum(SEVERITIES),
    opened_at: z.string(),
    closed_at: z.string().optional(),
    value: z.number(),
    threshold: z.number(),
    unit: z.string(),
    detail: z.string(),
    summary: z.string(),
  })
  .openapi('AlertNotification');
export type AlertNotification = z.infer<typeof AlertNotification>;

export const QueryParameterInfo = z
  .object({ name: z.string(), description: z.string(), pattern: z.string(), example: z.string() })
  .openapi('QueryParameter');

export const QueryInfo = z
  .object({ name: z.string(), description: z.string(), parameters: z.array(QueryParameterInfo) })
  .openapi('NamedQuery');

export const QueryList = z.object({ queries: z.array(QueryInfo) }).openapi('QueryList');

const Cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export const RUN_STATES = ['running', 'succeeded', 'failed'] as const;
export const QueryRun = z
  .object({
    id: z.string(),
    name: z.string(),
    state: z.enum(RUN_STATES),
    columns: z.array(z.object({ name: z.string(), type: z.string() })).optional(),
    rows: z.array(z.array(Cell)).optional(),
    error: z.string().optional(),
  })
  .openapi('QueryRun');
export type QueryRun = z.infer<typeof QueryRun>;

export const Report = QueryRun.extend({ month: z.string() }).openapi('Report');
