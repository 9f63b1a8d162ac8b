import type { Command } from 'commander';
import { lazyAction } from '../command.ts';
import { PROJECTIONS } from '../../ops/replay/projection-names.ts';

export function registerRebuild(program: Command): void {
  program
    .command('rebuild')
    .description(
      'empty one projection (state: the readings and latest tables; anomaly: windows and alerts; lake: the processed objects) and build it again ' +
        'from the stream, or from the raw zone with --from-raw (every raw object backfilled into the stream, then replayed); then run verify',
    )
    .requiredOption('--projection <name>', PROJECTIONS.join(' | '))
    .option(
      '--from-raw',
      'rebuild from the raw zone, for when the stream no longer holds everything (older than its retention)',
    )
    .option('--rate <n>', 'with --from-raw: at most n readings per second into the stream')
    .addHelpText(
      'after',
      '\nFrom the stream only while it holds every split (the oldest manifest within its retention); otherwise use --from-raw.\n' +
        'The anomaly projection cannot be rebuilt beside a running stack (its live consumer would judge readings meanwhile): stop `dubegrid up` first.\n' +
        'Notifications published before the rebuild are not announced again. Exits 0 only when the verify that ends it holds.',
    )
    .action(lazyAction(async () => (await import('../commands/rebuild.ts')).runRebuild));
}
