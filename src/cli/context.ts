/**
 * Where a command's clients come from: AWS, a stack already running on the data dir
 * (found through its runtime file), or an embedded stack started for this command's
 * own lifetime.
 */
import type { ResourceStatus } from '../ops/status.ts';
import type * as ClientsModule from '../shared/clients.ts';
import type { Clients } from '../shared/clients.ts';
import { callControl, ControlError } from '../local/control.ts';
import { resolveDataDir } from '../local/data-dir.ts';
import { claimDataDir } from '../local/owner.ts';
import type { RuntimeInfo } from '../local/runtime-file.ts';
import { stderrLog } from '../local/service.ts';
import type { EmbeddedStack } from '../local/stack.ts';
import { sleep } from '../shared/retry.ts';
import { UsageError } from './output.ts';

export type Target = 'local' | 'aws';

export interface GlobalOptions {
  readonly target?: string;
  readonly dataDir?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

/**
 * What a command needs: only clients of a stack, or the pipeline's services running
 * too, or (`control`) only what a running stack answers on its control endpoint: then,
 * attached to `up`, the command never loads the AWS SDK unless it touches `clients`.
 */
export type StackNeed = 'stack' | 'pipeline' | 'control';

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
  /** The resources' figures (`src/ops/status.ts`), asked of the running stack when attached to one. */
  resourceStatus(exact: boolean): Promise<ResourceStatus>;
  /** Makes buffered services (the lake writer) write out now, wherever they run. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The region of the AWS profile in use (`AWS_PROFILE`, else `default`, in
 * `~/.aws/config`), as the SDK itself would find it; undefined when there is none.
 */
export async function profileRegion(): Promise<string | undefined> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  const probe = new S3Client({});
  try {
    return await probe.config.region();
  } catch {
    return undefined; // "Region is missing": createClients says what to set
  } finally {
    probe.destroy();
  }
}

/** The region `--target aws` uses: the environment's, else the AWS profile's. */
export async function awsRegion(): Promise<string | undefined> {
  return process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || (await profileRegion());
}

/** ` --data-dir DIR` for a suggested command, when DIR is not the one it would find by itself. */
export function dataDirFlag(dataDir: string): string {
  if (dataDir === resolveDataDir(undefined)) return '';
  return ` --data-dir ${/^[\w./:@+-]+$/.test(dataDir) ? dataDir : JSON.stringify(dataDir)}`;
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
    const [region, { createClients }] = await Promise.all([awsRegion(), import('../shared/clients.ts')]);
    const clients = createClients({ target: 'aws', region });
    return {
      target,
      dataDir,
      clients,
      servicesStatus: async () => ({}),
      resourceStatus: (exact) => measureResources(clients, exact),
      flush: async () => undefined,
      close: async () => clients.destroy(),
    };
  }
  // attach to `up` on this data dir, or take the data dir (waiting while another process has it)
  const claim = await claimDataDir(dataDir, { mode: 'ephemeral', attach: true, log: stderrLog });
  if ('attach' in claim) {
    const running = claim.attach;
    const clients = await lazyClients(running, need !== 'control');
    return {
      target,
      dataDir,
      get clients() {
        return clients.get();
      },
      attached: running,
      servicesStatus: async () => (running.control ? callControl(running.control, 'GET', '/status') : {}),
      resourceStatus: async (exact) => {
        const asked = running.control
          ? await callControl<ResourceStatus>(
              running.control,
              'GET',
              exact ? '/resources?exact=1' : '/resources',
            ).catch((err: unknown) => {
              // an `up` started before this path existed: measure here, as before
              if (err instanceof ControlError && err.status === 404) return undefined;
              throw err;
            })
          : undefined;
        return asked ?? measureResources(await clients.load(), exact);
      },
      flush: async () => {
        if (running.control) await callControl(running.control, 'POST', '/flush');
      },
      close: async () => clients.destroy(),
    };
  }
  // Imported only here, as each path needs them: attaching to a running stack never loads the emulators or
  // the pipeline, and a stack started here loads the AWS SDK while its emulators start (local/stack.ts).
  const { startStack } = await import('../local/stack.ts');
  const stack = await startStack({
    dataDir,
    mode: 'ephemeral',
    log: stderrLog,
    locker: claim.locker,
    ...(need === 'pipeline' ? {} : { services: [] }),
    // status ('control') reports what exists and creates nothing
    bootstrap: need !== 'control',
  });
  return {
    target,
    dataDir,
    clients: stack.clients,
    ownStack: stack,
    servicesStatus: () => stack.status(),
    resourceStatus: (exact) => measureResources(stack.clients, exact),
    flush: () => stack.flush(),
    close: () => stack.stop(),
  };
}

async function measureResources(clients: Clients, exact: boolean): Promise<ResourceStatus> {
  const { resourceStatus } = await import('../ops/status.ts');
  return resourceStatus(clients, { exact });
}

/**
 * The clients of a running stack, made on first use. `preload` loads the SDK now (a
 * command that uses `clients` reads them synchronously); without it, reading `clients`
 * before `load()` is a programming error, said as such.
 */
async function lazyClients(running: RuntimeInfo, preload: boolean) {
  let made: Clients | undefined;
  let module: typeof ClientsModule | undefined = preload ? await import('../shared/clients.ts') : undefined;
  const make = (m: typeof ClientsModule): Clients =>
    (made ??= m.createClients({ target: 'local', endpoints: running.endpoints }));
  return {
    get(): Clients {
      if (!module) throw new Error("a 'control' context's clients are read before load()");
      return make(module);
    },
    async load(): Promise<Clients> {
      module ??= await import('../shared/clients.ts');
      return make(module);
    },
    destroy(): void {
      made?.destroy();
    },
  };
}

/** How long a failed command waits to learn whether its stack's emulators died (their exit event). */
const CONNECTION_LOST_GRACE_MS = 1_000;
const CONNECTION_LOST = /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up/;

/** Runs `fn` with a context and always closes it. */
export async function withContext<T>(
  opts: GlobalOptions,
  need: StackNeed,
  fn: (ctx: CommandContext) => Promise<T>,
): Promise<T> {
  const ctx = await openContext(opts, need);
  // a command's own stack whose emulators die: what follows is connection refused from
  // every call; the one line worth reading is why (the stack's own)
  const stack = ctx.ownStack;
  try {
    return await fn(ctx);
  } catch (err) {
    // the refused connection can arrive before the host's exit is seen: wait a moment for it
    const died =
      stack && CONNECTION_LOST.test(String((err as Error)?.message ?? err))
        ? await Promise.race([stack.emulatorsDied, sleep(CONNECTION_LOST_GRACE_MS)])
        : undefined;
    if (died) throw new Error(died, { cause: err });
    throw err;
  } finally {
    await ctx.close();
  }
}
