/**
 * "Expected intervals": the ONE definition of how many readings an asset should have
 * sent in a period. The summaries' completeness, the rollups' `expected_count` and the
 * `stale_feed` rule all read it from here (in TypeScript or as SQL over the lake).
 *
 * - An asset's interval is its observed cadence: the most common gap between its
 *   consecutive readings (ties go to the shorter gap), unless the registry gives one
 *   (`interval_minutes` in `assets.csv`; a substation takes the shortest given on any of
 *   its rows, since its monitor reports the transformer with its feeders). The registry
 *   wins: it is what the monitor was configured to send, while a cadence observed over a
 *   feed that lost every other reading would call the loss normal.
 * - Expected intervals are counted only over the part of the period the data covers
 *   network-wide: from the dataset's first reading to the watermark (the newest reading
 *   seen), the watermark's own interval included. A 7-day sample with nothing missing
 *   then reads 100 %, not 7/31 of a month; a feed that dies after day 3 of 7 reads
 *   3/7 ≈ 43 %; a month still in progress does not count its future as missing.
 *
 * Why network-wide coverage and not the asset's own first/last reading: a feed that
 * died must still count the time after its death as missing.
 */

/** Network-wide coverage of the data: first reading and watermark, epoch milliseconds. */
export interface Coverage {
  readonly firstMs: number;
  readonly watermarkMs: number;
}

/** The most common gap (ms) between consecutive distinct timestamps; ties go to the shorter gap. */
export function observedCadenceMs(timestampsMs: readonly number[]): number | undefined {
  const sorted = [...new Set(timestampsMs)].sort((a, b) => a - b);
  const counts = new Map<number, number>();
  for (let i = 1; i < sorted.length; i++) {
    const gap = sorted[i]! - sorted[i - 1]!;
    counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
  let best: { gap: number; n: number } | undefined;
  for (const [gap, n] of counts) {
    if (!best || n > best.n || (n === best.n && gap < best.gap)) best = { gap, n };
  }
  return best?.gap;
}

/** The asset's interval (ms): the registry's when it gives one, else the observed cadence. */
export function intervalMs(observedMs: number | undefined, registryMs: number | undefined): number | undefined {
  return registryMs !== undefined && registryMs > 0 ? registryMs : observedMs;
}

/** The registry's `interval_minutes` text as milliseconds; undefined when empty. Throws on anything else but a positive number. */
export function registryIntervalMs(text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const minutes = Number(text);
  if (!(Number.isFinite(minutes) && minutes > 0))
    throw new RangeError(`interval_minutes must be a positive number of minutes, got "${text}"`);
  return Math.round(minutes * 60_000);
}

/**
 * Intervals expected in [periodStartMs, periodEndMs) for an asset with `intervalMs`,
 * counted over the covered part of the period: [max(start, first), min(end, watermark + interval)).
 */
export function expectedIntervals(
  periodStartMs: number,
  periodEndMs: number,
  coverage: Coverage,
  intervalMs: number,
): number {
  if (!(intervalMs > 0)) return 0;
  const from = Math.max(periodStartMs, coverage.firstMs);
  const to = Math.min(periodEndMs, coverage.watermarkMs + intervalMs);
  return to > from ? Math.floor((to - from) / intervalMs) : 0;
}

/** Completeness in percent (2 decimals), at most 100; undefined when nothing is expected. */
export function completenessPct(present: number, expected: number): number | undefined {
  if (!(expected > 0)) return undefined;
  return Math.round(Math.min(100, (present / expected) * 100) * 100) / 100;
}

/**
 * The registry's intervals as SQL over a relation shaped like the Glue `assets` table
 * (every column a string, one row per feeder and maybe one per substation): rows
 * `(asset_id, interval_s)` by the same rules as `intervalMs`/`registryIntervalMs`, the
 * asset id spelled as `assetIdOf` spells it. Values that are not positive numbers are
 * ignored here (the registry loader refuses such rows).
 */
export function registryIntervalsSql(assetsRelation: string): string {
  const minutes = 'TRY_CAST(interval_minutes AS DOUBLE)';
  const seconds = `CAST(round(min(${minutes}) * 60) AS BIGINT)`;
  return `SELECT substation_number AS asset_id, ${seconds} AS interval_s FROM ${assetsRelation}
  WHERE ${minutes} > 0 GROUP BY substation_number
  UNION ALL
  SELECT substation_number || ':' || feeder_id AS asset_id, ${seconds} AS interval_s FROM ${assetsRelation}
  WHERE ${minutes} > 0 AND feeder_id <> '' GROUP BY substation_number, feeder_id`;
}

/**
 * The gap (whole seconds) between an interval (`ts`) and the asset's previous one, as SQL:
 * what the cadence counts. Gaps of 0 s (readings under a second apart) are not counted.
 */
export const GAP_SECONDS_SQL = `date_diff('second', lag(ts) OVER (PARTITION BY asset_id ORDER BY ts), ts)`;

/**
 * The same definition in the SQL both Trino (Athena) and DuckDB accept.
 * `intervalsSql` names a relation with `asset_id, ts` (one row per reading or interval).
 * It yields CTE bodies `cadence(asset_id, interval_s)` and `coverage(first_ts, watermark_ts)`.
 * `coverageSql`, when given, is the coverage instead of the relation's own span: the
 * rollups see one day at a time but count over the whole lake's coverage.
 * `registrySql`, when given, yields `(asset_id, interval_s)` rows (`registryIntervalsSql`)
 * that win over the observed cadence.
 * `gapCountsSql`, when given, yields the gap histogram `(asset_id, gap_s, n)` instead of the
 * relation's own consecutive gaps: the summaries composed from the interval facts add up
 * their days' histograms (`asset_gaps_daily`) and the gaps across day boundaries.
 */
export function cadenceCtesSql(
  intervalsSql: string,
  coverageSql?: string,
  registrySql?: string,
  gapCountsSql?: string,
): string {
  const observed = `SELECT asset_id, gap_s AS interval_s
  FROM (SELECT asset_id, gap_s, row_number() OVER (PARTITION BY asset_id ORDER BY n DESC, gap_s ASC) AS gap_rank FROM gap_counts) ranked_gaps
  WHERE gap_rank = 1`;
  const cadence = registrySql
    ? `observed_cadence AS (
  ${observed}
),
registry_intervals AS (
  ${registrySql}
),
cadence AS (
  SELECT a.asset_id, COALESCE(r.interval_s, o.interval_s) AS interval_s
  FROM (SELECT DISTINCT asset_id FROM ${intervalsSql}) a
  LEFT JOIN observed_cadence o ON o.asset_id = a.asset_id
  LEFT JOIN registry_intervals r ON r.asset_id = a.asset_id
  WHERE COALESCE(r.interval_s, o.interval_s) IS NOT NULL
)`
    : `cadence AS (
  ${observed}
)`;
  const gapCounts = gapCountsSql
    ? `gap_counts AS (
  ${gapCountsSql}
)`
    : `gaps AS (
  SELECT asset_id, ${GAP_SECONDS_SQL} AS gap_s FROM ${intervalsSql}
),
gap_counts AS (
  SELECT asset_id, gap_s, count(*) AS n FROM gaps WHERE gap_s > 0 GROUP BY asset_id, gap_s
)`;
  return `${gapCounts},
${cadence},
coverage AS (
  ${coverageSql ?? `SELECT min(ts) AS first_ts, max(ts) AS watermark_ts FROM ${intervalsSql}`}
)`;
}

/**
 * SQL for the expected interval count of a period [start, end) given the asset's
 * `interval_s` and the `coverage` CTE's columns; the same arithmetic as `expectedIntervals`.
 */
export function expectedIntervalsSql(startSql: string, endSql: string, intervalSql: string): string {
  const from = `CASE WHEN coverage.first_ts > ${startSql} THEN coverage.first_ts ELSE ${startSql} END`;
  const watermarkEnd = `coverage.watermark_ts + ${intervalSql} * INTERVAL '1' SECOND`;
  const to = `CASE WHEN ${watermarkEnd} < ${endSql} THEN ${watermarkEnd} ELSE ${endSql} END`;
  return `CASE WHEN ${intervalSql} > 0 AND ${to} > ${from}
    THEN CAST(floor(CAST(date_diff('second', ${from}, ${to}) AS DOUBLE) / ${intervalSql}) AS BIGINT)
    ELSE 0 END`;
}
