/**
 * `dubegrid up` as a soak scenario drives it: the real binary in its own process group
 * (so one signal reaches `up` and its emulator child together, as a crash or the OOM
 * killer would), its output kept, its readiness read from the data dir's runtime file.
 */
import { spawn } from 'node:child_process';
import { readRuntime, type RuntimeInfo } from '../../../src/local/runtime-file.ts';
import { cliArgv, cliEnv } from '../../support/cli.ts';
import { eventually } from '../../support/eventually.ts';

export interface UpProcess {
  readonly pid: number;
  /** Settles when `up` exits: its code, or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stderr: () => string;
  readonly stdout: () => string;
  /** Signals the whole process group: `up` and its emulator host. */
  killGroup(signal: NodeJS.Signals): void;
}

/** How long a start may take on the loaded 2-core machine (emulators, bootstrap, reconcile). */
export const UP_READY_MS = 180_000;

export function spawnUp(dataDir: string): UpProcess {
  const child = spawn(process.execPath, cliArgv(['up', '--data-dir', dataDir]), {
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: -pid reaches the emulator host too
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start `dubegrid up`');
  return {
    pid,
    exited,
    stderr: () => stderr,
    stdout: () => stdout,
    killGroup: (signal) => {
      try {
        process.kill(-pid, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // the group is gone already
      }
    },
  };
}

/** Waits until this `up` serves the data dir (its runtime file names it), and returns that file. */
export function untilServing(dataDir: string, up: UpProcess): Promise<RuntimeInfo> {
  return eventually(
    `\`dubegrid up\` (pid ${up.pid}) serving ${dataDir}; its stderr: ${up.stderr()}`,
    async () => {
      const runtime = await readRuntime(dataDir);
      return runtime?.pid === up.pid && runtime.mode === 'up' ? runtime : undefined;
    },
    { timeoutMs: UP_READY_MS, intervalMs: 100 },
  );
}

/** Stops `up` as Ctrl-C would and waits for it; a group kill if it does not end. */
export async function stopUp(up: UpProcess): Promise<void> {
  up.killGroup('SIGTERM');
  const timer = setTimeout(() => up.killGroup('SIGKILL'), 60_000);
  await up.exited;
  clearTimeout(timer);
}
