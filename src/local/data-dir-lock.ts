/**
 * The data dir's lock: one owner per data dir, taken before anything opens the
 * emulators' files (docs/reliability.md → "One owner per data dir").
 *
 * proper-lockfile: an atomic `mkdir` of `<data dir>/owner.lock`, whose mtime the owner
 * refreshes every LOCK_UPDATE_MS from a worker thread of its own (a busy event loop in
 * the owner never delays it). A lock is taken over only when both say its owner is
 * gone: the pid its owner recorded is dead (or none was recorded) and the lock was not
 * refreshed for LOCK_STALE_MS; the caller passes the staleness to use (`tryLock`). So a
 * live owner on a machine too loaded to refresh in time keeps its lock, and a SIGKILLed
 * one's is free within seconds. LevelDB's own `LOCK` files stay as the last line: two
 * writers can never open the same database.
 *
 * The takeover of a stale lock is ours, not proper-lockfile's: its stat, rmdir, mkdir lets a
 * process that judged the old lock stale remove the lock another process has just taken
 * in its place, and both then hold it (moxystudio/node-proper-lockfile#121; it failed
 * `data-dir-race` once in 20 rounds). `takeOverStale` claims the stale lock with one
 * rename, which only one process can win, and removes it only when what it moved is the
 * very lock it judged stale.
 */
import { randomUUID } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/** A lock left unrefreshed this long is a dead owner's (proper-lockfile's minimum is 2 s). */
export const LOCK_STALE_MS = 5_000;
export const LOCK_UPDATE_MS = 1_000;
/** The staleness a live owner's lock is judged by: never, in practice. */
export const LOCK_NEVER_STALE_MS = 24 * 3600_000;

export function lockPaths(dataDir: string): { readonly target: string; readonly lock: string } {
  return { target: join(dataDir, 'owner'), lock: join(dataDir, 'owner.lock') };
}

/** The lock dir as seen, when it is older than `staleMs` (its owner stopped refreshing it). */
export async function staleLockSeen(lock: string, staleMs: number): Promise<Stats | undefined> {
  const seen = await stat(lock).catch(() => undefined);
  return seen !== undefined && seen.mtimeMs < Date.now() - staleMs ? seen : undefined;
}

const isSameLock = (a: Stats, b: Stats): boolean => a.ino === b.ino && a.dev === b.dev && a.mtimeMs === b.mtimeMs;

/**
 * Removes the stale lock `seen`, unless another process has already replaced it: true
 * when it was removed (by us or by a process before us), false when the lock now there
 * is someone's fresh one, which stays theirs. The rename is the single-winner step; the
 * inode and mtime tell the stale lock from a fresh one made since (an inode may be reused,
 * a fresh lock's mtime is new).
 */
export async function takeOverStale(lock: string, seen: Stats): Promise<boolean> {
  const claimed = `${lock}.stale-${process.pid}-${randomUUID()}`;
  try {
    await rename(lock, claimed);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true; // gone already: free for mkdir
    throw err;
  }
  const moved = await stat(claimed);
  if (isSameLock(moved, seen)) {
    await rm(claimed, { recursive: true, force: true });
    return true;
  }
  // A fresh lock, taken between our look and our rename: put it back for its owner (whose
  // refresh checks the mtime it last set, which the rename keeps).
  await rename(claimed, lock);
  return false;
}

type FromWorker =
  | { type: 'locked' }
  | { type: 'busy' }
  | { type: 'released' }
  | { type: 'compromised'; message: string }
  | { type: 'error'; message: string };

// CommonJS run in the worker: plain JavaScript, so it needs no TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const lockfile = require(workerData.module);
let release;
parentPort.on('message', async (m) => {
  if (m.type === 'try') {
    try {
      release = await lockfile.lock(workerData.target, {
        realpath: false,
        lockfilePath: workerData.lock,
        // never proper-lockfile's takeover (see takeOverStale): a held lock is busy
        stale: workerData.neverStale,
        update: workerData.update,
        retries: 0,
        onCompromised: (err) => parentPort.postMessage({ type: 'compromised', message: err.message }),
      });
      parentPort.postMessage({ type: 'locked' });
    } catch (err) {
      parentPort.postMessage(err.code === 'ELOCKED' ? { type: 'busy' } : { type: 'error', message: err.message });
    }
  } else if (m.type === 'release') {
    try { if (release) await release(); } catch {}
    parentPort.postMessage({ type: 'released' });
    parentPort.close();
  }
});
`;

const LOCKFILE_MODULE = createRequire(import.meta.url).resolve('proper-lockfile');

/**
 * Tries, as often as asked, to take the data dir's lock; once taken, holds it until
 * `release()` (or until this process ends: a stale lock is taken over after LOCK_STALE_MS).
 */
export class DataDirLocker {
  private readonly worker: Worker;
  private readonly replies: ((m: FromWorker) => void)[] = [];
  private held = false;
  private closed = false;
  private compromisedListener: ((message: string) => void) | undefined;

  constructor(readonly dataDir: string) {
    const paths = lockPaths(dataDir);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { module: LOCKFILE_MODULE, ...paths, update: LOCK_UPDATE_MS, neverStale: LOCK_NEVER_STALE_MS },
    });
    // the lock must not keep a finished command alive; process exit releases it (or it goes stale)
    this.worker.unref();
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'compromised') this.compromisedListener?.(m.message);
      else this.replies.shift()?.(m);
    });
    this.worker.on('error', (err) => {
      for (const reply of this.replies.splice(0)) reply({ type: 'error', message: err.message });
    });
  }

  /**
   * True when this process now holds the lock; false when another process does. A lock
   * not refreshed for `staleMs` is removed and taken: pass LOCK_STALE_MS only when its
   * owner is known to be dead.
   */
  async tryLock(staleMs: number): Promise<boolean> {
    if (this.held) return true;
    const { lock } = lockPaths(this.dataDir);
    const stale = staleMs < LOCK_NEVER_STALE_MS ? await staleLockSeen(lock, staleMs) : undefined;
    if (stale !== undefined && !(await takeOverStale(lock, stale))) return false;
    const reply = await this.ask({ type: 'try' });
    if (reply.type === 'error') throw new Error(`could not lock the data dir ${this.dataDir}: ${reply.message}`);
    this.held = reply.type === 'locked';
    return this.held;
  }

  /** Called if another process took the lock from us (our refresh failed for LOCK_STALE_MS). */
  onCompromised(listener: (message: string) => void): void {
    this.compromisedListener = listener;
  }

  /** Releases the lock (when held) and ends the worker. */
  async release(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ask({ type: 'release' }).catch(() => undefined);
    await this.worker.terminate().catch(() => undefined);
  }

  private ask(message: { type: 'try' } | { type: 'release' }): Promise<FromWorker> {
    // referenced while a reply is awaited, or this process could end waiting for it
    this.worker.ref();
    return new Promise<FromWorker>((resolve) => {
      this.replies.push(resolve);
      this.worker.postMessage(message);
    }).finally(() => {
      if (this.replies.length === 0) this.worker.unref();
    });
  }
}
