/**
 * `dubegrid`: assembles the commands. Each command lives in `commands/` and is a few
 * lines over a core elsewhere in `src/`.
 */
import { Command } from 'commander';
import { withGlobalOptions } from './command.ts';
import { registerAlerts } from './commands/alerts.ts';
import { registerAssets } from './commands/assets.ts';
import { registerBackfill } from './commands/backfill.ts';
import { registerDlq } from './commands/dlq.ts';
import { registerGenerate } from './commands/generate.ts';
import { registerIngest } from './commands/ingest.ts';
import { registerQuery } from './commands/query.ts';
import { registerRebuild } from './commands/rebuild.ts';
import { registerReplay } from './commands/replay.ts';
import { registerReport } from './commands/report.ts';
import { registerStart } from './commands/start.ts';
import { registerState } from './commands/state.ts';
import { registerStatus } from './commands/status.ts';
import { registerUp } from './commands/up.ts';
import { registerVerify } from './commands/verify.ts';

export function buildProgram(): Command {
  const program = new Command('dubegrid')
    .description('DubeGrid: an event-sourced pipeline for LV network monitoring data (embedded AWS stack by default)')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: true });
  withGlobalOptions(program);
  for (const register of [
    registerUp,
    registerStatus,
    registerGenerate,
    registerStart,
    registerQuery,
    registerReport,
    registerState,
    registerDlq,
    registerIngest,
    registerAssets,
    registerAlerts,
    registerReplay,
    registerBackfill,
    registerRebuild,
    registerVerify,
  ])
    register(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
