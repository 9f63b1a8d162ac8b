import { Option, type Command } from 'commander';
import { lazyAction } from '../command.ts';
import { DEFAULT_GENERATE_OPTIONS as D, LABELS_FILE } from '../../generate/options.ts';

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description(
      'write realistic LV load monitor CSVs (one per month, DIR/y=YYYY/m=MM/lv_data_YYYY_MM.csv) and DIR/assets.csv ' +
        'for a seeded network of substations; the same seed gives byte-identical files, existing files of the same names are overwritten',
    )
    .addOption(new Option('--out <dir>', 'directory to write into').default(D.out, D.out))
    .addOption(
      new Option('--substations <n>', 'number of substations, each with 1–4 feeders').default(
        String(D.substations),
        String(D.substations),
      ),
    )
    .addOption(new Option('--days <d>', 'number of days').default(String(D.days), String(D.days)))
    .addOption(
      new Option('--start <date>', 'first day, YYYY-MM-DD, from 00:00 UTC').default(D.start, `${D.start}, a Monday`),
    )
    .addOption(
      new Option('--interval <span>', 'time between readings: 5m, 10m, 15m, 30m, 1h, …').default(
        `${D.intervalMinutes}m`,
        `${D.intervalMinutes}m`,
      ),
    )
    .addOption(
      new Option('--seed <s>', 'seed, a whole number from 0 to 4294967295').default(String(D.seed), String(D.seed)),
    )
    .addOption(
      new Option(
        '--anomalies',
        'inject labelled anomalies of every rule class at known assets and times (without it the data raises no alert)',
      ),
    )
    .addOption(
      new Option(
        '--labels <file>',
        `with --anomalies: where to write the ground truth CSV asset_id,rule,start,end (default DIR/${LABELS_FILE})`,
      ),
    )
    .action(lazyAction(async () => (await import('../commands/generate.ts')).runGenerate));
}
