import type { Command } from 'commander';
import { lazyAction } from '../command.ts';
import { DEFAULT_TIMEOUT_S } from './defaults.ts';

export function registerBackfill(program: Command): void {
  program
    .command('backfill')
    .description(
      'split the raw objects under a prefix into the stream again, through the splitter, with the same events as their first split ' +
        "(same event ids and ingested_at): for history older than the stream's retention, or after a consumer fix. The projections see duplicates and change nothing",
    )
    .requiredOption('--prefix <prefix>', 'raw objects under this prefix, e.g. raw/prod/lv/y=2025/m=04/')
    .option('--rate <n>', 'at most n readings per second into the stream')
    .option(
      '--wait',
      'then wait until every projection (state, anomaly, the lake flushed) has caught up with what was written',
    )
    .option('--timeout <seconds>', 'with --wait: give up after this long', String(DEFAULT_TIMEOUT_S))
    .addHelpText(
      'after',
      '\nWith no stack running, backfill starts one for its own lifetime and so always waits for it. Progress goes to stderr. Exits 1 if an object could not be split.',
    )
    .action(lazyAction(async () => (await import('../commands/backfill.ts')).runBackfill));
}
