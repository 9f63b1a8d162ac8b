/**
 * The runtime file: how `dubegrid` commands in other terminals find a running
 * embedded stack (its endpoints and pid) on the same data dir.
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { LocalEndpoints } from '../shared/clients.ts';
import { dataPaths } from './data-dir.ts';

export interface RuntimeInfo {
  readonly pid: number;
  readonly startedAt: string;
  readonly endpoints: LocalEndpoints;
  /** The runtime's control endpoint (status, flush), when services run in it. */
  readonly control?: string;
  /** What the process runs: `up` (long-lived) or a command's own lifetime stack. */
  readonly mode: 'up' | 'ephemeral';
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

/** The running stack on this data dir, or undefined (a stale file from a crash is ignored). */
export async function readRuntime(dataDir: string): Promise<RuntimeInfo | undefined> {
  let text: string;
  try {
    text = await readFile(dataPaths(dataDir).runtimeFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let info: RuntimeInfo;
  try {
    info = JSON.parse(text) as RuntimeInfo;
  } catch {
    return undefined;
  }
  return isAlive(info.pid) ? info : undefined;
}

export async function writeRuntime(dataDir: string, info: RuntimeInfo): Promise<void> {
  const file = dataPaths(dataDir).runtimeFile;
  await mkdir(dataDir, { recursive: true });
  // write-then-rename: a reader never sees half a file
  await writeFile(`${file}.tmp`, JSON.stringify(info, null, 2));
  await rename(`${file}.tmp`, file);
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
    readonly info: RuntimeInfo,
  ) {
    super(
      `an embedded stack is already running on ${dataDir} (pid ${info.pid}, started ${info.startedAt}); ` +
        `use it from this terminal, or stop it with Ctrl-C / kill ${info.pid}`,
    );
  }
}
