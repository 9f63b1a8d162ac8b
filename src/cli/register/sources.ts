import type { Command } from 'commander';
import { lazyAction } from '../command.ts';

export function registerSources(program: Command): void {
  const sources = program
    .command('sources')
    .description('source mappings: how each CSV/JSON layout becomes readings (docs/sources.md)');

  sources
    .command('add')
    .argument('<file>', 'a mapping file (YAML or JSON)')
    .description(
      'check a mapping and store it under reference/sources/<name>.yaml; the splitter uses it from the next file on',
    )
    .action(lazyAction(async () => (await import('../commands/sources.ts')).runAdd));

  sources
    .command('list')
    .description('the built-in mappings and those stored under reference/sources/')
    .action(lazyAction(async () => (await import('../commands/sources.ts')).runList));

  sources
    .command('rm')
    .argument('<name>', 'a stored mapping’s name')
    .option(
      '--force',
      'remove it even though raw files naming it are not split yet, or readings in units only it declares are still on the stream',
    )
    .description(
      'remove a stored mapping (built-in mappings cannot be removed); refused while something still needs it, unless --force',
    )
    .action(lazyAction(async () => (await import('../commands/sources.ts')).runRm));

  sources
    .command('test')
    .argument('<file>', 'a data file to dry-run')
    .option('--source <name>', 'use this mapping whatever the header says (as `ingest --source` would)')
    .option('--mapping <file>', 'also consider this mapping file (checked first, as `sources add` would)')
    .option('--rows <n>', 'events to show', '10')
    .description(
      'dry-run the split of a local file: no stack, no AWS; which mapping matched and why, the first events, the accounting, the quarantine reasons',
    )
    .action(lazyAction(async () => (await import('../commands/sources.ts')).runTest));
}
