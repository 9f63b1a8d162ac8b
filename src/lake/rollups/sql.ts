/**
 * The fact layer's SQL: one day partition's deduplicated readings (a relation named
 * `readings`, the view's own SQL over that day's objects) in, one grain's rollup rows
 * out. DuckDB runs it on both targets (the builder is the same code on Lambda and
 * locally), so it may use DuckDB's timestamp literals.
 *
 * `expected_count` is the one definition in `src/shared/expected.ts`: the asset's
 * cadence (the most common gap between its readings, here within the day, so a day's
 * rollups depend on that day alone) counted over the period's part of the lake's
 * network-wide coverage (first reading → watermark), which the builder passes in. The
 * registry's interval, where it gives one, wins over the cadence: the builder loads it as
 * the relation `REGISTRY_INTERVALS` (`asset_id`, `interval_s`).
 */
import { cadenceCtesSql, expectedIntervalsSql, type Coverage } from '../../shared/expected.ts';
import { ROLLUP_COLUMNS, ROLLUP_GRAINS, type RollupGrain } from '../../shared/glue.ts';

/** The relation of registry intervals (`asset_id`, `interval_s` in seconds) the rollup SQL reads. */
export const REGISTRY_INTERVALS = 'registry_interval_rows';

/** `TIMESTAMP '…'` of an epoch-ms instant, in DuckDB's literal form. */
export function timestampLiteral(ms: number): string {
  return `TIMESTAMP '${new Date(ms).toISOString().replace('T', ' ').replace('Z', '')}'`;
}

/** The rollup rows of one grain over the relation `readings`, in `ROLLUP_COLUMNS` order, sorted by key. */
export function rollupSql(grain: RollupGrain, coverage: Coverage): string {
  const unit = ROLLUP_GRAINS[grain].unit;
  const covered = `SELECT ${timestampLiteral(coverage.firstMs)} AS first_ts, ${timestampLiteral(coverage.watermarkMs)} AS watermark_ts`;
  const expected = expectedIntervalsSql(
    'facts.period_start',
    `facts.period_start + INTERVAL '1' ${unit}`,
    'facts.interval_s',
  );
  const out: Record<string, string> = {
    interval_s: 'CAST(facts.interval_s AS BIGINT)',
    expected_count: `CASE WHEN facts.interval_s IS NULL THEN NULL ELSE ${expected} END`,
  };
  return `WITH day_readings AS (
  SELECT asset_id, substation_id, feeder_id, measurement, unit, ts, value FROM readings
),
${cadenceCtesSql('day_readings', covered, `SELECT asset_id, interval_s FROM ${REGISTRY_INTERVALS}`)},
facts AS (
  SELECT r.asset_id, r.measurement, date_trunc('${unit}', r.ts) AS period_start,
    max(r.substation_id) AS substation_id, max(r.feeder_id) AS feeder_id, max(r.unit) AS unit,
    count(*) AS count, min(r.value) AS min, max(r.value) AS max, avg(r.value) AS mean, sum(r.value) AS sum,
    stddev_pop(r.value) AS stddev, min(r.ts) AS first_ts, max(r.ts) AS last_ts, max(c.interval_s) AS interval_s
  FROM day_readings r
  LEFT JOIN cadence c ON c.asset_id = r.asset_id
  GROUP BY r.asset_id, r.measurement, date_trunc('${unit}', r.ts)
)
SELECT ${ROLLUP_COLUMNS.map((c) => `${out[c.name] ?? `facts.${c.name}`} AS ${c.name}`).join(', ')}
FROM facts CROSS JOIN coverage
ORDER BY facts.asset_id, facts.measurement, facts.period_start`;
}
