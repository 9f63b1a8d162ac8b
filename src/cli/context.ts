/**
 * Where a command's clients come from: AWS, a stack already running on the data dir
 * (found through its runtime file), or an embedded stack started for this command's
 * own lifetime.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { createClients, type Clients } from '../shared/clients.ts';
import { callControl } from '../local/control.ts';
import { resolveDataDir } from '../local/data-dir.ts';
import { readRuntime, type RuntimeInfo } from '../local/runtime-file.ts';
import { stderrLog } from '../local/service.ts';
import { startStack, type EmbeddedStack } from '../local/stack.ts';
import { UsageError } from './output.ts';

export type Target = 'local' | 'aws';

export interface GlobalOptions {
  readonly target?: string;
  readonly dataDir?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/** What a command needs: only clients of a stack, or the pipeline's services running too. */
export type StackNeed = 'stack' | 'pipeline';

export interface CommandContext {
  readonly target: Target;
  readonly dataDir: string;
  readonly clients: Clients;
  /** Set when this command started the embedded stack itself. */
  readonly ownStack?: EmbeddedStack;
  /** Set when this command uses a stack running in another process. */
  readonly attached?: RuntimeInfo;
  /** Services' figures, wherever they run. */
  servicesStatus(): Promise<Record<string, Record<string, unknown>>>;
  /** Makes buffered services (the lake writer) write out now, wherever they run. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The region of the AWS profile in use (`AWS_PROFILE`, else `default`, in
 * `~/.aws/config`), as the SDK itself would find it; undefined when there is none.
 */
export async function profileRegion(): Promise<string | undefined> {
  const probe = new S3Client({});
  try {
    return await probe.config.region();
  } catch {
    return undefined; // "Region is missing": createClients says what to set
  } finally {
    probe.destroy();
  }
}

export function parseTarget(value: string | undefined): Target {
  const target = value ?? process.env.DUBEGRID_TARGET ?? 'local';
  if (target !== 'local' && target !== 'aws') throw new UsageError(`--target must be local or aws, got ${target}`);
  return target;
}

export async function openContext(opts: GlobalOptions, need: StackNeed): Promise<CommandContext> {
  const target = parseTarget(opts.target);
  const dataDir = resolveDataDir(opts.dataDir);
  if (target === 'aws') {
    const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || (await profileRegion());
    const clients = createClients({ target: 'aws', region });
    return {
      target,
      dataDir,
      clients,
      servicesStatus: async () => ({}),
      flush: async () => undefined,
      close: async () => clients.destroy(),
    };
  }
  const running = await readRuntime(dataDir);
  if (running) {
    const clients = createClients({ target: 'local', endpoints: running.endpoints });
    return {
      target,
      dataDir,
      clients,
      attached: running,
      servicesStatus: async () => (running.control ? callControl(running.control, 'GET', '/status') : {}),
      flush: async () => {
        if (running.control) await callControl(running.control, 'POST', '/flush');
      },
      close: async () => clients.destroy(),
    };
  }
  const stack = await startStack({
    dataDir,
    mode: 'ephemeral',
    log: stderrLog,
    ...(need === 'stack' ? { services: [] } : {}),
  });
  return {
    target,
    dataDir,
    clients: stack.clients,
    ownStack: stack,
    servicesStatus: () => stack.status(),
    flush: () => stack.flush(),
    close: () => stack.stop(),
  };
}

/** Runs `fn` with a context and always closes it. */
export async function withContext<T>(
  opts: GlobalOptions,
  need: StackNeed,
  fn: (ctx: CommandContext) => Promise<T>,
): Promise<T> {
  const ctx = await openContext(opts, need);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
