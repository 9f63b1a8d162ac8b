import type { Command } from 'commander';
import { lazyAction } from '../command.ts';
import { SAMPLE_DEFAULTS } from '../../ops/sample/defaults.ts';
import { withServerOptions } from './server-options.ts';

export function registerStart(program: Command): void {
  const start = program
    .command('start')
    .description(
      'the main job (what `npm start` runs): bring the embedded stack up, generate a labelled sample into <data dir>/sample if there is none, ' +
        'load its asset registry, ingest it, wait until every projection has caught up, show the totals, some latest state, the alerts raised ' +
        'and the top of the asset performance report; then stay up for other dubegrid commands until Ctrl-C',
    )
    .option('--once', 'exit after the report instead of staying up (for scripts and tests)')
    .option('--substations <n>', 'substations in a newly generated sample', String(SAMPLE_DEFAULTS.substations))
    .option('--days <n>', 'days in a newly generated sample', String(SAMPLE_DEFAULTS.days))
    .addHelpText(
      'after',
      '\nA sample already in <data dir>/sample is ingested again as it is (same event ids: nothing changes). For a bigger run, delete the data dir or use another one, e.g. `npm start -- --data-dir big --substations 20 --days 30`.',
    );
  withServerOptions(start).action(lazyAction(async () => (await import('../commands/start.ts')).runStart));
}
