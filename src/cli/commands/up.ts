import type { Command } from 'commander';
import { resolveDataDir } from '../../local/data-dir.ts';
import { stderrLog } from '../../local/service.ts';
import { startStack, type EmbeddedStack } from '../../local/stack.ts';
import { action } from '../command.ts';
import { parseTarget } from '../context.ts';
import { UsageError } from '../output.ts';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description(
      'start the embedded stack (s3rver, kinesalite, dynalite on 127.0.0.1) and the pipeline on the data dir, ' +
        'and keep it running until Ctrl-C; other dubegrid commands on the same data dir use it',
    )
    .action(
      action(async (_args, opts) => {
        if (parseTarget(opts.target) !== 'local')
          throw new UsageError('up starts the embedded stack; it has no meaning with --target aws');
        const stack = await startStack({ dataDir: resolveDataDir(opts.dataDir), mode: 'up', log: stderrLog });
        const info = {
          data_dir: stack.dataDir,
          pid: process.pid,
          endpoints: stack.endpoints,
          services: stack.services.map((s) => s.name),
        };
        if (opts.json) process.stdout.write(`${JSON.stringify(info)}\n`);
        else process.stdout.write(upBanner(stack));
        await untilSignalled();
        process.stderr.write('stopping the embedded stack…\n');
        await stack.stop();
        return { json: undefined, human: 'stopped; all data is kept in the data dir' };
      }),
    );
}

function upBanner(stack: EmbeddedStack): string {
  return [
    `DubeGrid embedded stack is up (pid ${process.pid})`,
    `  data dir  ${stack.dataDir}`,
    `  s3        ${stack.endpoints.s3}`,
    `  kinesis   ${stack.endpoints.kinesis}`,
    `  dynamodb  ${stack.endpoints.dynamodb}`,
    `  services  ${stack.services.map((s) => s.name).join(', ') || '(none)'}`,
    'Use `dubegrid status` or any other command from another terminal; Ctrl-C stops it.',
    '',
  ].join('\n');
}

export function untilSignalled(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const done = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve(signal);
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
