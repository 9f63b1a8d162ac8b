/**
 * The embedded stack: emulators in a child process, every resource bootstrapped
 * from the shared definitions, the pipeline's services, a control endpoint and the
 * runtime file that lets other terminals find it.
 */
import { mkdir } from 'node:fs/promises';
import { createClients, type Clients, type LocalEndpoints } from '../shared/clients.ts';
import { bootstrapResources } from './bootstrap.ts';
import { startControlServer } from './control.ts';
import { dataPaths } from './data-dir.ts';
import { forkEmulators, type EmulatorProcess } from './emulator-process.ts';
import { PIPELINE_SERVICES } from './pipeline.ts';
import { readRuntime, removeRuntime, StackAlreadyRunningError, writeRuntime } from './runtime-file.ts';
import { silentLog, type RuntimeLog, type Service, type ServiceContext, type ServiceFactory } from './service.ts';

export interface StackOptions {
  readonly dataDir: string;
  /** `up` is long-lived; `ephemeral` lives for one command. Both write the runtime file. */
  readonly mode?: 'up' | 'ephemeral';
  /** Services to run; the whole pipeline by default, none for a bare stack. */
  readonly services?: readonly ServiceFactory[];
  readonly log?: RuntimeLog;
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
}

export async function startStack(options: StackOptions): Promise<EmbeddedStack> {
  const { dataDir, mode = 'up', services: factories = PIPELINE_SERVICES, log = silentLog } = options;
  const running = await readRuntime(dataDir);
  if (running) throw new StackAlreadyRunningError(dataDir, running);
  await mkdir(dataDir, { recursive: true });

  let emulators: EmulatorProcess;
  try {
    emulators = await forkEmulators(dataDir);
  } catch (err) {
    if (/lock/i.test((err as Error).message)) {
      throw new Error(
        `another process holds the data dir ${dataDir} (its databases are locked); is a stack starting there?`,
        { cause: err },
      );
    }
    throw err;
  }
  const clients = createClients({ target: 'local', endpoints: emulators.endpoints });
  const services: Service[] = [];
  let control: Awaited<ReturnType<typeof startControlServer>> | undefined;
  const byName = <T extends Service>(name: string): T | undefined =>
    services.find((s) => s.name === name) as T | undefined;

  const stop = async (): Promise<void> => {
    for (const s of [...services].reverse()) {
      await s.stop().catch((err: Error) => log.warn(`${s.name} did not stop cleanly: ${err.message}`));
    }
    await control?.close();
    clients.destroy();
    await emulators.stop();
    await removeRuntime(dataDir, process.pid);
  };

  try {
    await bootstrapResources(clients);
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
    const status = async (): Promise<Record<string, Record<string, unknown>>> => {
      const entries = await Promise.all(services.map(async (s) => [s.name, (await s.status?.()) ?? {}] as const));
      return Object.fromEntries(entries);
    };
    const flush = async (): Promise<void> => {
      for (const s of services) await s.flush?.();
    };
    control = await startControlServer({ status, flush });
    await writeRuntime(dataDir, {
      pid: process.pid,
      startedAt: new Date().toISOString(),
      endpoints: emulators.endpoints,
      control: control.url,
      mode,
    });
    return {
      dataDir,
      endpoints: emulators.endpoints,
      clients,
      services,
      service: byName,
      status,
      flush,
      stop,
      emulatorPid: emulators.pid,
    };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
