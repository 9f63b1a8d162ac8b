/**
 * The embedded stack: emulators in a child process, every resource bootstrapped
 * from the shared definitions, the pipeline's services, a control endpoint and the
 * runtime file that lets other terminals find it.
 */
import { mkdir } from 'node:fs/promises';
import { sleep } from '../shared/retry.ts';
import type { Clients, LocalEndpoints } from '../shared/clients.ts';
import { startControlServer } from './control.ts';
import { dataPaths } from './data-dir.ts';
import { forkEmulators, type EmulatorProcess } from './emulator-process.ts';
import { startHeapPacer } from './heap-pacer.ts';
import type { DataDirLocker } from './data-dir-lock.ts';
import { claimDataDir, removeOwner } from './owner.ts';
import { clearStaleRuntime, removeRuntime, writeRuntime } from './runtime-file.ts';
import { faultPlanFromEnv, type FaultPlan } from './faults/plan.ts';
import { startFaultProxies, type FaultProxies } from './faults/proxy.ts';
import {
  mutedWhen,
  silentLog,
  type RuntimeLog,
  type Service,
  type ServiceContext,
  type ServiceFactory,
} from './service.ts';

export interface StackOptions {
  readonly dataDir: string;
  /** `up` is long-lived; `ephemeral` lives for one command. Both write the runtime file. */
  readonly mode?: 'up' | 'ephemeral';
  /** Services to run; the whole pipeline by default, none for a bare stack. */
  readonly services?: readonly ServiceFactory[];
  readonly log?: RuntimeLog;
  /** The data dir's lock, when the caller has claimed it already; else startStack claims it. */
  readonly locker?: DataDirLocker | undefined;
  /** Faults injected between the clients and the emulators (`faults/`). @default from `DUBEGRID_FAULTS`; none when unset */
  readonly faults?: FaultPlan | undefined;
  /**
   * Create the resources that are missing. `false` for a command that only reports what
   * exists (`status`): it must not create what it reports missing, and skipping the
   * describe round trips is a sixth of its time with the stack down.
   * @default true
   */
  readonly bootstrap?: boolean | undefined;
}

export interface EmbeddedStack {
  readonly dataDir: string;
  readonly endpoints: LocalEndpoints;
  readonly clients: Clients;
  readonly services: readonly Service[];
  service<T extends Service>(name: string): T | undefined;
  status(): Promise<Record<string, Record<string, unknown>>>;
  flush(): Promise<void>;
  stop(): Promise<void>;
  /** For crash tests: the emulator host's pid. */
  readonly emulatorPid: number;
  /**
   * Settles when the emulator host died under the stack (not stopped by it), with one line
   * saying so. The stack cannot serve without it: its owner stops the stack
   * (docs/reliability.md → "The emulators die alone").
   */
  readonly emulatorsDied: Promise<string>;
}

export async function startStack(options: StackOptions): Promise<EmbeddedStack> {
  const { dataDir, mode = 'up' } = options;
  // Once the emulators are gone, the services can only report the consequence (connection refused,
  // retrying) while they stop: the one line saying why is the owner's (emulatorsDied), not buried under theirs.
  let emulatorsGone = false;
  const log = mutedWhen(options.log ?? silentLog, () => emulatorsGone);
  // one owner per data dir, before anything opens the emulators' files
  let locker = options.locker;
  if (locker === undefined) {
    const claim = await claimDataDir(dataDir, { mode, attach: false, log });
    if (!('locker' in claim)) throw new Error('unreachable: a claim without attach returned a stack to attach to');
    locker = claim.locker;
  }
  const held = locker;
  held.onCompromised((why) =>
    log.warn(
      /ENOENT/.test(why)
        ? `the lock of the data dir ${dataDir} was removed by another process (${why}); stop this stack`
        : `the lock of the data dir ${dataDir} could not be kept fresh (${why}); while this process lives, others still leave the data dir to it`,
    ),
  );
  const unlock = async (): Promise<void> => {
    await removeOwner(dataDir).catch(() => undefined);
    await held.release();
  };

  let emulators: EmulatorProcess;
  let modules: Awaited<ReturnType<typeof stackModules>>;
  try {
    await mkdir(dataDir, { recursive: true });
    await clearStaleRuntime(dataDir, log);
    // The emulator host takes a second or so to start (its own Node and tsx); the AWS SDK and the
    // pipeline load in this process meanwhile, on the other core, instead of before it.
    const forked = forkWhenDatabasesFree(dataDir);
    const loaded = stackModules(options.services);
    [emulators, modules] = await Promise.all([forked, loaded]).catch(async (err: unknown) => {
      await forked.then((e) => e.stop()).catch(() => undefined);
      throw err;
    });
  } catch (err) {
    await unlock();
    if (isDatabaseLocked(err)) {
      // LevelDB's own lock: a process that does not take the data dir's lock (an older dubegrid?) has the files open
      throw new Error(
        `another process holds the data dir ${dataDir} (its databases are locked) without its lock; stop any older dubegrid process there`,
        { cause: err },
      );
    }
    throw err;
  }
  void emulators.died.then(() => (emulatorsGone = true));
  const { createClients, bootstrapResources, factories } = modules;
  const plan = 'faults' in options ? options.faults : faultPlanFromEnv();
  let proxies: FaultProxies | undefined;
  if (plan) {
    proxies = await startFaultProxies(emulators.endpoints, plan);
    log.warn(
      `fault injection on: ${(plan.rate * 100).toFixed(1)} % of requests to the emulators get ${plan.kinds.join('/')}`,
    );
  }
  // with faults on, every client of this stack (and of commands attached to it) goes through the proxies
  const endpoints = proxies?.endpoints ?? emulators.endpoints;
  const clients = createClients({ target: 'local', endpoints });
  const services: Service[] = [];
  let control: Awaited<ReturnType<typeof startControlServer>> | undefined;
  const byName = <T extends Service>(name: string): T | undefined =>
    services.find((s) => s.name === name) as T | undefined;

  let stopHeapPacer = (): void => undefined;

  const stop = async (): Promise<void> => {
    stopHeapPacer();
    for (const s of [...services].reverse()) {
      await s.stop().catch((err: Error) => log.warn(`${s.name} did not stop cleanly: ${err.message}`));
    }
    await control?.close();
    clients.destroy();
    if (proxies) {
      log.warn(`fault injection: ${JSON.stringify(proxies.counts())}`);
      await proxies.close();
    }
    await emulators.stop();
    await removeRuntime(dataDir, process.pid);
    await unlock();
  };

  try {
    if (options.bootstrap !== false) await bootstrapResources(clients);
    const ctx: ServiceContext = {
      dataDir,
      paths: dataPaths(dataDir),
      clients,
      onS3Event: (listener) => emulators.onS3Event(listener),
      log,
      service: byName,
    };
    for (const factory of factories) services.push(factory(ctx));
    for (const s of services) await s.start();
    // the pipeline's heap near its live set: most of `up`'s peak was garbage (heap-pacer.ts)
    if (services.length > 0) stopHeapPacer = startHeapPacer();
    const status = async (): Promise<Record<string, Record<string, unknown>>> => {
      const entries = await Promise.all(services.map(async (s) => [s.name, (await s.status?.()) ?? {}] as const));
      return { ...Object.fromEntries(entries), ...(proxies ? { faults: proxies.counts() } : {}) };
    };
    const flush = async (): Promise<void> => {
      for (const s of services) await s.flush?.();
    };
    const resources = async (exact: boolean): Promise<unknown> =>
      (await import('../ops/status.ts')).resourceStatus(clients, { exact });
    control = await startControlServer({ status, flush, resources });
    await writeRuntime(dataDir, {
      ...Object.assign({}, ...services.map((s) => s.runtime?.() ?? {})),
      pid: process.pid,
      startedAt: new Date().toISOString(),
      endpoints,
      control: control.url,
      mode,
      emulator_pid: emulators.pid,
    });
    return {
      dataDir,
      endpoints,
      clients,
      services,
      service: byName,
      status,
      flush,
      stop,
      emulatorPid: emulators.pid,
      emulatorsDied: emulators.died.then((how) =>
        mode === 'up'
          ? `the embedded emulators (pid ${emulators.pid}) died (${how}); this stack cannot serve without them and stops. The data dir is intact: start it again with \`dubegrid up\``
          : `the embedded emulators (pid ${emulators.pid}) of this command's stack died (${how}), so it stopped. The data dir is intact: run the command again`,
      ),
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

/**
 * What the stack needs besides the emulators, imported when it starts: the clients (the AWS SDK),
 * the bootstrap, and the pipeline only when the caller did not choose its services (`status` runs none).
 */
async function stackModules(services: readonly ServiceFactory[] | undefined) {
  const [{ createClients }, { bootstrapResources }, factories] = await Promise.all([
    import('../shared/clients.ts'),
    import('./bootstrap.ts'),
    services ?? import('./pipeline.ts').then((m) => m.PIPELINE_SERVICES),
  ]);
  return { createClients, bootstrapResources, factories };
}

const isDatabaseLocked = (err: unknown): boolean => /lock/i.test((err as Error).message);
/** How long a new owner waits for a dead owner's emulator host to let go of the databases. */
const DATABASES_FREE_WAIT_MS = 15_000;

/**
 * Forks the emulators. Right after a takeover the dead owner's emulator host may still
 * be closing (it exits when its parent is gone), holding LevelDB's locks for a moment:
 * try again until it has let go.
 */
async function forkWhenDatabasesFree(dataDir: string): Promise<EmulatorProcess> {
  const deadline = Date.now() + DATABASES_FREE_WAIT_MS;
  for (;;) {
    try {
      return await forkEmulators(dataDir);
    } catch (err) {
      if (!isDatabaseLocked(err) || Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}
