import type { Command } from 'commander';
import { lazyAction } from '../command.ts';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description(
      'check what usually goes wrong on a new machine: Node version, DuckDB native binding, free loopback ports, ' +
        'data dir permissions, a stale runtime.json from a killed stack; with --target aws the region, credentials and account. ' +
        'Says how to fix each problem; exit 1 when a check fails',
    )
    .action(lazyAction(async () => (await import('../commands/doctor.ts')).runDoctor));
}
