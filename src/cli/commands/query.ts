import { dataPaths } from '../../local/data-dir.ts';
import { toCsv } from '../../ops/query/format.ts';
import { completeParams, factsCurrentIn, formToRun, namedQuery, parseParams } from '../../ops/query/named.ts';
import { latestLakeMonth } from '../../ops/query/report.ts';
import { openSqlEngine } from '../../ops/query/open.ts';
import { rowObjects, type QueryResult, type SqlEngine } from '../../ops/query/result.ts';
import { bindValues, NAMED_QUERIES, NAMED_QUERY_ALIASES, QueryParameterError } from '../../shared/queries.ts';
import type { Action } from '../command.ts';
import { withContext } from '../context.ts';
import { progress, table, UsageError } from '../output.ts';

interface QueryFlags {
  readonly named?: string;
  readonly param: string[];
  readonly csv?: boolean;
  readonly list?: boolean;
  readonly flush?: boolean;
}

export const runQuery: Action<QueryFlags> = async (args, opts) => {
  if (opts.list) return listNamed();
  if (opts.csv && opts.json) throw new UsageError('choose one of --csv and --json');
  const [sql] = args;
  if ((sql === undefined) === (opts.named === undefined))
    throw new UsageError('give either an SQL statement or --named NAME (see --list)');
  if (sql !== undefined && opts.param.length) throw new UsageError('--param only applies to --named queries');
  const { statement, given } = usage(() => ({
    statement: opts.named ? namedQuery(opts.named) : undefined,
    given: parseParams(opts.param),
  }));
  return withContext(opts, 'stack', async (ctx) => {
    if (opts.flush) await ctx.flush();
    const began = performance.now();
    const { engine, sync, dedupe } = await openSqlEngine(ctx.clients, dataPaths(ctx.dataDir).cache);
    if (sync?.fetched)
      progress(
        `lake mirror: fetched ${sync.fetched} of ${sync.objects} objects, deduplicated ${dedupe?.deduplicated ?? 0} day(s)`,
      );
    try {
      let params: string[] = [];
      let values: Record<string, string> = {};
      let defaulted: Record<string, string> = {};
      if (statement) {
        const completed = await usageAsync(() =>
          completeParams(statement, given, {
            latestMonth: () => latestLakeMonth(ctx.clients.s3, ctx.clients.names.bucket),
            exampleAsset: (year, month) => exampleAsset(engine, year, month),
          }),
        );
        defaulted = completed.defaulted;
        if (defaulted.month)
          progress(`month ${defaulted.month}: the latest in the lake (--param month=YYYY-MM for another)`);
        values = completed.values;
        params = usage(() => bindValues(statement, values));
      }
      // a summary reads the fact layer when the month's facts are current, else `readings`
      const form =
        statement &&
        (await formToRun(statement, values, factsCurrentIn({ s3: ctx.clients.s3, bucket: ctx.clients.names.bucket })));
      // bound for the form that runs: the facts form and its readings form take their parameters in different places
      const result = await engine.run(form?.sql ?? (sql as string), form ? bindValues(form, values) : params);
      const elapsedMs = Math.round(performance.now() - began);
      return {
        json: {
          target: ctx.target,
          ...(statement ? { named: statement.name } : {}),
          ...(Object.keys(defaulted).length ? { defaulted } : {}),
          columns: result.columns,
          rows: rowObjects(result),
          row_count: result.rows.length,
          elapsed_ms: elapsedMs,
          ...(sync ? { mirror: sync } : {}),
        },
        human: opts.csv ? toCsv(result) : render(result),
      };
    } finally {
      await engine.close();
    }
  });
};

/** The same for work that awaits (parameters the data decides). */
async function usageAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof QueryParameterError) throw new UsageError(err.message);
    throw err;
  }
}

/** One feeder with readings in the month, for a hint that names an asset that exists. */
async function exampleAsset(engine: SqlEngine, year: string, month: string) {
  const r = await engine.run(
    "SELECT substation_id, feeder_id FROM readings WHERE y = ? AND m = ? AND feeder_id <> '' ORDER BY substation_id, feeder_id LIMIT 1",
    [year, month],
  );
  const [row] = rowObjects(r);
  return row ? { substation_id: String(row.substation_id), feeder_id: String(row.feeder_id) } : undefined;
}

/** A wrong query name or parameter is a usage error (exit 2), said in one line. */
export function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof QueryParameterError) throw new UsageError(err.message);
    throw err;
  }
}

function render(result: QueryResult): string {
  if (!result.columns.length) return 'done';
  const n = result.rows.length;
  return `${table(
    result.columns.map((c) => c.name),
    result.rows,
  )}\n(${n} row${n === 1 ? '' : 's'})`;
}

function listNamed() {
  const queries = Object.values(NAMED_QUERIES).map((q) => ({
    name: q.name,
    description: q.description,
    parameters: q.parameters.map((p) => ({ name: p.name, description: p.description, example: p.example })),
  }));
  const aliases = Object.entries(NAMED_QUERY_ALIASES).map(([alias, name]) => `${alias} = ${name}`);
  const human = queries
    .map(
      (q) =>
        `${q.name}\n  ${q.description}\n  ${q.parameters.map((p) => `--param ${p.name}=${p.example}`).join(' ') || '(no parameters)'}`,
    )
    .join('\n\n')
    .concat(`\n\naliases: ${aliases.join(', ')}\nyear and month default to the latest month in the lake`);
  return { json: { named_queries: queries, aliases: NAMED_QUERY_ALIASES }, human };
}
