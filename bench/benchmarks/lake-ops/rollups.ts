/**
 * The rollups part of `lake-ops`: query latency from the fact layer ÷ from the raw
 * readings, the same figures answered both ways in the same run, on the embedded target.
 *
 * The month's objects (compacted, when the compaction part ran before, else as Firehose
 * left them) go into s3rver, `buildRollups` builds the fact layer (timed: its rows/s are
 * reported), and the local SQL engine mirrors both. Then, warm (best of three after a
 * first run):
 *
 * - `rollups-monthly-summary`: the named `asset_summary_monthly` composed from the
 *   interval facts (`asset_intervals_daily`, `asset_gaps_daily`) ÷ the same named query's
 *   readings form (its fallback: every reading of the month). Target ≤ 0.2.
 * - `rollups-daily-summary`: the same for `asset_summary_daily`. Reported.
 * - `rollups-measurement-figures`: the per-measurement figures per asset (count, min, max,
 *   mean, sum, population stddev) from `readings_daily` ÷ from `readings`, month and day
 *   (the figure this part measured before the interval facts existed). Reported.
 *
 * The two answers are compared before anything is timed: a fact query that answered
 * differently would measure nothing. The summaries must match every row and column after
 * their rounding (cells apart are counted and the first named; any cell further apart than
 * one unit of the last decimal fails the target); the per-measurement figures to 1e-6
 * relative.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buildRollups } from '../../../src/lake/rollups/build.ts';
import { startStack } from '../../../src/local/stack.ts';
import { monthFactsCurrent } from '../../../src/lake/rollups/built.ts';
import { openSqlEngine } from '../../../src/ops/query/open.ts';
import type { Cell, SqlEngine } from '../../../src/ops/query/result.ts';
import { inPool } from '../../../src/shared/concurrency.ts';
import { partitionPrefix } from '../../../src/shared/glue.ts';
import { bindValues, NAMED_QUERIES } from '../../../src/shared/queries.ts';
import { atMost, round, type BenchResult } from '../../types.ts';
import type { LakeOpsPart } from './context.ts';

const TARGETS = { monthlySummary: 0.2 } as const;
const FIGURES = 'count(*) AS n, min(value) AS lo, max(value) AS hi, avg(value) AS mean, sum(value) AS total';

/** The per-measurement figures of a period, from the readings themselves. */
const fromReadings = (period: string): string =>
  `SELECT asset_id, measurement, ${period} AS period, ${FIGURES}, stddev_pop(value) AS sd
FROM readings WHERE y = ? AND m = ?
GROUP BY asset_id, measurement, ${period} ORDER BY 1, 2, 3`;

/**
 * The same figures combined from daily facts: counts and sums add, extremes take the
 * extreme, and the population variance is E[x²] − E[x]², E[x²] per day being sd² + mean².
 */
const fromDaily = (period: string): string =>
  `SELECT asset_id, measurement, ${period} AS period, sum(count) AS n, min(min) AS lo, max(max) AS hi,
  sum(sum) / sum(count) AS mean, sum(sum) AS total,
  sqrt(greatest(0, sum(count * (stddev * stddev + mean * mean)) / sum(count) - power(sum(sum) / sum(count), 2))) AS sd
FROM readings_daily WHERE y = ? AND m = ?
GROUP BY asset_id, measurement, ${period} ORDER BY 1, 2, 3`;

const MONTH = 'substr(CAST(CAST(%ts AS DATE) AS VARCHAR), 1, 7)';
const DAY = 'CAST(CAST(%ts AS DATE) AS VARCHAR)';

export const rollupsPart: LakeOpsPart = {
  name: 'rollups',
  async run(ctx) {
    const { dataset } = ctx;
    const compacted = join(ctx.dir, 'compacted');
    const root = existsSync(compacted) ? compacted : dataset.uncompactedRoot;
    const dataDir = join(ctx.dir, 'rollups-stack');
    const stack = await startStack({ dataDir, services: [] });
    try {
      const { s3, names } = stack.clients;
      let objects = 0;
      for (const p of dataset.partitions) {
        const prefix = partitionPrefix(p);
        const dir = join(root, ...prefix.split('/').filter(Boolean));
        await inPool(await readdir(dir), 8, async (f) => {
          await s3.send(
            new PutObjectCommand({ Bucket: names.bucket, Key: `${prefix}${f}`, Body: await readFile(join(dir, f)) }),
          );
          objects++;
        });
      }
      const buildBegan = performance.now();
      const built = await buildRollups({
        s3,
        bucket: names.bucket,
        workDir: join(ctx.dir, 'rollups-work'),
        threads: 2,
      });
      const buildMs = performance.now() - buildBegan;
      const openBegan = performance.now();
      const { engine } = await openSqlEngine(stack.clients, join(dataDir, 'cache'));
      const openMs = performance.now() - openBegan;
      try {
        const params = [dataset.year, dataset.month];
        const checkBegan = performance.now();
        const current = await monthFactsCurrent({ s3, bucket: names.bucket }, dataset.year, dataset.month);
        const checkMs = performance.now() - checkBegan;
        if (!current) throw new Error('the month’s facts are not current after the build');
        const summaryMonthly = await summaryPair(engine, 'asset_summary_monthly', dataset);
        const summaryDaily = await summaryPair(engine, 'asset_summary_daily', dataset);
        const monthly = await pair(engine, params, MONTH);
        const daily = await pair(engine, params, DAY);
        const common = {
          substations: dataset.substations,
          days: dataset.days,
          readings: dataset.readings,
          lake_objects: objects,
          lake_objects_from: root === compacted ? 'compacted' : 'as delivered',
          rollup_build_s: round(buildMs / 1000, 1),
          rollup_build_readings_per_s: Math.round(dataset.readings / (buildMs / 1000)),
          rollup_days_built: built.rebuilt.length,
          mirror_fetch_dedupe_and_open_ms: Math.round(openMs),
          facts_current_check_ms: Math.round(checkMs),
        };
        const summaryFigures = (p: SummaryPair) => ({
          readings_warm_ms: Math.round(p.rawMs),
          facts_warm_ms: Math.round(p.factsMs),
          rows: p.rows,
          cells_one_unit_apart: p.differing,
          cells_further_apart: p.beyond,
          ...(p.first ? { first_difference: p.first } : {}),
        });
        // a faster answer that is not the same answer meets nothing
        const exact = (r: BenchResult, p: SummaryPair): BenchResult => ({ ...r, met: r.met && p.beyond === 0 });
        return [
          exact(
            atMost('rollups-monthly-summary', summaryMonthly.factsMs / summaryMonthly.rawMs, TARGETS.monthlySummary, {
              ...common,
              ...summaryFigures(summaryMonthly),
            }),
            summaryMonthly,
          ),
          exact(
            {
              name: 'rollups-daily-summary',
              ratio: round(summaryDaily.factsMs / summaryDaily.rawMs),
              target: 'reported (equal cells)',
              met: true,
              figures: summaryFigures(summaryDaily),
            },
            summaryDaily,
          ),
          {
            name: 'rollups-measurement-figures',
            ratio: round(monthly.rollupMs / monthly.rawMs),
            target: 'reported',
            met: true,
            figures: {
              monthly_raw_warm_ms: Math.round(monthly.rawMs),
              monthly_rollups_warm_ms: Math.round(monthly.rollupMs),
              monthly_rows: monthly.rows,
              daily_ratio: round(daily.rollupMs / daily.rawMs),
              daily_raw_warm_ms: Math.round(daily.rawMs),
              daily_rollups_warm_ms: Math.round(daily.rollupMs),
              daily_rows: daily.rows,
            },
          } satisfies BenchResult,
        ];
      } finally {
        await engine.close();
      }
    } finally {
      await stack.stop();
      await rm(dataDir, { recursive: true, force: true });
    }
  },
};

/** Both sides of one figure set: checked equal, then each timed warm. */
async function pair(engine: SqlEngine, params: readonly string[], period: string) {
  const raw = fromReadings(period.replaceAll('%ts', 'ts'));
  const rolled = fromDaily(period.replaceAll('%ts', 'period_start'));
  const [a, b] = [await engine.run(raw, params), await engine.run(rolled, params)];
  sameAnswer(a.rows, b.rows);
  const rawT = await timed(() => engine.run(raw, params));
  const rollT = await timed(() => engine.run(rolled, params));
  return { rawMs: rawT.warmMs, rollupMs: rollT.warmMs, rows: a.rows.length };
}

interface SummaryPair {
  readonly rawMs: number;
  readonly factsMs: number;
  readonly rows: number;
  readonly differing: number;
  readonly beyond: number;
  readonly first: string;
}

/** A named summary both ways (from the facts, and its readings form): checked equal, then each timed warm. */
async function summaryPair(
  engine: SqlEngine,
  name: 'asset_summary_monthly' | 'asset_summary_daily',
  month: { readonly year: string; readonly month: string },
): Promise<SummaryPair> {
  const facts = NAMED_QUERIES[name];
  const readings = facts.fallback!;
  const values = { year: month.year, month: month.month };
  const run = (q: typeof facts) => () => engine.run(q.sql, bindValues(q, values));
  const [a, b] = [await run(readings)(), await run(facts)()];
  const same = sameSummary(a.rows, b.rows);
  const rawT = await timed(run(readings));
  const factsT = await timed(run(facts));
  return { rawMs: rawT.warmMs, factsMs: factsT.warmMs, rows: a.rows.length, ...same };
}

/**
 * The summaries' cells after their rounding: equal, one unit of the last decimal apart
 * (counted: a mean on a rounding boundary), or further apart (counted, the first named:
 * the facts answered something else, and the target is then not met). Rows must match.
 */
function sameSummary(a: readonly (readonly Cell[])[], b: readonly (readonly Cell[])[]) {
  if (a.length !== b.length) throw new Error(`the facts answered ${b.length} rows, readings ${a.length}`);
  let differing = 0;
  let beyond = 0;
  let first = '';
  a.forEach((row, i) =>
    row.forEach((cell, j) => {
      const other = b[i]?.[j] ?? null;
      if (cell === other) return;
      if (typeof cell === 'number' && typeof other === 'number' && Math.abs(cell - other) <= 0.0100001) differing++;
      else {
        beyond++;
        first ||= `row ${i} (${String(row[0])} ${String(row[3])}) column ${j}: facts ${String(other)}, readings ${String(cell)}`;
      }
    }),
  );
  return { differing, beyond, first };
}

/** Best of three runs after a first one (the first pays DuckDB's file and metadata caches). */
async function timed(run: () => Promise<{ rows: readonly unknown[] }>) {
  let rows = (await run()).rows.length;
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const began = performance.now();
    rows = (await run()).rows.length;
    times.push(performance.now() - began);
  }
  return { warmMs: Math.min(...times), rows };
}

/** Equal keys and counts; floating figures to 1e-6 relative (sums added in another order differ in the last bits). */
function sameAnswer(a: readonly (readonly Cell[])[], b: readonly (readonly Cell[])[]): void {
  if (a.length !== b.length) throw new Error(`rollups answered ${b.length} rows, readings ${a.length}`);
  a.forEach((row, i) =>
    row.forEach((cell, j) => {
      const other = b[i]?.[j] ?? null;
      const close =
        typeof cell === 'number' && typeof other === 'number'
          ? Math.abs(cell - other) <= 1e-6 * Math.max(1, Math.abs(cell))
          : cell === other;
      if (!close) throw new Error(`rollups differ from readings at row ${i} column ${j}: ${other} vs ${cell}`);
    }),
  );
}
