import type { Command } from 'commander';
import { lazyAction } from '../command.ts';
import { PROJECTIONS } from '../../ops/replay/projection-names.ts';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'read every shard of the stream again from --from (AT_TIMESTAMP) to --to and drive the chosen projections with it, ' +
        "shards in parallel: the state and anomaly handlers in this process with real-shaped Kinesis events, the lake through the local Firehose's Parquet writer. " +
        'Every projection is idempotent: values, windows and alerts end as they were; the lake gains rows the `readings` view dedupes',
    )
    .requiredOption(
      '--from <time>',
      'first arrival time: 2025-08-14T10:00:00Z, a date (its 00:00 UTC), a duration ago (2h, 7d), or trim-horizon for everything the stream holds',
    )
    .option('--to <time>', 'last arrival time, same forms (default: now)')
    .option('--projection <name>', `${PROJECTIONS.join(', ')}, a comma-separated list, or all`, 'all')
    .addHelpText(
      'after',
      '\nProgress goes to stderr; the summary (records, readings, and per projection: records, readings, invocations, retries, failures and its own figures)\n' +
        'to stdout, or with --json as one document. Exits 1 when some records could not be applied after their retries (they are listed; replay again).\n' +
        'Beside a running stack (`dubegrid up`), notifications a replay stores are published by that stack; with --target aws, by the deployed outbox sweeper\n' +
        '(or directly, when DUBEGRID_ALERTS_TOPIC_ARN is set).',
    )
    .action(lazyAction(async () => (await import('../commands/replay.ts')).runReplay));
}
