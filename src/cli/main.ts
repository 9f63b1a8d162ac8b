/**
 * `dubegrid`: assembles the commands. Each command lives in `commands/` and is a few
 * lines over a core elsewhere in `src/`.
 */
import { Command } from 'commander';
import { withGlobalOptions } from './command.ts';
import { registerGenerate } from './commands/generate.ts';
import { registerStart } from './commands/start.ts';
import { registerStatus } from './commands/status.ts';
import { registerUp } from './commands/up.ts';

export function buildProgram(): Command {
  const program = new Command('dubegrid')
    .description('DubeGrid: an event-sourced pipeline for LV network monitoring data (embedded AWS stack by default)')
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true, sortSubcommands: true });
  withGlobalOptions(program);
  for (const register of [registerUp, registerStatus, registerGenerate, registerStart]) register(program);
  return program;
}

await buildProgram().parseAsync(process.argv);
