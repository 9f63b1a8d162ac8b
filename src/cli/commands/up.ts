import { resolveDataDir } from '../../local/data-dir.ts';
import { stderrLog } from '../../local/service.ts';
import { API_SERVICE_NAME, type ApiService } from '../../local/api/service.ts';
import { startStack, type EmbeddedStack } from '../../local/stack.ts';
import type { Action } from '../command.ts';
import { dataDirFlag, parseTarget } from '../context.ts';
import { UsageError, type CommandResult } from '../output.ts';
import type { ServerFlags } from '../register/server-options.ts';
import { apiServices } from './server-options.ts';

export const runUp: Action<ServerFlags> = async (_args, opts) => {
  if (parseTarget(opts.target) !== 'local')
    throw new UsageError('up starts the embedded stack; it has no meaning with --target aws');
  const stack = await startStack({
    dataDir: resolveDataDir(opts.dataDir),
    mode: 'up',
    log: stderrLog,
    services: apiServices(opts),
  });
  const api = stack.service<ApiService>(API_SERVICE_NAME);
  const info = {
    data_dir: stack.dataDir,
    pid: process.pid,
    endpoints: stack.endpoints,
    services: stack.services.map((s) => s.name),
    ...(api ? { console_url: api.url } : {}),
  };
  if (opts.json) process.stdout.write(`${JSON.stringify(info)}\n`);
  else process.stdout.write(upBanner(stack));
  return untilStopped(stack);
};

/**
 * Serves until Ctrl-C/SIGTERM, then stops the stack cleanly. When the emulators die under it,
 * says so at once in one line, stops the stack as cleanly as it can without them and exits 1:
 * the data dir is intact and the next `up` recovers (docs/reliability.md → "The emulators die alone").
 */
async function untilStopped(stack: EmbeddedStack): Promise<CommandResult> {
  const died = await Promise.race([untilSignalled().then(() => undefined), stack.emulatorsDied]);
  if (died === undefined) process.stderr.write('stopping the embedded stack…\n');
  else process.stderr.write(`dubegrid: ${died}\n`);
  await stack.stop();
  return died === undefined
    ? { json: undefined, human: 'stopped; all data is kept in the data dir' }
    : { json: { error: died }, human: '', exitCode: 1 };
}

function upBanner(stack: EmbeddedStack): string {
  return [
    `DubeGrid embedded stack is up (pid ${process.pid})`,
    `  data dir  ${stack.dataDir}`,
    `  s3        ${stack.endpoints.s3}`,
    `  kinesis   ${stack.endpoints.kinesis}`,
    `  dynamodb  ${stack.endpoints.dynamodb}`,
    `  services  ${stack.services.map((s) => s.name).join(', ') || '(none)'}`,
    ...consoleLines(stack),
    `Use \`npx dubegrid status${dataDirFlag(stack.dataDir)}\` or any other command from another terminal; Ctrl-C stops it.`,
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

/** The console's line: the URL with the token in its fragment, so one click signs in. */
export function consoleLines(stack: EmbeddedStack): string[] {
  const api = stack.service<ApiService>(API_SERVICE_NAME);
  return api ? [`  console   ${api.signInUrl}`] : [];
}
