import type { Command } from 'commander';
import { lazyAction } from '../command.ts';
import { withServerOptions } from './server-options.ts';

export function registerUp(program: Command): void {
  const up = program
    .command('up')
    .description(
      'start the embedded stack (s3rver, kinesalite, dynalite on 127.0.0.1), the pipeline and the console/API server on the data dir, ' +
        'and keep it running until Ctrl-C; other dubegrid commands on the same data dir use it',
    );
  withServerOptions(up).action(lazyAction(async () => (await import('../commands/up.ts')).runUp));
}
