import type { Command } from 'commander';
import { lazyAction } from '../command.ts';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description(
      'the asset performance summary for one month (peak and mean demand, load factor, utilisation of rating, minutes outside ' +
        'the statutory voltage band, phase imbalance, reverse power, completeness, alerts): a table here, or CSV / self-contained HTML with charts',
    )
    .option('--month <YYYY-MM>', 'the month to report (default: the latest month in the lake)')
    .option('--out <file>', 'write the report to FILE.html (table and charts) or FILE.csv (one row per asset)')
    .option('--top <n>', 'assets shown in the terminal and charted in the HTML, highest peak utilisation first', '10')
    .option('--flush', 'first make a running stack write out what its lake writer buffers')
    .action(lazyAction(async () => (await import('../commands/report.ts')).runReport));
}
