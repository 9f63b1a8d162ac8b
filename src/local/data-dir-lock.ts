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
 */
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
        stale: m.stale,
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
      workerData: { module: LOCKFILE_MODULE, ...paths, update: LOCK_UPDATE_MS },
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
    const reply = await this.ask({ type: 'try', stale: staleMs });
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

  private ask(message: { type: 'try'; stale: number } | { type: 'release' }): Promise<FromWorker> {
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
