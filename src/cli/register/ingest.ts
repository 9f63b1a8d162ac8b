import type { Command } from 'commander';
import { lazyAction } from '../command.ts';
import { RAW_SUFFIXES } from '../../shared/resources.ts';
import { DEFAULT_TIMEOUT_S } from './defaults.ts';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description(
      `upload reading files (${RAW_SUFFIXES.join(', ')}; directories are searched recursively) to the raw zone, each under ` +
        'raw/prod/lv/y=YYYY/m=MM/<name> by the month of its first reading; the splitter turns them into events',
    )
    .argument('<paths...>', 'files or directories to upload')
    .option(
      '--source <name>',
      'the mapping these files are (see `dubegrid sources list`), whatever their header: kept as object metadata x-amz-meta-dubegrid-source, which the splitter and backfill read',
    )
    .option(
      '--prefix <prefix>',
      'upload under this prefix instead of the partition of the first reading: under raw/ for readings, or reference/assets/ for an assets.csv (the registry loader loads it; --wait waits for that)',
    )
    .option(
      '--wait',
      'wait until the splitter has finished every file (its manifest names the uploaded object) and every projection has caught up with it (state, anomaly, the lake flushed), then print the totals',
    )
    .option('--timeout <seconds>', 'with --wait: give up after this long', String(DEFAULT_TIMEOUT_S))
    .addHelpText(
      'after',
      '\nWith no stack running, ingest starts one for its own lifetime and so always waits for the splitter before it exits.\n' +
        'Progress goes to stderr; --json prints one document on stdout (with --wait: files, rows_read, rows_accepted, rows_quarantined,\n' +
        "quarantine_reasons, events_emitted, kinesis_records, put_payload_units, billed_bytes_on_demand, and each file's manifest).",
    )
    .action(lazyAction(async () => (await import('../commands/ingest.ts')).runIngest));
}
