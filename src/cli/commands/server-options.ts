/** The services `up` and `start` run, as their `--port` and `--host` ask (register/server-options.ts defines the flags). */
import type { ServerFlags } from '../register/server-options.ts';
import { buildConsole } from '../../console/build.ts';
import { apiServiceFactory } from '../../local/api/service.ts';
import { PIPELINE_SERVICES } from '../../local/pipeline.ts';
import type { ServiceFactory } from '../../local/service.ts';
import { UsageError } from '../output.ts';

/** The pipeline plus the console/API server, as the flags ask. */
export function apiServices(flags: ServerFlags): ServiceFactory[] {
  let port: number | undefined;
  if (flags.port !== undefined) {
    port = Number(flags.port);
    if (!Number.isInteger(port) || port < 0 || port > 65_535)
      throw new UsageError(`--port must be a port number (0-65535), got ${flags.port}`);
  }
  const host = flags.host?.trim();
  if (flags.host !== undefined && !host) throw new UsageError('--host must name an address, e.g. 127.0.0.1 or 0.0.0.0');
  // the console is bundled from its sources as the server starts (esbuild: well under a second), so it is never stale
  return [...PIPELINE_SERVICES, apiServiceFactory({ port, host, buildConsole: (dir) => buildConsole(dir) })];
}
