/** `--port` and `--host` of the commands that run the console/API server (`up`, `start`). */
import type { Command } from 'commander';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from '../../local/api/defaults.ts';

export interface ServerFlags {
  port?: string;
  host?: string;
}

export function withServerOptions(command: Command): Command {
  return command
    .option(
      '--port <n>',
      `port of the console and API (recorded in <data dir>/runtime.json as console_url); default ${DEFAULT_API_PORT}, or a free one if that is taken`,
    )
    .option(
      '--host <address>',
      `interface the console and API listen on; default ${DEFAULT_API_HOST} (this machine only). Anything else exposes the API (token-protected) to the network`,
    );
}
