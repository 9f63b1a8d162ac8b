import type { Command } from 'commander';
import { lazyAction } from '../command.ts';
import { DEFAULT_SERIES_LIMIT } from './defaults.ts';

export function registerState(program: Command): void {
  program
    .command('state')
    .description("show an asset's latest state: every measurement's newest value and time (the `latest` table)")
    .argument('<asset_id>', 'the asset: <substation> or <substation>:<feeder>, e.g. LV123:05')
    .action(lazyAction(async () => (await import('../commands/state.ts')).runState));

  program
    .command('series')
    .description("list an asset's readings in time order (a Query on the `readings` table's key range)")
    .argument('<asset_id>', 'the asset: <substation> or <substation>:<feeder>')
    .option('--measurement <m>', 'only this measurement, e.g. l1_voltage')
    .option('--from <time>', 'first time, inclusive: a date (2025-08-14), a prefix (2025-08-14T15) or a time with zone')
    .option(
      '--to <time>',
      'last time, inclusive: everything that begins with it counts (--to 2025-08-14 ends with that day)',
    )
    .option('--limit <n>', 'print at most this many readings', String(DEFAULT_SERIES_LIMIT))
    .addHelpText(
      'after',
      '\nA date given as both --from and --to is that day: the Query is begins_with(sk, "2025-08-14").',
    )
    .action(lazyAction(async () => (await import('../commands/state.ts')).runSeries));
}
