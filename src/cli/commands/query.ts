import type { Command } from 'commander';
import { dataPaths } from '../../local/data-dir.ts';
import { toCsv } from '../../ops/query/format.ts';
import { monthParams, namedQuery, parseParams } from '../../ops/query/named.ts';
import { openSqlEngine } from '../../ops/query/open.ts';
import { rowObjects, type QueryResult } from '../../ops/query/result.ts';
import { bindValues, NAMED_QUERIES, QueryParameterError } from '../../shared/queries.ts';
import { action } from '../command.ts';
import { withContext } from '../context.ts';
import { progress, table, UsageError } from '../output.ts';

interface QueryFlags {
  readonly named?: string;
  readonly param: string[];
  readonly csv?: boolean;
  readonly list?: boolean;
  readonly flush?: boolean;
}

export function registerQuery(program: Command): void {
  program
    .command('query')
    .argument(
      '[sql]',
      'one SQL statement over `readings` (deduplicated), `readings_delivered`, `assets` and `alerts` (one row per alert notification)',
    )
    .description(
      'run SQL over the lake: DuckDB over the Parquet objects on the embedded target (fetched into the data dir cache, ' +
        'only new or changed ones), Athena with --target aws; the same SQL on both',
    )
    .option('--named <name>', `run a named query (${Object.keys(NAMED_QUERIES).join(', ')})`)
    .option(
      '--param <key=value>',
      'a named query parameter, repeatable (e.g. --param year=2025 --param month=08)',
      collect,
      [],
    )
    .option('--csv', 'print CSV (a header row, then one row per result row)')
    .option('--list', 'list the named queries and their parameters')
    .option('--flush', 'first make a running stack write out what its lake writer buffers')
    .action(
      action<QueryFlags>(async (args, opts) => {
        if (opts.list) return listNamed();
        if (opts.csv && opts.json) throw new UsageError('choose one of --csv and --json');
        const [sql] = args;
        if ((sql === undefined) === (opts.named === undefined))
          throw new UsageError('give either an SQL statement or --named NAME (see --list)');
        if (sql !== undefined && opts.param.length) throw new UsageError('--param only applies to --named queries');
        const { statement, params } = usage(() => {
          const named = opts.named ? namedQuery(opts.named) : undefined;
          return {
            statement: named,
            params: named ? bindValues(named, withMonthShorthand(parseParams(opts.param))) : [],
          };
        });
        return withContext(opts, 'stack', async (ctx) => {
          if (opts.flush) await ctx.flush();
          const began = performance.now();
          const { engine, sync, compaction } = await openSqlEngine(ctx.clients, dataPaths(ctx.dataDir).cache);
          if (sync?.fetched)
            progress(
              `lake mirror: fetched ${sync.fetched} of ${sync.objects} objects, deduplicated ${compaction?.compacted ?? 0} day(s)`,
            );
          try {
            const result = await engine.run(statement?.sql ?? (sql as string), params);
            const elapsedMs = Math.round(performance.now() - began);
            return {
              json: {
                target: ctx.target,
                ...(statement ? { named: statement.name } : {}),
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
      }),
    );
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

/** `--param month=2025-08` (as the README writes it) stands for year=2025 and month=08. */
function withMonthShorthand(params: Record<string, string>): Record<string, string> {
  const month = params.month;
  if (month === undefined || params.year !== undefined || !/^\d{4}-\d{2}$/.test(month)) return params;
  return { ...params, ...monthParams(month) };
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
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
  const human = queries
    .map(
      (q) =>
        `${q.name}\n  ${q.description}\n  ${q.parameters.map((p) => `--param ${p.name}=${p.example}`).join(' ') || '(no parameters)'}`,
    )
    .join('\n\n');
  return { json: { named_queries: queries }, human };
}
