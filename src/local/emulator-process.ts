/**
 * Parent side of the emulator host: forks it, waits for its endpoints, relays its
 * S3 notifications, and stops it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { S3Event } from 'aws-lambda';
import type { LocalEndpoints } from '../shared/clients.ts';
import type { HostMessage } from './emulator-host.ts';

const HOST_ENTRY = fileURLToPath(new URL('./emulator-host.ts', import.meta.url));
const TSX = createRequire(import.meta.url).resolve('tsx');

export interface EmulatorProcess {
  readonly endpoints: LocalEndpoints;
  readonly pid: number;
  onS3Event(listener: (event: S3Event) => void): void;
  /**
   * Settles when the host exits without being asked to stop (killed, crashed): how it ended,
   * e.g. "signal SIGKILL" or "exit code 1". Never settles after `stop()`.
   */
  readonly died: Promise<string>;
  stop(): Promise<void>;
  /** For crash tests: kill the host without a clean shutdown. */
  kill(signal: NodeJS.Signals): void;
}

/**
 * glibc's malloc arenas in the emulator host. By default glibc gives each thread that
 * allocates its own arena, up to 8 per core, and keeps what each one has held: LevelDB's
 * compaction threads and libuv's pool (leveldown's reads and writes) each grew one, ~90 MiB
 * of the host's resident memory in 40 mappings. Two arenas are plenty for its few threads
 * of real work. A user's own MALLOC_ARENA_MAX wins.
 */
const HOST_MALLOC_ARENAS = '2';

/**
 * glibc's mmap threshold in the emulator host, fixed. By default it is dynamic: each time a
 * block above it that was mmapped is freed, the threshold rises to that block's size (up to
 * 32 MiB), so after the first few GetRecords responses and LevelDB batches (1–2 MiB) every
 * later one came from the heap, whose freed middle glibc cannot give back: the host's
 * `[heap]` crept up with the data served. Fixed at 256 KiB, larger blocks are mapped and
 * unmapped on their own and the trim threshold stays put too. `dubegrid` itself starts with
 * the same (bin/dubegrid.js's shebang sets it), which the host inherits; a process that embeds
 * the stack with a setting of its own keeps it.
 */
export const HOST_MALLOC_MMAP_THRESHOLD = String(256 * 1024);

/**
 * s3rver makes a ListObjectsV2 page's continuation token with DES, a cipher OpenSSL 3 (Node
 * 17 on) keeps in its legacy provider: without it every listing of more than one page
 * (over 1,000 keys) answered InternalError, so `status` and any paginated listing failed
 * once a prefix held 1,000 objects (the long run's alert archive did). The token is
 * s3rver's own opaque cursor, not security.
 */
const HOST_OPENSSL = '--openssl-legacy-provider';

/**
 * V8's young generation in the emulator host. By default each of its two semi-spaces grows
 * to 16 MiB under steady allocation and stays there: 32 MiB of the host's resident memory
 * for objects that live one request. 8 MiB each halves that at the price of more (short)
 * scavenges; the host's live set is 25–80 MiB and its heap limit 256 MiB.
 */
const HOST_SEMI_SPACE = '--max-semi-space-size=8';

export async function forkEmulators(dataDir: string): Promise<EmulatorProcess> {
  const child = fork(HOST_ENTRY, [dataDir], {
    execArgv: ['--import', TSX, '--no-deprecation', '--max-old-space-size=256', HOST_SEMI_SPACE, HOST_OPENSSL],
    env: {
      ...process.env,
      MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? HOST_MALLOC_ARENAS,
      MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? HOST_MALLOC_MMAP_THRESHOLD,
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const listeners: ((event: S3Event) => void)[] = [];
  const endpoints = await new Promise<LocalEndpoints>((resolve, reject) => {
    const onExit = (code: number | null): void =>
      reject(new Error(`the emulator host exited (code ${code}) before it was ready`));
    child.once('exit', onExit);
    child.on('message', (m: HostMessage) => {
      if (m.type === 'ready') {
        child.off('exit', onExit);
        resolve(m.endpoints);
      } else if (m.type === 'error') {
        reject(new Error(`the embedded emulators could not start: ${m.message}`));
      } else if (m.type === 's3event') {
        for (const l of listeners) l(m.event);
      }
    });
  });
  let stopping = false;
  const died = new Promise<string>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) resolve(signal !== null ? `signal ${signal}` : `exit code ${code}`);
    }),
  );
  return {
    endpoints,
    pid: child.pid ?? -1,
    onS3Event: (listener) => listeners.push(listener),
    died,
    stop: () => {
      stopping = true;
      return stopChild(child);
    },
    kill: (signal) => child.kill(signal),
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: 'stop' });
  });
}
