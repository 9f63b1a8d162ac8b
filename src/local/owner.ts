/**
 * Who owns a data dir, and what a process does when it wants one
 * (docs/reliability.md → "One owner per data dir"):
 * - the lock free (or stale: its owner died): take it, say who we are in `owner.json`;
 * - held by `dubegrid up`: a command attaches to it once its runtime file says it is
 *   ready (waiting while it starts); a second `up` is told which process runs it;
 * - held by a one-off command's own stack: wait for it to end, then take it;
 * - an `up` waiting for it (`up.pending.json`): commands leave the lock to it and attach
 *   once it is ready, so that `up` is not kept waiting behind a queue of one-off stacks.
 * Whatever waits stops after `waitMs` with one line naming the holder and what to do.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from '../shared/retry.ts';
import { DataDirLocker, LOCK_NEVER_STALE_MS, LOCK_STALE_MS, lockPaths } from './data-dir-lock.ts';
import { writeFileAtomically } from './atomic-write.ts';
import { isAlive, readRuntime, StackAlreadyRunningError, type RuntimeInfo } from './runtime-file.ts';
import type { RuntimeLog } from './service.ts';

/** How long a process waits for a data dir held by a starting stack or a one-off command. */
export const CLAIM_WAIT_MS = 120_000;
const CLAIM_POLL_MS = 150;

export interface OwnerInfo {
  readonly pid: number;
  readonly mode: 'up' | 'ephemeral';
  /** The command line after `dubegrid`, for the messages of processes that wait. */
  readonly command: string;
  readonly started_at: string;
}

export interface ClaimOptions {
  readonly mode: 'up' | 'ephemeral';
  /** Use a stack that `up` runs on the data dir rather than start one. */
  readonly attach: boolean;
  /** @default CLAIM_WAIT_MS */
  readonly waitMs?: number | undefined;
  readonly log: RuntimeLog;
}

/** Either the stack to attach to, or the held lock (release it when the stack stops). */
export type Claim = { readonly attach: RuntimeInfo } | { readonly locker: DataDirLocker };

export class DataDirBusyError extends Error {
  override name = 'DataDirBusyError';
  constructor(
    readonly dataDir: string,
    readonly owner: OwnerInfo | undefined,
    waitedMs: number,
  ) {
    super(busyMessage(dataDir, owner, Math.round(waitedMs / 1000)));
  }
}

function busyMessage(dataDir: string, owner: OwnerInfo | undefined, waited: number): string {
  if (owner === undefined) {
    const { lock } = lockPaths(dataDir);
    return (
      `the data dir ${dataDir} is locked (${lock}) by a process that has not said who it is (waited ${waited} s); ` +
      `if no dubegrid process runs on it, the lock goes stale within ${LOCK_STALE_MS / 1000} s: retry then`
    );
  }
  if (owner.mode === 'up') {
    return `the embedded stack on ${dataDir} (dubegrid up, pid ${owner.pid}) has not finished starting after ${waited} s; retry when it is up, or stop it with kill ${owner.pid}`;
  }
  return (
    `the data dir ${dataDir} is in use by \`dubegrid ${owner.command}\` (pid ${owner.pid}, since ${owner.started_at}), ` +
    `which runs its own embedded stack (waited ${waited} s); wait for it to end, or run \`dubegrid up\` in one terminal so that commands share one stack`
  );
}

export function ownerFile(dataDir: string): string {
  return join(dataDir, 'owner.json');
}

function pendingUpFile(dataDir: string): string {
  return join(dataDir, 'up.pending.json');
}

async function removePendingUp(dataDir: string): Promise<void> {
  const file = pendingUpFile(dataDir);
  const text = await readFile(file, 'utf8').catch(() => '');
  if (text.includes(`"pid": ${process.pid}\n`) || text.includes(`"pid": ${process.pid}}`))
    await rm(file, { force: true });
}

/** The pid of another live `up` waiting for the lock, if any. */
async function pendingUp(dataDir: string): Promise<number | undefined> {
  try {
    const { pid } = JSON.parse(await readFile(pendingUpFile(dataDir), 'utf8')) as { pid?: unknown };
    return typeof pid === 'number' && pid !== process.pid && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The recorded owner, when it is a live process (a dead one's record, or a damaged one, is no owner). */
export async function readOwner(dataDir: string): Promise<OwnerInfo | undefined> {
  try {
    const owner = JSON.parse(await readFile(ownerFile(dataDir), 'utf8')) as OwnerInfo;
    return typeof owner.pid === 'number' && isAlive(owner.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** How stale the lock must be to be taken: only a lock whose recorded owner is dead (or unrecorded) can be. */
async function stalenessToTake(dataDir: string): Promise<number> {
  return (await readOwner(dataDir)) === undefined ? LOCK_STALE_MS : LOCK_NEVER_STALE_MS;
}

async function writeOwner(dataDir: string, owner: OwnerInfo): Promise<void> {
  await writeFileAtomically(ownerFile(dataDir), JSON.stringify(owner, null, 2));
}

export async function removeOwner(dataDir: string): Promise<void> {
  const current = await readOwner(dataDir);
  if (current === undefined || current.pid === process.pid) await rm(ownerFile(dataDir), { force: true });
}

export async function claimDataDir(dataDir: string, options: ClaimOptions): Promise<Claim> {
  const { mode, attach, waitMs = CLAIM_WAIT_MS, log } = options;
  await mkdir(dataDir, { recursive: true });
  const locker = new DataDirLocker(dataDir);
  const started = Date.now();
  let said = '';
  if (mode === 'up') await writeFileAtomically(pendingUpFile(dataDir), JSON.stringify({ pid: process.pid }, null, 2));
  try {
    for (;;) {
      const upComing = attach ? await pendingUp(dataDir) : undefined;
      if (upComing === undefined && (await locker.tryLock(await stalenessToTake(dataDir)))) {
        const command = process.argv.slice(2).join(' ').slice(0, 200);
        await writeOwner(dataDir, { pid: process.pid, mode, command, started_at: new Date().toISOString() });
        return { locker };
      }
      const owner = await readOwner(dataDir);
      if (owner?.mode === 'up') {
        const runtime = await readRuntime(dataDir);
        const ready = runtime?.pid === owner.pid ? runtime : undefined;
        if (!attach)
          throw new StackAlreadyRunningError(dataDir, ready ?? { pid: owner.pid, startedAt: owner.started_at });
        if (ready) {
          await locker.release();
          return { attach: ready };
        }
      }
      const line =
        upComing !== undefined && owner?.mode !== 'up'
          ? `waiting for \`dubegrid up\` (pid ${upComing}) to start on ${dataDir}…`
          : waitingLine(dataDir, owner);
      if (line !== said) log.info(line);
      said = line;
      const waited = Date.now() - started;
      if (waited >= waitMs) throw new DataDirBusyError(dataDir, owner, waited);
      await sleep(CLAIM_POLL_MS);
    }
  } catch (err) {
    await locker.release();
    throw err;
  } finally {
    if (mode === 'up') await removePendingUp(dataDir);
  }
}

function waitingLine(dataDir: string, owner: OwnerInfo | undefined): string {
  if (owner === undefined) return `waiting for the data dir ${dataDir}: another process is taking it`;
  if (owner.mode === 'up') return `waiting for the embedded stack on ${dataDir} (pid ${owner.pid}) to finish starting…`;
  return `waiting for \`dubegrid ${owner.command}\` (pid ${owner.pid}) to finish with the data dir ${dataDir}…`;
}
