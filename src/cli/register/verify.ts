import type { Command } from 'commander';
import { lazyAction } from '../command.ts';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description(
      'reconcile every zone: each raw object split and its manifest adding up with its quarantine; readings emitted (manifests, with duplicates and ' +
        'corrections told apart) = readings in the `readings` table = distinct event ids in the lake, by count and event-id digest, day by day; `latest` ' +
        'the newest reading of every series; every notification published and none stored twice; the DLQs empty',
    )
    .option('--no-flush', 'do not first make a running stack write out its lake buffers and publish its outbox')
    .addHelpText(
      'after',
      '\nExits 0 only when every check holds; otherwise prints each difference (zone/check, what it is about, what differs) and exits 1.',
    )
    .action(lazyAction(async () => (await import('../commands/verify.ts')).runVerify));
}
