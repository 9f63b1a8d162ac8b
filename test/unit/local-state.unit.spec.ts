/**
 * The embedded stack's local state under faults (issue #18): the data dir's lock (one
 * owner, a dead owner's lock taken over), a half-written runtime.json, and damaged
 * checkpoints, which are recovered from with one line instead of a crash.
 */
import { mkdir, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DataDirLocker,
  LOCK_NEVER_STALE_MS,
  LOCK_STALE_MS,
  lockPaths,
  staleLockSeen,
  takeOverStale,
} from '../../src/local/data-dir-lock.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { claimDataDir, DataDirBusyError, ownerFile } from '../../src/local/owner.ts';
import {
  clearStaleRuntime,
  inspectRuntime,
  readRuntime,
  StackAlreadyRunningError,
  writeRuntime,
  type RuntimeInfo,
} from '../../src/local/runtime-file.ts';
import { CheckpointStore, resumePosition } from '../../src/shared/kinesis/checkpoints.ts';
import { tempDir } from '../support/tmp.ts';

const ENDPOINTS = { s3: 'http://127.0.0.1:1', kinesis: 'http://127.0.0.1:2', dynamodb: 'http://127.0.0.1:3' };
/** A pid no process has (above the kernel's pid_max default). */
const DEAD_PID = 4_194_304 + 7;

function lines(): { log: { info(m: string): void; warn(m: string): void; error(m: string): void }; said: string[] } {
  const said: string[] = [];
  const keep = (m: string): void => void said.push(m);
  return { log: { info: keep, warn: keep, error: keep }, said };
}

let dir: string;
let cleanup: () => Promise<void>;
const lockers: DataDirLocker[] = [];
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('dubegrid-local-state-'));
});
afterEach(async () => {
  for (const l of lockers.splice(0)) await l.release();
  await cleanup();
});
const locker = (): DataDirLocker => {
  const l = new DataDirLocker(dir);
  lockers.push(l);
  return l;
};

describe('the data dir lock', () => {
  it('has one holder at a time, and is free again once released', async () => {
    const [a, b] = [locker(), locker()];
    expect(await a.tryLock(LOCK_STALE_MS)).toBe(true);
    expect(await b.tryLock(LOCK_STALE_MS)).toBe(false);
    await a.release();
    expect(await b.tryLock(LOCK_STALE_MS)).toBe(true);
  });

  it('takes over the lock of an owner that died (not refreshed for the stale time)', async () => {
    await mkdir(lockPaths(dir).lock);
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPaths(dir).lock, old, old);
    await writeFile(ownerFile(dir), JSON.stringify({ pid: DEAD_PID, mode: 'up', command: 'up', started_at: 'x' }));
    expect(await locker().tryLock(LOCK_NEVER_STALE_MS)).toBe(false); // a live owner's lock is never stale
    const { log, said } = lines();
    const claim = await claimDataDir(dir, { mode: 'up', attach: false, log });
    expect('locker' in claim).toBe(true);
    if ('locker' in claim) lockers.push(claim.locker);
    expect(said).toEqual([]);
    expect(JSON.parse(await readFile(ownerFile(dir), 'utf8'))).toMatchObject({ pid: process.pid, mode: 'up' });
  });

  it('gives a stale lock to one process only, even when a second judged it stale too (proper-lockfile#121)', async () => {
    const { lock } = lockPaths(dir);
    const staleLock = async (): Promise<void> => {
      await mkdir(lock);
      const old = new Date(Date.now() - 60_000);
      await utimes(lock, old, old);
    };
    await staleLock();
    const seenByLate = await staleLockSeen(lock, LOCK_STALE_MS);
    expect(seenByLate).toBeDefined();
    // the first process takes over and holds a fresh lock…
    const first = locker();
    expect(await first.tryLock(LOCK_STALE_MS)).toBe(true);
    // …then the late one acts on what it saw: it must leave the fresh lock alone
    expect(await takeOverStale(lock, seenByLate!)).toBe(false);
    expect(await locker().tryLock(LOCK_STALE_MS)).toBe(false);
    expect((await readdir(dir)).filter((n) => n.startsWith('owner.lock'))).toEqual(['owner.lock']);
    await first.release();

    // and many contenders at once on one stale lock: exactly one wins
    for (let round = 0; round < 5; round++) {
      await staleLock();
      const contenders = Array.from({ length: 6 }, () => locker());
      const won = await Promise.all(contenders.map((l) => l.tryLock(LOCK_STALE_MS)));
      expect(won.filter(Boolean), `round ${round}`).toHaveLength(1);
      for (const l of contenders) await l.release();
    }
  });

  it("keeps a live owner's lock even when it was not refreshed for longer than the stale time", async () => {
    const { log } = lines();
    const first = await claimDataDir(dir, { mode: 'ephemeral', attach: true, log });
    if ('locker' in first) lockers.push(first.locker);
    const old = new Date(Date.now() - 60_000);
    await utimes(lockPaths(dir).lock, old, old); // as if its refresh had been starved
    const err = await claimDataDir(dir, { mode: 'ephemeral', attach: true, log, waitMs: 300 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DataDirBusyError);
  });

  it('makes a command wait for a one-off command that holds it, then says in one line who holds it', async () => {
    const { log, said } = lines();
    const first = await claimDataDir(dir, { mode: 'ephemeral', attach: true, log });
    expect('locker' in first).toBe(true);
    if ('locker' in first) lockers.push(first.locker);
    const err = await claimDataDir(dir, { mode: 'ephemeral', attach: true, log, waitMs: 400 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(DataDirBusyError);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).toMatch(/in use by `dubegrid .*` \(pid \d+, since .*\).*wait for it to end/);
    expect(said.some((l) => l.startsWith('waiting for `dubegrid'))).toBe(true);
  });

  it('attaches a command to `up` once it is ready, and refuses a second `up` naming the first', async () => {
    const { log } = lines();
    const up = await claimDataDir(dir, { mode: 'up', attach: false, log });
    if ('locker' in up) lockers.push(up.locker);
    const second = await claimDataDir(dir, { mode: 'up', attach: false, log }).catch((e: Error) => e);
    expect(second).toBeInstanceOf(StackAlreadyRunningError);
    expect((second as Error).message).toContain(`pid ${process.pid}`);
    const info: RuntimeInfo = { pid: process.pid, startedAt: 'now', endpoints: ENDPOINTS, mode: 'up' };
    await writeRuntime(dir, info);
    const command = await claimDataDir(dir, { mode: 'ephemeral', attach: true, log });
    expect(command).toEqual({ attach: info });
  });
});

describe('the runtime file', () => {
  it('says a half-written runtime.json is damaged, ignores it, and the new owner replaces it with one line', async () => {
    const file = dataPaths(dir).runtimeFile;
    await writeFile(file, '{"pid": 12, "startedAt": "2026-');
    expect(await inspectRuntime(dir)).toMatchObject({ state: 'damaged' });
    expect(await readRuntime(dir)).toBeUndefined();
    const { log, said } = lines();
    await clearStaleRuntime(dir, log);
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/runtime\.json was damaged \(not valid JSON/);
    expect(await inspectRuntime(dir)).toEqual({ state: 'absent' });
  });

  it("names a crashed stack's runtime.json as such, and never offers it to attach to", async () => {
    await writeRuntime(dir, { pid: DEAD_PID, startedAt: 'then', endpoints: ENDPOINTS, mode: 'up' });
    expect(await inspectRuntime(dir)).toMatchObject({ state: 'dead' });
    expect(await readRuntime(dir)).toBeUndefined();
    const { log, said } = lines();
    await clearStaleRuntime(dir, log);
    expect(said).toEqual([expect.stringMatching(new RegExp(`pid ${DEAD_PID}\\) did not stop cleanly`))]);
  });

  it('is written through a temp file and a rename: no temp file is left behind', async () => {
    await writeRuntime(dir, { pid: process.pid, startedAt: 'now', endpoints: ENDPOINTS, mode: 'up' });
    expect(await readdir(dir)).toEqual(['runtime.json']);
  });
});

describe('checkpoints under damage', () => {
  const SHARD = 'shardId-000000000000';
  const store = (said: string[]): CheckpointStore =>
    new CheckpointStore(dataPaths(dir).checkpoints, 'state', { onDamaged: (m) => said.push(m) });
  const fileOf = (): string => join(dataPaths(dir).checkpoints, 'state', `${SHARD}.json`);

  it('resumes from the last good checkpoint when the current one is truncated, saying so in one line', async () => {
    const said: string[] = [];
    await store(said).save(SHARD, '100', { records: 5 });
    await store(said).save(SHARD, '200', { records: 5 });
    const text = await readFile(fileOf(), 'utf8');
    await writeFile(fileOf(), text.slice(0, text.length / 2));
    const cp = await store(said).get(SHARD);
    expect(cp?.sequence_number).toBe('100');
    expect(resumePosition(cp)).toEqual({ type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: '100' });
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/was damaged \(not valid JSON.*resumes from the last good one \(100\)/);
    expect(await readdir(join(dataPaths(dir).checkpoints, 'state'))).toContain(`${SHARD}.json.damaged`);
    // and it goes on: the next save moves forward from there
    expect((await store(said).save(SHARD, '300')).sequence_number).toBe('300');
    expect((await store(said).get(SHARD))?.sequence_number).toBe('300');
  });

  it('reads the last good copy when a save was cut between its two renames', async () => {
    const said: string[] = [];
    await store(said).save(SHARD, '100');
    await store(said).save(SHARD, '200');
    const { rm } = await import('node:fs/promises');
    await rm(fileOf());
    expect((await store(said).all()).get(SHARD)?.sequence_number).toBe('100');
    expect(said[0]).toMatch(/missing after an interrupted save/);
  });

  it('re-reads the shard from its trim horizon when no good copy is left', async () => {
    const said: string[] = [];
    await mkdir(join(dataPaths(dir).checkpoints, 'state'), { recursive: true });
    await writeFile(fileOf(), '{"consumer":"state","shard_id":');
    const cp = await store(said).get(SHARD);
    expect(resumePosition(cp)).toEqual({ type: 'TRIM_HORIZON' });
    expect(said[0]).toMatch(/re-reads the shard from its trim horizon/);
  });

  it('treats a checkpoint whose sequence number is not a number as damaged', async () => {
    const said: string[] = [];
    await store(said).save(SHARD, '100');
    await writeFile(fileOf(), JSON.stringify({ consumer: 'state', shard_id: SHARD, sequence_number: 'x', records: 1 }));
    expect(resumePosition(await store(said).get(SHARD))).toEqual({ type: 'TRIM_HORIZON' });
  });
});
