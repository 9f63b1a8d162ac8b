import type { Command } from 'commander';
import { lazyAction } from '../command.ts';

export function registerCompact(program: Command): void {
  program
    .command('compact')
    .description(
      'rewrite lake day partitions (processed/readings/y=/m=/d=/) into few Parquet objects, deduplicated to the winning ' +
        'correction and sorted by asset, measurement and time, so queries for one asset read little; every partition ' +
        'not yet compacted (or with new objects since), or only --day / --since. Runs here against the target ' +
        '(DuckDB on this machine); on AWS the daily compaction function runs the same code',
    )
    .option('--day <YYYY-MM-DD>', 'compact this day partition only')
    .option('--since <YYYY-MM-DD>', 'compact this day partition and every later one')
    .option('--flush', 'first make a running stack write out what its lake writer buffers')
    .addHelpText(
      'after',
      '\nSafe beside a running pipeline: new objects are written before the listed inputs are deleted, objects that arrive meanwhile ' +
        'are kept for the next run, and a per-partition lease keeps a second compaction out. Exits 1 when a partition failed ' +
        '(run it again: it completes what was left).',
    )
    .action(lazyAction(async () => (await import('../commands/compact.ts')).runCompact));
}
