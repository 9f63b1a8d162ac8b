import type { Command } from 'commander';
import { lazyAction } from '../command.ts';
import { NAMED_QUERIES, NAMED_QUERY_ALIASES } from '../../shared/queries.ts';

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
    .option(
      '--named <name>',
      `run a named query (${Object.keys(NAMED_QUERIES).join(', ')}; also ${Object.keys(NAMED_QUERY_ALIASES).join(', ')})`,
    )
    .option(
      '--param <key=value>',
      'a named query parameter, repeatable (e.g. --param year=2025 --param month=08, or --param month=2025-08); year and month default to the latest month in the lake',
      collect,
      [],
    )
    .option('--csv', 'print CSV (a header row, then one row per result row)')
    .option('--list', 'list the named queries and their parameters')
    .option('--flush', 'first make a running stack write out what its lake writer buffers')
    .action(lazyAction(async () => (await import('../commands/query.ts')).runQuery));
}

/** `--param` is repeatable: each one adds to the list. */
function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
