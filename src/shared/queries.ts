/**
 * The named queries: ONE definition each, run by `dubegrid query --named` (DuckDB on the
 * embedded target, Athena on AWS) and registered by the CDK stack as
 * `AWS::Athena::NamedQuery`. The SQL is the dialect both Trino and DuckDB accept: no
 * engine-specific functions, every division on DOUBLEs (Trino divides integers as
 * integers), no reliance on `greatest` skipping NULLs (DuckDB does, Trino does not).
 *
 * Parameters are `?` placeholders, each bound to one named parameter in order (Athena
 * execution parameters; DuckDB prepared parameters). Every query filters on the `y`/`m`
 * partitions first, so Athena reads one month, never the whole lake.
 *
 * Relations: `readings` (the deduplicating view, see `glue.ts`), `assets` (the
 * registry, every column a string), `alerts` (the alert notifications, by the day
 * their incident opened) and the fact layer: the summaries are composed from the
 * interval facts (`asset_intervals_daily`, `asset_gaps_daily`), with their readings form
 * as `fallback` for a month whose facts are not current.
 *
 * What the summary's figures mean is documented in `docs/lake.md` ("The asset performance summary").
 */
import { cadenceCtesSql, expectedIntervalsSql, GAP_SECONDS_SQL, registryIntervalsSql } from './expected.ts';
import { STATUTORY_VOLTAGE } from './network.ts';
import { INTERVAL_FACT_COLUMNS } from './glue.ts';
import { GLUE } from './resources.ts';

/** Measurement slugs the queries read (as the splitter normalises the LV monitor's descriptions). */
export const SUMMARY_MEASUREMENTS = {
  activePower: 'total_active_power',
  reactivePower: 'total_reactive_power',
  apparentPower: 'total_apparent_power',
  current: ['l1_current', 'l2_current', 'l3_current'],
  voltage: ['l1_voltage', 'l2_voltage', 'l3_voltage'],
} as const;

export interface QueryParameter {
  readonly name: string;
  readonly description: string;
  /** A value must match this whole. */
  readonly pattern: RegExp;
  readonly example: string;
}

export interface NamedQuery {
  readonly name: string;
  readonly description: string;
  readonly parameters: readonly QueryParameter[];
  /** SQL with one `?` per entry of `bind`. */
  readonly sql: string;
  /** The parameter name each `?` takes, in order of appearance. */
  readonly bind: readonly string[];
  /**
   * For a query that reads the fact layer: the same answer from `readings`, which a runner
   * takes while the month's facts are not current (`runNamed`'s `factsCurrent`).
   */
  readonly fallback?: NamedQuery;
}

const YEAR: QueryParameter = {
  name: 'year',
  description: 'year of the readings, YYYY',
  pattern: /^\d{4}$/,
  example: '2025',
};
const MONTH: QueryParameter = {
  name: 'month',
  description: 'month of the readings, MM (01-12)',
  pattern: /^(0[1-9]|1[0-2])$/,
  example: '08',
};
/*
 * Ids are bound as parameters, never spliced into SQL; the patterns are still as tight
 * as the ids are (letters, digits, `. _ : -`), so a value carrying SQL is refused
 * before anything runs — over HTTP as on the command line.
 */
const SUBSTATION: QueryParameter = {
  name: 'substation_id',
  description: 'substation id as the source gives it (letters, digits, . _ -)',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/,
  example: 'LV100001',
};
const FEEDER: QueryParameter = {
  name: 'feeder_id',
  description:
    'feeder id as the source gives it (letters, digits, . _ -); empty for the substation (transformer) itself',
  pattern: /^[A-Za-z0-9._-]{0,64}$/,
  example: '01',
};
const ASSET: QueryParameter = {
  name: 'asset_id',
  description: 'asset id: <substation> or <substation>:<feeder>',
  pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,159}$/,
  example: 'LV100001:1',
};
const MEASUREMENT: QueryParameter = {
  name: 'measurement',
  description: 'measurement slug, e.g. total_active_power',
  pattern: /^[a-z0-9_]{1,64}$/,
  example: 'total_active_power',
};

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const inList = (xs: readonly string[]): string => xs.map(quote).join(', ');
const M = SUMMARY_MEASUREMENTS;
const [I1, I2, I3] = M.current;

/** Every measurement the summary reads; the load queries read active power only. */
const ALL_MEASUREMENTS: readonly string[] = [
  M.activePower,
  M.reactivePower,
  M.apparentPower,
  ...M.current,
  ...M.voltage,
];
const LOAD_ONLY: readonly string[] = [M.activePower];

/**
 * The readings of one month (only the measurements a query reads, plus `extra`
 * conditions), one row per asset per interval with the measurements side by side, and
 * the substations' own rows: a substation's figure is its transformer's reading where
 * it has one, else the sum over its feeders (apparent power as |ΣP + jΣQ|).
 */
function intervalCtes(measurements: readonly string[], extra = '', monthScoped = true): string {
  // A substation's sum over its feeders, settled to 8 decimals: the engine adds the feeders
  // in any order, and a sum that is 0 in exact arithmetic (+1.9, −1.2, −0.7) came out
  // ±2e-16, so the interval's reverse-power flag (kW < 0) changed from one plan to the next
  // (the 30 × 31 benchmark: one substation-day's reverse-power minutes read 360 or 370).
  const feederSum = (column: string): string => `round(sum(CASE WHEN feeder_id <> '' THEN ${column} END), 8)`;
  return `scope AS (
  SELECT asset_id, substation_id, substation_name, feeder_id, ts, measurement, value
  FROM readings
  WHERE ${monthScoped ? 'y = :year AND m = :month AND ' : ''}measurement IN (${inList(measurements)})${extra}
),
asset_intervals AS (
  SELECT asset_id, max(substation_id) AS substation_id, max(feeder_id) AS feeder_id, ts,
    max(CASE WHEN measurement = ${quote(M.activePower)} THEN value END) AS kw,
    max(CASE WHEN measurement = ${quote(M.reactivePower)} THEN value END) AS kvar,
    max(CASE WHEN measurement = ${quote(M.apparentPower)} THEN value END) AS kva,
    max(CASE WHEN measurement = ${quote(I1)} THEN value END) AS i1,
    max(CASE WHEN measurement = ${quote(I2)} THEN value END) AS i2,
    max(CASE WHEN measurement = ${quote(I3)} THEN value END) AS i3,
    min(CASE WHEN measurement IN (${inList(M.voltage)}) THEN value END) AS v_min,
    max(CASE WHEN measurement IN (${inList(M.voltage)}) THEN value END) AS v_max
  FROM scope
  GROUP BY asset_id, ts
),
substation_intervals AS (
  SELECT substation_id AS asset_id, substation_id, '' AS feeder_id, ts,
    COALESCE(max(CASE WHEN feeder_id = '' THEN kw END), ${feederSum('kw')}) AS kw,
    COALESCE(max(CASE WHEN feeder_id = '' THEN kvar END), ${feederSum('kvar')}) AS kvar,
    COALESCE(max(CASE WHEN feeder_id = '' THEN kva END),
      sqrt(power(${feederSum('kw')}, 2) + power(${feederSum('kvar')}, 2))) AS kva,
    COALESCE(max(CASE WHEN feeder_id = '' THEN i1 END), ${feederSum('i1')}) AS i1,
    COALESCE(max(CASE WHEN feeder_id = '' THEN i2 END), ${feederSum('i2')}) AS i2,
    COALESCE(max(CASE WHEN feeder_id = '' THEN i3 END), ${feederSum('i3')}) AS i3,
    min(v_min) AS v_min,
    max(v_max) AS v_max
  FROM asset_intervals
  GROUP BY substation_id, ts
),
intervals AS (
  SELECT asset_id, substation_id, feeder_id, ts, kw, kvar, kva, i1, i2, i3, v_min, v_max FROM asset_intervals WHERE feeder_id <> ''
  UNION ALL
  SELECT asset_id, substation_id, feeder_id, ts, kw, kvar, kva, i1, i2, i3, v_min, v_max FROM substation_intervals
)`;
}

/**
 * Per interval, what needs no registry: the highest and mean phase current, the load a
 * rating is compared with (a feeder's highest phase current, a substation's apparent
 * power), phase imbalance, voltage and reverse-power flags. The interval facts are built
 * from exactly this (`INTERVAL_FACTS`), the summaries from readings read it too.
 */
const FLAGGED_CTES = `phases AS (
  SELECT asset_id, substation_id, feeder_id, ts, kw, kva, v_min, v_max,
    CASE WHEN i1 IS NOT NULL AND i2 IS NOT NULL AND i3 IS NOT NULL THEN greatest(i1, i2, i3) END AS i_max,
    CASE WHEN i1 IS NOT NULL AND i2 IS NOT NULL AND i3 IS NOT NULL THEN (i1 + i2 + i3) / 3 END AS i_mean
  FROM intervals
),
flagged AS (
  SELECT asset_id, substation_id, feeder_id, ts, kw, kva, v_min, v_max, i_max,
    CASE WHEN feeder_id <> '' THEN i_max ELSE kva END AS rated_load,
    CASE WHEN i_mean > 0 THEN (i_max - i_mean) / i_mean * 100 END AS imbalance_pct,
    CASE WHEN v_min < ${STATUTORY_VOLTAGE.minV} OR v_max > ${STATUTORY_VOLTAGE.maxV} THEN 1 ELSE 0 END AS voltage_out,
    CASE WHEN kw < 0 THEN 1 ELSE 0 END AS reverse_power
  FROM phases
)`;

/** The registry's ratings: a feeder's rated current (A), a substation's transformer (kVA). */
const RATINGS_CTES = `ratings AS (
  SELECT substation_number AS substation_id, feeder_id,
    max(TRY_CAST(feeder_rated_current_a AS DOUBLE)) AS rated_current_a,
    max(TRY_CAST(transformer_kva AS DOUBLE)) AS transformer_kva
  FROM assets
  GROUP BY substation_number, feeder_id
),
substation_ratings AS (
  SELECT substation_id, max(transformer_kva) AS transformer_kva FROM ratings GROUP BY substation_id
)`;

/** The rating of the asset of the row `alias` (with `substation_id`, `feeder_id`), and the joins it needs. */
const ratingSql = (alias: string): string =>
  `CASE WHEN ${alias}.feeder_id <> '' THEN r.rated_current_a ELSE sr.transformer_kva END`;
const ratingUnitSql = (alias: string): string => `CASE WHEN ${alias}.feeder_id <> '' THEN 'A' ELSE 'kVA' END`;
const ratingJoins = (alias: string): string =>
  `LEFT JOIN ratings r ON r.substation_id = ${alias}.substation_id AND r.feeder_id = ${alias}.feeder_id
  LEFT JOIN substation_ratings sr ON sr.substation_id = ${alias}.substation_id`;

/**
 * Per interval: the rating (a feeder's rated current in A, a substation's transformer
 * in kVA), utilisation against it, phase imbalance, voltage and reverse-power flags.
 */
const MEASURED_CTES = `${FLAGGED_CTES},
${RATINGS_CTES},
rated AS (
  SELECT f.asset_id, f.substation_id, f.feeder_id, f.ts, f.kw, f.kva, f.i_max, f.v_min, f.v_max, f.rated_load,
    f.imbalance_pct, f.voltage_out, f.reverse_power, ${ratingSql('f')} AS rating, ${ratingUnitSql('f')} AS rating_unit
  FROM flagged f
  ${ratingJoins('f')}
),
measured AS (
  SELECT asset_id, substation_id, feeder_id, ts, kw, kva, i_max, v_min, v_max, rating, rating_unit,
    CASE WHEN rating > 0 THEN rated_load / rating * 100 END AS utilisation_pct,
    imbalance_pct, voltage_out, reverse_power
  FROM rated
),
${cadenceCtesSql('intervals', undefined, registryIntervalsSql('assets'))}`;

/**
 * The summaries' interval facts (`asset_intervals_daily`, `asset_gaps_daily`), built per
 * day partition by the rollup builder over a relation `readings` holding that day only:
 * `daySql` materialises the day's intervals as `intervals`, then `factsSql` and `gapsSql`
 * read it. The same CTEs as the summaries from readings, so what they compose is exact.
 * Only partials that add up over days: counts, sums, maxima, flag counts, first and last
 * interval (see `INTERVAL_FACT_COLUMNS`).
 */
export const INTERVAL_FACTS = {
  daySql: `WITH ${intervalCtes(ALL_MEASUREMENTS, '', false)}
SELECT asset_id, substation_id, feeder_id, ts, kw, kvar, kva, i1, i2, i3, v_min, v_max FROM intervals`,
  factsSql: `WITH ${FLAGGED_CTES}
SELECT asset_id, date_trunc('day', ts) AS period_start, substation_id, feeder_id,
  count(*) AS intervals,
  count(kw) AS kw_count, sum(kw) AS kw_sum, max(kw) AS kw_max,
  count(rated_load) AS rated_load_count, sum(rated_load) AS rated_load_sum, max(rated_load) AS rated_load_max,
  count(imbalance_pct) AS imbalance_count, sum(imbalance_pct) AS imbalance_sum, max(imbalance_pct) AS imbalance_max,
  sum(voltage_out) AS voltage_out_intervals,
  sum(reverse_power) AS reverse_power_intervals,
  min(ts) AS first_ts, max(ts) AS last_ts
FROM flagged
GROUP BY asset_id, substation_id, feeder_id, date_trunc('day', ts)
ORDER BY asset_id, period_start`,
  gapsSql: `WITH gaps AS (
  SELECT asset_id, date_trunc('day', ts) AS period_start, ${GAP_SECONDS_SQL} AS gap_s FROM intervals
)
SELECT asset_id, period_start, gap_s, count(*) AS gap_count
FROM gaps
WHERE gap_s > 0
GROUP BY asset_id, period_start, gap_s
ORDER BY asset_id, period_start, gap_s`,
} as const;

/** One measurement of one asset through one month, reading by reading (the API's series older than the readings TTL). */
const ASSET_MEASUREMENT_MONTH = `SELECT ts, unit, value
FROM readings
WHERE y = :year AND m = :month AND asset_id = :asset_id AND measurement = :measurement
ORDER BY ts`;

/**
 * One measurement of one asset through one month from a rollup table, period by period:
 * what a long series needs for its min/max buckets (the API's series when its buckets
 * are whole hours or days), without reading every reading.
 */
const assetMeasurementRollup = (table: string): string => `SELECT period_start, unit, count, min, max, first_ts, last_ts
FROM ${table}
WHERE y = :year AND m = :month AND asset_id = :asset_id AND measurement = :measurement
ORDER BY period_start`;

type Grain = 'day' | 'month';

/**
 * Incidents opened in the period; one is critical if any of its notifications is (opened
 * critical, or escalated). DISTINCT: an incident has several notifications.
 */
const alertCountsCte = (grain: Grain): string => `alert_counts AS (
  SELECT asset_id, substr(opened_at, 1, ${grain === 'day' ? 10 : 7}) AS period,
    count(DISTINCT CASE WHEN kind = 'open' THEN alert_id END) AS alerts,
    count(DISTINCT CASE WHEN severity = 'critical' THEN alert_id END) AS critical_alerts
  FROM alerts
  WHERE y = :year AND m = :month
  GROUP BY asset_id, substr(opened_at, 1, ${grain === 'day' ? 10 : 7})
)`;

/**
 * A mean as its exact value would round: to 8 decimals first. A mean is a sum of doubles,
 * and the order they are added in (the engine's threads; a month as Σ of daily sums)
 * moves its last bits (~1e-12 here). Readings with one decimal make means that are
 * exactly on a rounding boundary (x.xx5) common, and those bits then decided the reported
 * digit: the same data read 13.13 or 13.12 depending on the plan. Settled first, both forms
 * of the summary (and two runs of one) report the same figure; nothing else moves, since a
 * mean is never meaningful to 1e-8.
 */
const settled = (mean: string): string => `round(${mean}, 8)`;

/**
 * The summary's rows from `grouped` (one row per asset × period: `period_start`,
 * `interval_s`, `intervals_present`, `peak_kw`, `mean_kw`, `rating`, `rating_unit`,
 * `peak_utilisation`, `mean_utilisation`, `voltage_out`, `mean_imbalance`,
 * `max_imbalance`, `reverse_power`), the `coverage` CTE and `alert_counts`: expected
 * intervals, rounding and alerts, the same whichever relation `grouped` was read from.
 */
function summaryTail(grain: Grain): string {
  const periodText =
    grain === 'day'
      ? 'CAST(CAST(p.period_start AS DATE) AS VARCHAR)'
      : 'substr(CAST(CAST(p.period_start AS DATE) AS VARCHAR), 1, 7)';
  const periodEnd = `p.period_start + INTERVAL '1' ${grain === 'day' ? 'DAY' : 'MONTH'}`;
  // Expected intervals: the asset's cadence over the part of the period the data covers
  // network-wide (src/shared/expected.ts). Coverage is taken within the month the query
  // reads (Athena reads one month partition), which equals the dataset's first reading →
  // watermark except where the whole network was silent at the month's very edge.
  return `periods AS (
  SELECT p.*, ${periodText} AS period,
    ${expectedIntervalsSql('p.period_start', periodEnd, 'p.interval_s')} AS intervals_expected
  FROM grouped p CROSS JOIN coverage
)
SELECT periods.asset_id AS asset_id, substation_id, feeder_id, periods.period AS period,
  round(CAST(interval_s AS DOUBLE) / 60, 2) AS interval_minutes,
  intervals_expected,
  intervals_present,
  CASE WHEN intervals_expected > 0
    THEN round(least(100E0, CAST(intervals_present AS DOUBLE) / intervals_expected * 100), 2) END AS completeness_pct,
  round(peak_kw, 2) AS peak_demand_kw,
  round(${settled('mean_kw')}, 2) AS mean_demand_kw,
  CASE WHEN peak_kw > 0 THEN round(${settled('mean_kw')} / peak_kw, 3) END AS load_factor,
  rating,
  rating_unit,
  round(peak_utilisation, 2) AS peak_utilisation_pct,
  round(${settled('mean_utilisation')}, 2) AS mean_utilisation_pct,
  round(CAST(voltage_out AS DOUBLE) * interval_s / 60, 2) AS minutes_outside_voltage_band,
  round(${settled('mean_imbalance')}, 2) AS mean_phase_imbalance_pct,
  round(max_imbalance, 2) AS max_phase_imbalance_pct,
  round(CAST(reverse_power AS DOUBLE) * interval_s / 60, 2) AS reverse_power_minutes,
  coalesce(a.alerts, 0) AS alerts,
  coalesce(a.critical_alerts, 0) AS critical_alerts
FROM periods
LEFT JOIN alert_counts a ON a.asset_id = periods.asset_id AND a.period = periods.period
ORDER BY asset_id, period`;
}

/** The asset performance summary at one grain from `readings`, interval by interval: the reference, and the fallback. */
function summaryFromReadingsSql(grain: Grain): string {
  return `WITH ${intervalCtes(ALL_MEASUREMENTS)},
${MEASURED_CTES},
${alertCountsCte(grain)},
grouped AS (
  SELECT m.asset_id, m.substation_id, m.feeder_id, date_trunc('${grain}', m.ts) AS period_start, c.interval_s,
    count(*) AS intervals_present,
    max(m.kw) AS peak_kw,
    avg(m.kw) AS mean_kw,
    max(m.rating) AS rating,
    max(m.rating_unit) AS rating_unit,
    max(m.utilisation_pct) AS peak_utilisation,
    avg(m.utilisation_pct) AS mean_utilisation,
    sum(m.voltage_out) AS voltage_out,
    avg(m.imbalance_pct) AS mean_imbalance,
    max(m.imbalance_pct) AS max_imbalance,
    sum(m.reverse_power) AS reverse_power
  FROM measured m
  LEFT JOIN cadence c ON c.asset_id = m.asset_id
  GROUP BY m.asset_id, m.substation_id, m.feeder_id, date_trunc('${grain}', m.ts), c.interval_s
),
${summaryTail(grain)}`;
}

/**
 * The same summary composed from the interval facts (`asset_intervals_daily`,
 * `asset_gaps_daily`), one row per asset × day instead of every reading. Exact, because
 * every figure is made of partials that add up over days:
 * - counts and flag counts are sums; peaks are maxima; means are Σ sums ÷ Σ counts;
 * - utilisation: the rating is one number per asset, read from the registry now (not
 *   frozen in the facts), so peak = max(load) ÷ rating × 100 — the same double as the
 *   maximum of each interval's load ÷ rating × 100, since dividing and multiplying by a
 *   positive constant keep order — and mean = Σ load ÷ Σ count ÷ rating × 100;
 * - the cadence (the month's most common gap, ties to the shorter) needs the month's whole
 *   gap histogram: each day's histogram within the day (`asset_gaps_daily`) plus the gap
 *   across each day boundary, from the previous day-with-data's `last_ts` to this day's
 *   `first_ts` — the one gap a day alone cannot see. So a day's facts depend on that day
 *   alone (the build stays incremental) and the histogram is exactly the one over readings;
 * - coverage is the facts' first `first_ts` and last `last_ts` in the month, the same
 *   instants as the readings' min and max.
 * The means differ from the readings' form only in the order doubles are added (~1e-15
 * relative), which the rounding to 2 (load factor 3) decimals hides unless a value lies
 * within that of a rounding boundary.
 */
function summaryFromFactsSql(grain: Grain): string {
  const month = 'WHERE y = :year AND m = :month';
  const gapCounts = `SELECT asset_id, gap_s, sum(n) AS n FROM (
    SELECT asset_id, gap_s, gap_count AS n FROM ${GLUE.gapFactsTableName} ${month}
    UNION ALL
    SELECT asset_id, gap_s, 1 AS n FROM day_edges WHERE gap_s > 0
  ) month_gaps GROUP BY asset_id, gap_s`;
  const positive = (count: string, value: string): string => `CASE WHEN ${count} > 0 THEN ${value} END`;
  return `WITH month_facts AS (
  SELECT ${INTERVAL_FACT_COLUMNS.map((c) => c.name).join(', ')}
  FROM ${GLUE.intervalFactsTableName} ${month}
),
day_edges AS (
  SELECT asset_id, date_diff('second', lag(last_ts) OVER (PARTITION BY asset_id ORDER BY period_start), first_ts) AS gap_s
  FROM month_facts
),
${cadenceCtesSql(
  'month_facts',
  'SELECT min(first_ts) AS first_ts, max(last_ts) AS watermark_ts FROM month_facts',
  registryIntervalsSql('assets'),
  gapCounts,
)},
${RATINGS_CTES},
${alertCountsCte(grain)},
summed AS (
  SELECT f.asset_id, f.substation_id, f.feeder_id, date_trunc('${grain}', f.period_start) AS period_start, c.interval_s,
    CAST(sum(f.intervals) AS BIGINT) AS intervals_present,
    max(f.kw_max) AS peak_kw,
    ${positive('sum(f.kw_count)', 'sum(f.kw_sum) / sum(f.kw_count)')} AS mean_kw,
    max(${ratingSql('f')}) AS rating,
    max(${ratingUnitSql('f')}) AS rating_unit,
    max(f.rated_load_max) AS peak_load,
    ${positive('sum(f.rated_load_count)', 'sum(f.rated_load_sum) / sum(f.rated_load_count)')} AS mean_load,
    CAST(sum(f.voltage_out_intervals) AS BIGINT) AS voltage_out,
    ${positive('sum(f.imbalance_count)', 'sum(f.imbalance_sum) / sum(f.imbalance_count)')} AS mean_imbalance,
    max(f.imbalance_max) AS max_imbalance,
    CAST(sum(f.reverse_power_intervals) AS BIGINT) AS reverse_power
  FROM month_facts f
  ${ratingJoins('f')}
  LEFT JOIN cadence c ON c.asset_id = f.asset_id
  GROUP BY f.asset_id, f.substation_id, f.feeder_id, date_trunc('${grain}', f.period_start), c.interval_s
),
grouped AS (
  SELECT asset_id, substation_id, feeder_id, period_start, interval_s, intervals_present, peak_kw, mean_kw,
    rating, rating_unit,
    CASE WHEN rating > 0 THEN peak_load / rating * 100 END AS peak_utilisation,
    CASE WHEN rating > 0 THEN mean_load / rating * 100 END AS mean_utilisation,
    voltage_out, mean_imbalance, max_imbalance, reverse_power
  FROM summed
),
${summaryTail(grain)}`;
}

const AVG_LOAD_BY_SUBSTATION = `WITH ${intervalCtes(LOAD_ONLY)},
names AS (
  SELECT substation_id, max(substation_name) AS substation_name FROM scope GROUP BY substation_id
)
SELECT s.substation_id, n.substation_name,
  round(avg(s.kw), 2) AS avg_load_kw,
  round(max(s.kw), 2) AS peak_load_kw,
  count(s.kw) AS intervals
FROM substation_intervals s
JOIN names n ON n.substation_id = s.substation_id
GROUP BY s.substation_id, n.substation_name
ORDER BY avg_load_kw DESC, s.substation_id`;

const PEAK_LOAD_BY_ASSET = `WITH ${intervalCtes(LOAD_ONLY)},
peaks AS (
  SELECT asset_id, substation_id, feeder_id, ts, kw, max(kw) OVER (PARTITION BY asset_id) AS peak_kw
  FROM intervals
  WHERE kw IS NOT NULL
)
SELECT asset_id, substation_id, feeder_id, round(peak_kw, 2) AS peak_load_kw, min(ts) AS peak_at
FROM peaks
WHERE kw = peak_kw
GROUP BY asset_id, substation_id, feeder_id, peak_kw
ORDER BY peak_load_kw DESC, asset_id`;

const DAILY_TREND_SUBSTATION = `WITH ${intervalCtes(LOAD_ONLY, ' AND substation_id = :substation_id')}
SELECT CAST(CAST(ts AS DATE) AS VARCHAR) AS reading_date,
  round(avg(kw), 2) AS avg_load_kw,
  round(max(kw), 2) AS peak_load_kw,
  round(min(kw), 2) AS min_load_kw,
  count(kw) AS intervals
FROM substation_intervals
GROUP BY CAST(CAST(ts AS DATE) AS VARCHAR)
ORDER BY reading_date`;

const ASSET_HOURLY_PROFILE = `WITH ${intervalCtes(ALL_MEASUREMENTS, ' AND substation_id = :substation_id')},
${MEASURED_CTES}
SELECT date_trunc('hour', ts) AS hour,
  round(avg(kw), 2) AS mean_kw,
  round(max(kw), 2) AS max_kw,
  round(max(CASE WHEN feeder_id <> '' THEN i_max ELSE kva END), 2) AS max_load,
  max(rating) AS rating,
  max(rating_unit) AS rating_unit,
  round(min(v_min), 1) AS v_min,
  round(max(v_max), 1) AS v_max
FROM measured
WHERE feeder_id = :feeder_id
GROUP BY date_trunc('hour', ts)
ORDER BY hour`;

/** Replaces `:name` markers with `?`, recording which parameter each takes. */
function compile(
  name: string,
  description: string,
  parameters: readonly QueryParameter[],
  template: string,
): NamedQuery {
  const bind: string[] = [];
  const known = new Set(parameters.map((p) => p.name));
  const sql = template.replace(/:([a-z_]+)\b/g, (_m, p: string) => {
    if (!known.has(p)) throw new Error(`named query ${name}: :${p} is not one of its parameters`);
    bind.push(p);
    return '?';
  });
  return { name, description, parameters, sql, bind };
}

/** A summary: composed from the interval facts, with the readings form as its fallback. */
function summary(name: string, description: string, grain: Grain): NamedQuery {
  return {
    ...compile(name, description, [YEAR, MONTH], summaryFromFactsSql(grain)),
    fallback: compile(name, description, [YEAR, MONTH], summaryFromReadingsSql(grain)),
  };
}

export const NAMED_QUERIES = {
  avg_load_by_substation: compile(
    'avg_load_by_substation',
    'Average and peak load (kW) per substation over one month: the transformer reading where there is one, else the sum of its feeders',
    [YEAR, MONTH],
    AVG_LOAD_BY_SUBSTATION,
  ),
  peak_load_by_asset: compile(
    'peak_load_by_asset',
    'Peak load (kW) per asset (feeder and substation) in one month, and when it first occurred',
    [YEAR, MONTH],
    PEAK_LOAD_BY_ASSET,
  ),
  daily_trend_substation: compile(
    'daily_trend_substation',
    'Daily average, peak and minimum load (kW) of one substation through one month',
    [YEAR, MONTH, SUBSTATION],
    DAILY_TREND_SUBSTATION,
  ),
  asset_summary_daily: summary(
    'asset_summary_daily',
    'Asset performance summary per asset per day: demand, load factor, utilisation, voltage, imbalance, reverse power, completeness, alerts',
    'day',
  ),
  asset_summary_monthly: summary(
    'asset_summary_monthly',
    'Asset performance summary per asset for one month: demand, load factor, utilisation, voltage, imbalance, reverse power, completeness, alerts',
    'month',
  ),
  asset_hourly_profile: compile(
    'asset_hourly_profile',
    "One asset's month hour by hour: load against its rating, phase voltage range (the report's charts)",
    [YEAR, MONTH, SUBSTATION, FEEDER],
    ASSET_HOURLY_PROFILE,
  ),
  asset_measurement_month: compile(
    'asset_measurement_month',
    'One measurement of one asset through one month, every reading (time, unit, value)',
    [YEAR, MONTH, ASSET, MEASUREMENT],
    ASSET_MEASUREMENT_MONTH,
  ),
  asset_measurement_hourly: compile(
    'asset_measurement_hourly',
    'One measurement of one asset through one month, hour by hour from the rollups (count, min, max, first and last time)',
    [YEAR, MONTH, ASSET, MEASUREMENT],
    assetMeasurementRollup(GLUE.hourlyTableName),
  ),
  asset_measurement_daily: compile(
    'asset_measurement_daily',
    'One measurement of one asset through one month, day by day from the rollups (count, min, max, first and last time)',
    [YEAR, MONTH, ASSET, MEASUREMENT],
    assetMeasurementRollup(GLUE.dailyTableName),
  ),
} as const satisfies Record<string, NamedQuery>;

export type NamedQueryName = keyof typeof NAMED_QUERIES;

/**
 * Other names a query answers to on the CLI: the summary is "the asset performance
 * report" to its readers (and was `asset_performance_monthly` in earlier READMEs).
 * Not registered with Athena: one named query per definition there.
 */
export const NAMED_QUERY_ALIASES: Readonly<Record<string, NamedQueryName>> = {
  asset_performance_monthly: 'asset_summary_monthly',
  asset_performance_daily: 'asset_summary_daily',
};

/** The parameters naming the month every named query reads. */
export const MONTH_PARAMETERS: readonly string[] = [YEAR.name, MONTH.name];

export class QueryParameterError extends Error {
  override name = 'QueryParameterError';
}

export function isNamedQuery(name: string): name is NamedQueryName {
  return Object.hasOwn(NAMED_QUERIES, name);
}

/** The values for a query's `?`s, in order; every parameter given, valid, and nothing unknown. */
export function bindValues(query: NamedQuery, values: Readonly<Record<string, string>>): string[] {
  const known = new Set(query.parameters.map((p) => p.name));
  const unknown = Object.keys(values).filter((k) => !known.has(k));
  if (unknown.length) {
    throw new QueryParameterError(
      `${query.name} takes ${query.parameters.map((p) => p.name).join(', ') || 'no parameters'}; unknown: ${unknown.join(', ')}`,
    );
  }
  for (const p of query.parameters) {
    const v = values[p.name];
    if (v === undefined)
      throw new QueryParameterError(`${query.name} needs --param ${p.name}=… (${p.description}, e.g. ${p.example})`);
    if (!p.pattern.test(v))
      throw new QueryParameterError(`${query.name}: ${p.name} must be ${p.description}, got ${JSON.stringify(v)}`);
  }
  return query.bind.map((name) => values[name] as string);
}
