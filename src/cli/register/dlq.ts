import type { Command } from 'commander';
import { lazyAction } from '../command.ts';

export function registerDlq(program: Command): void {
  const dlq = program
    .command('dlq')
    .description(
      "list the embedded stack's on-failure destination: stream batches a consumer gave up on, raw files the splitter and assets files the registry could not finish",
    )
    .option('--source <name>', 'only entries of this consumer or producer (state, anomaly, splitter, registry)')
    .action(lazyAction(async () => (await import('../commands/dlq.ts')).runDlq));

  dlq
    .command('redrive')
    .description(
      'hand DLQ entries back to their owner (all, or the one named): stream records are read again from the stream and given to the consumer, files are handed to their function again; an entry is removed only when all of it was processed',
    )
    .argument('[id]', 'the entry to redrive (see `dubegrid dlq`); all entries when omitted')
    .action(lazyAction(async () => (await import('../commands/dlq.ts')).runRedrive));
}
