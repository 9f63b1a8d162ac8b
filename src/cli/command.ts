/**
 * The thin layer every command shares: global options, output, exit codes, and the
 * lazy loading of each command's implementation (docs/adr/0019-lazy-command-loading.md).
 * Building the program must stay cheap: this file and the registrations in `register/`
 * import nothing but commander and other registration-time modules; everything else is
 * imported by an action when its command runs (test/unit/cli-lazy.unit.spec.ts).
 */
import { Option, type Command } from 'commander';
import type { GlobalOptions } from './context.ts';
import type { CommandResult } from './output.ts';

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
    const [{ endProgress, printResult, reportError, useProgress }, { progressFor }] = await Promise.all([
      import('./output.ts'),
      import('./progress.ts'),
    ]);
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

/**
 * The action of a command whose implementation `load` imports (a dynamic `import()`)
 * only when the command runs: `--help` and every other command never load it, nor the
 * AWS SDK, DuckDB or the emulators it pulls in.
 */
export function lazyAction<O>(load: () => Promise<Action<O>>) {
  return action<O>(async (args, opts, command) => (await load())(args, opts, command));
}
