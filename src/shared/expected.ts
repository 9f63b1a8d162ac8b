/**
 * "Expected intervals": the ONE definition of how many readings an asset should have
 * sent in a period. The summaries' completeness, the rollups' `expected_count` and the
 * `stale_feed` rule all read it from here (in TypeScript or as SQL over the lake).
 *
 * - An asset's interval is its observed cadence: the most common gap between its
 *   consecutive readings (ties go to the shorter gap), unless the registry gives one.
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
 * The same definition in the SQL both Trino (Athena) and DuckDB accept.
 * `intervalsSql` names a relation with `asset_id, ts` (one row per reading or interval).
 * It yields CTE bodies `cadence(asset_id, interval_s)` and `coverage(first_ts, watermark_ts)`.
 */
export function cadenceCtesSql(intervalsSql: string): string {
  return `gaps AS (
  SELECT asset_id, date_diff('second', lag(ts) OVER (PARTITION BY asset_id ORDER BY ts), ts) AS gap_s FROM ${intervalsSql}
),
gap_counts AS (
  SELECT asset_id, gap_s, count(*) AS n FROM gaps WHERE gap_s > 0 GROUP BY asset_id, gap_s
),
cadence AS (
  SELECT asset_id, gap_s AS interval_s
  FROM (SELECT asset_id, gap_s, row_number() OVER (PARTITION BY asset_id ORDER BY n DESC, gap_s ASC) AS gap_rank FROM gap_counts) ranked_gaps
  WHERE gap_rank = 1
),
coverage AS (
  SELECT min(ts) AS first_ts, max(ts) AS watermark_ts FROM ${intervalsSql}
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
