import type { Command } from 'commander';
import { lazyAction } from '../command.ts';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description(
      'show what is running and, per resource of the shared definitions, whether it exists and how much it holds',
    )
    .option(
      '--exact',
      'count table items with full scans and stream records by reading the stream (slow on large data); without it, item counts are DescribeTable’s (approximate) and the stream is not read',
    )
    .option('--verbose', 'also per-shard detail and every nested figure of each service (--json always has all)')
    .action(lazyAction(async () => (await import('../commands/status.ts')).runStatus));
}
