import type { Command } from 'commander';
import { lazyAction } from '../command.ts';
import { PREFIXES } from '../../shared/resources.ts';

export function registerAssets(program: Command): void {
  program
    .command('assets')
    .description(
      'list the asset registry (the `assets` table): one entry per substation (transformer rating) and per feeder (rated current), ' +
        'with the generation flag the anomaly rules read',
    )
    .option(
      '--load <file>',
      `first upload an assets.csv (the format \`dubegrid generate\` writes) under ${PREFIXES.referenceAssets}, where the registry loader picks it up, and wait until it is loaded`,
    )
    .option('--timeout <seconds>', 'with --load: give up waiting after this long', '120')
    .addHelpText(
      'after',
      `\nAny upload under ${PREFIXES.referenceAssets}*.csv loads the registry; rows that cannot be read go to quarantine/<key>.jsonl.`,
    )
    .action(lazyAction(async () => (await import('../commands/assets.ts')).runAssets));
}
