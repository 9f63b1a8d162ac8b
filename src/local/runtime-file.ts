/**
 * The runtime file: how `dubegrid` commands in other terminals find a running
 * embedded stack (its endpoints and pid) on the same data dir.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import type { LocalEndpoints } from '../shared/clients.ts';
import { writeFileAtomically } from './atomic-write.ts';
import { dataPaths } from './data-dir.ts';

export interface RuntimeInfo {
  readonly pid: number;
  readonly startedAt: string;
  readonly endpoints: LocalEndpoints;
  /** The runtime's control endpoint (status, flush), when services run in it. */
  readonly control?: string;
  /** The console and API server, when one runs (`dubegrid up`, `npm start`); the token is not in it. */
  readonly console_url?: string;
  /** What the process runs: `up` (long-lived) or a command's own lifetime stack. */
  readonly mode: 'up' | 'ephemeral';
  /** The emulator host's pid (a child of `pid`), for operators and crash tests. */
  readonly emulator_pid?: number;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What the runtime file holds: a live stack's info, a dead one's (a crash), or damage. */
export type RuntimeFileState =
  | { readonly state: 'absent' }
  | { readonly state: 'live' | 'dead'; readonly info: RuntimeInfo }
  | { readonly state: 'damaged'; readonly reason: string };

export async function inspectRuntime(dataDir: string): Promise<RuntimeFileState> {
  let text: string;
  try {
    text = await readFile(dataPaths(dataDir).runtimeFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: 'absent' };
    throw err;
  }
  let info: RuntimeInfo;
  try {
    info = JSON.parse(text) as RuntimeInfo;
  } catch (err) {
    return { state: 'damaged', reason: `not valid JSON (${(err as Error).message})` };
  }
  if (typeof info?.pid !== 'number' || typeof info.endpoints !== 'object' || info.endpoints === null) {
    return { state: 'damaged', reason: 'it does not name a pid and endpoints' };
  }
  return { state: isAlive(info.pid) ? 'live' : 'dead', info };
}

/** The running stack on this data dir, or undefined (a stale or damaged file from a crash is ignored). */
export async function readRuntime(dataDir: string): Promise<RuntimeInfo | undefined> {
  const found = await inspectRuntime(dataDir);
  return found.state === 'live' ? found.info : undefined;
}

/**
 * For the data dir's new owner: removes a runtime file a crashed process left, saying
 * in one line what it found, so no command attaches to endpoints nobody serves.
 */
export async function clearStaleRuntime(dataDir: string, log: { warn(message: string): void }): Promise<void> {
  const found = await inspectRuntime(dataDir);
  if (found.state === 'absent') return;
  const file = dataPaths(dataDir).runtimeFile;
  if (found.state === 'damaged') {
    log.warn(`${file} was damaged (${found.reason}; a crash while it was written?): replaced by this stack's`);
  } else if (found.info.pid !== process.pid) {
    log.warn(
      `the stack on ${dataDir} (pid ${found.info.pid}) did not stop cleanly; this process takes the data dir over`,
    );
  }
  await rm(file, { force: true });
}

export async function writeRuntime(dataDir: string, info: RuntimeInfo): Promise<void> {
  const file = dataPaths(dataDir).runtimeFile;
  await mkdir(dataDir, { recursive: true });
  await writeFileAtomically(file, JSON.stringify(info, null, 2));
}

export async function removeRuntime(dataDir: string, pid: number): Promise<void> {
  const current = await readRuntime(dataDir).catch(() => undefined);
  if (current && current.pid !== pid) return;
  await rm(dataPaths(dataDir).runtimeFile, { force: true });
}

export class StackAlreadyRunningError extends Error {
  override name = 'StackAlreadyRunningError';
  constructor(
    readonly dataDir: string,
    readonly info: Pick<RuntimeInfo, 'pid' | 'startedAt'>,
  ) {
    super(
      `an embedded stack is already running on ${dataDir} (pid ${info.pid}, started ${info.startedAt}); ` +
        `use it from this terminal, or stop it with Ctrl-C / kill ${info.pid}`,
    );
  }
}
