import type { Command } from 'commander';
import { lazyAction } from '../command.ts';

export function registerRollups(program: Command): void {
  program
    .command('rollups')
    .description(
      'build the fact layer (readings_hourly, readings_daily: count, min, max, mean, sum, stddev, first/last time and expected count per ' +
        'asset × measurement) for every day partition whose readings changed since it was last built, and for the days whose coverage moved',
    )
    .option('--no-flush', 'do not first make a running stack write out its lake buffers')
    .option('--force', 'rebuild every day, changed or not')
    .addHelpText(
      'after',
      '\nIdempotent: a second run with nothing new rebuilds nothing. `dubegrid up` runs it on a timer; on AWS a scheduled Lambda does.\n' +
        "Then: dubegrid query \"SELECT * FROM readings_daily WHERE y = '2025' AND m = '08' LIMIT 20\"",
    )
    .action(lazyAction(async () => (await import('../commands/rollups.ts')).runRollups));
}
