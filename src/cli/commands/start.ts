import type { Command } from 'commander';
import { resolveDataDir } from '../../local/data-dir.ts';
import { stderrLog } from '../../local/service.ts';
import { startStack } from '../../local/stack.ts';
import { resourceStatus } from '../../ops/status.ts';
import { action } from '../command.ts';
import { UsageError } from '../output.ts';
import { untilSignalled } from './up.ts';
import { parseTarget } from '../context.ts';

interface StartOptions {
  once?: boolean;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('the main job (what `npm start` runs): bring the embedded stack up and show what it holds, then stay up until Ctrl-C')
    .option('--once', 'exit after the report instead of staying up (for scripts and tests)')
    .action(
      action<StartOptions>(async (_args, opts) => {
        if (parseTarget(opts.target) !== 'local') throw new UsageError('start runs the embedded stack; use the other commands with --target aws');
        const stack = await startStack({ dataDir: resolveDataDir(opts.dataDir), mode: 'up', log: stderrLog });
        try {
          const resources = await resourceStatus(stack.clients);
          const summary = { data_dir: stack.dataDir, endpoints: stack.endpoints, resources };
          if (!opts.once) {
            process.stdout.write(`${opts.json ? JSON.stringify(summary) : `DubeGrid is up on ${stack.dataDir}; Ctrl-C stops it.`}\n`);
            await untilSignalled();
            return { json: undefined, human: 'stopped; all data is kept in the data dir' };
          }
          return { json: summary, human: `DubeGrid ran on ${stack.dataDir}` };
        } finally {
          await stack.stop();
        }
      }),
    );
}
