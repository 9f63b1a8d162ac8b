/**
 * The thin layer every command shares: global options, output, exit codes.
 */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from './context.ts';
import { endProgress, printResult, reportError, useProgress, type CommandResult } from './output.ts';
import { progressFor } from './progress.ts';

export type Action<O> = (args: string[], opts: O & GlobalOptions, command: Command) => Promise<CommandResult>;

/** Adds the options every command accepts. */
export function withGlobalOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--target <target>', 'where to run: the embedded stack or AWS')
        .choices(['local', 'aws'])
        .default('local', 'local, or $DUBEGRID_TARGET'),
    )
    .option('--data-dir <dir>', 'data dir of the embedded stack (default .dubegrid/, or $DUBEGRID_DATA_DIR)')
    .option('--json', 'print one JSON document on stdout instead of text')
    .option('--quiet', 'no live progress line: at most one progress line every 10 s on stderr');
}

/** Wraps a command's action with output handling and exit codes. */
export function action<O>(fn: Action<O>) {
  return async (...received: unknown[]): Promise<void> => {
    const command = received[received.length - 1] as Command;
    const opts = command.optsWithGlobals<O & GlobalOptions>();
    const args = command.processedArgs
      .flatMap((a: unknown) => (Array.isArray(a) ? a : a === undefined ? [] : [a]))
      .map(String);
    useProgress(progressFor(process.stderr, opts));
    try {
      const result = await fn(args, opts, command);
      endProgress();
      printResult(result, opts.json === true);
      process.exitCode = result.exitCode ?? 0;
    } catch (err) {
      endProgress();
      if (process.env.DUBEGRID_DEBUG) console.error(err);
      process.exitCode = reportError(err, opts.json === true);
    }
  };
}
