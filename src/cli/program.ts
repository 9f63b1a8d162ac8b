/**
 * `dubegrid`: assembles the commands (main.ts runs them). Each command is registered in `register/` (its
 * name, arguments, options, help) and implemented in `commands/`, a few lines over a core elsewhere in
 * `src/`, which its action imports only when the command runs (docs/adr/0019-lazy-command-loading.md).
 */
import { Command } from 'commander';
import { withGlobalOptions } from './command.ts';
import { helpExamples } from './examples.ts';
import { registerAlerts } from './register/alerts.ts';
import { registerAssets } from './register/assets.ts';
import { registerBackfill } from './register/backfill.ts';
import { registerCompact } from './register/compact.ts';
import { registerDlq } from './register/dlq.ts';
import { registerDoctor } from './register/doctor.ts';
import { registerGenerate } from './register/generate.ts';
import { registerIngest } from './register/ingest.ts';
import { registerQuery } from './register/query.ts';
import { registerRebuild } from './register/rebuild.ts';
import { registerReplay } from './register/replay.ts';
import { registerReport } from './register/report.ts';
import { registerSources } from './register/sources.ts';
import { registerStart } from './register/start.ts';
import { registerState } from './register/state.ts';
import { registerStatus } from './register/status.ts';
import { registerRollups } from './register/rollups.ts';
import { registerUp } from './register/up.ts';
import { registerVerify } from './register/verify.ts';

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
    registerSources,
    registerAlerts,
    registerReplay,
    registerBackfill,
    registerRebuild,
    registerCompact,
    registerRollups,
    registerVerify,
    registerDoctor,
  ])
    register(program);
  addExamples(program);
  return program;
}

/** Every command's --help ends with its examples, from the one list in examples.ts. */
function addExamples(command: Command, path: readonly string[] = []): void {
  for (const sub of command.commands) {
    const subPath = [...path, sub.name()];
    const text = helpExamples(subPath.join(' '));
    if (text) sub.addHelpText('after', text);
    addExamples(sub, subPath);
  }
}
