/**
 * One owner per data dir (issue #18, item 1), as two terminals meet it: `dubegrid up` and
 * five other commands started at the same moment on one data dir, round after round on
 * the same dir. The first round starts on what a killed process leaves (a lock nobody
 * refreshes, a dead owner's record, a half-written runtime.json); every other round ends
 * with `up` killed by SIGKILL, the next one taking over its stale lock and runtime file.
 * Every command succeeds or says why in one line, nothing opens the emulators' databases
 * twice, and `up` ends up serving. Rounds: 1 in npm test (each round starts seven
 * processes and a full stack: tens of seconds on a loaded 2-core machine), 20 under
 * `npm run soak` (DUBEGRID_SOAK_LOCK_ROUNDS overrides).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { lockPaths } from '../../src/local/data-dir-lock.ts';
import { dataPaths } from '../../src/local/data-dir.ts';
import { ownerFile } from '../../src/local/owner.ts';
import { readRuntime } from '../../src/local/runtime-file.ts';
import { CLI, runCli, type CliRun } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { tempDir } from '../support/tmp.ts';
import { scaled } from '../soak/scale.ts';

const ROUNDS = scaled('lock_rounds', 1, 20);
/** A pid no process has (above the kernel's pid_max default). */
const DEAD_PID = 4_194_304 + 7;

/** What `dubegrid up` killed by SIGKILL mid-write would leave. */
async function leaveCrashedState(dataDir: string): Promise<void> {
  const { lock } = lockPaths(dataDir);
  await mkdir(lock, { recursive: true });
  const old = new Date(Date.now() - 60_000);
  await utimes(lock, old, old);
  await writeFile(ownerFile(dataDir), JSON.stringify({ pid: DEAD_PID, mode: 'up', command: 'up', started_at: 'then' }));
  await writeFile(dataPaths(dataDir).runtimeFile, `{"pid": ${DEAD_PID}, "startedAt": "2026-12-`);
}
const COMMANDS = [
  ['status', '--json'],
  ['state', 'LV1:01', '--json'],
  ['series', 'LV1:01', '--json'],
  ['alerts', '--json'],
  ['status', '--json'],
];

function startUp(dataDir: string): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

/** Succeeded, or said why in one `dubegrid: …` line; never a stack trace, never a second opener of the databases. */
function expectSucceededOrSaidWhy(run: CliRun, what: string): 'ok' | 'refused' {
  // the whole stderr in the message: the assertion's own print of it is cut short
  const said = `${what}, its stderr in full:\n${run.stderr}`;
  expect(run.stderr, said).not.toMatch(/^\s+at /m);
  expect(run.stderr, said).not.toMatch(/IO error: lock|Resource temporarily unavailable|OpenError/);
  if (run.code === 0) return 'ok';
  const errors = run.stderr.split('\n').filter((l) => l.startsWith('dubegrid: '));
  expect(errors, `${what}: ${run.stderr}`).toHaveLength(1);
  return 'refused';
}

describe('one owner per data dir', () => {
  it(
    `serves \`up\` and five commands started at the same moment, ${ROUNDS} rounds on one data dir`,
    async () => {
      const { dir, cleanup } = await tempDir();
      let up: ReturnType<typeof startUp> | undefined;
      const tally = { ok: 0, refused: 0, attached: 0, own_stack: 0 };
      await leaveCrashedState(dir);
      const started = Date.now();
      try {
        for (let round = 1; round <= ROUNDS; round++) {
          up = startUp(dir);
          const runs = await Promise.all(COMMANDS.map((args) => runCli([...args, '--data-dir', dir])));
          runs.forEach((run, i) => {
            const outcome = expectSucceededOrSaidWhy(run, `round ${round}: ${COMMANDS[i]?.join(' ')}`);
            tally[outcome]++;
            if (outcome === 'ok' && COMMANDS[i]?.[0] === 'status') {
              const doc = JSON.parse(run.stdout) as { runtime: { mode: string } };
              if (doc.runtime.mode === 'up') tally.attached++;
              else tally.own_stack++;
            }
          });
          const current = up;
          const info = await eventually(
            `round ${round}: \`up\` (pid ${current.child.pid}) serving; its output: ${current.output()}`,
            async () => {
              const runtime = await readRuntime(dir);
              return runtime !== undefined && runtime.pid === current.child.pid && runtime.mode === 'up'
                ? runtime
                : undefined;
            },
            { timeoutMs: 240_000, intervalMs: 200 },
          );
          expect(info.mode).toBe('up');
          // whoever took the crashed state over said so, in one line
          if (round === 1) {
            const said = [current.output(), ...runs.map((r) => r.stderr)].join('\n');
            expect(said).toMatch(/runtime\.json was damaged/);
          }
          if (round === ROUNDS) {
            const status = await runCli(['status', '--json', '--data-dir', dir]);
            expect(status.code, status.stderr).toBe(0);
            expect(JSON.parse(status.stdout).runtime).toMatchObject({
              running: true,
              mode: 'up',
              pid: current.child.pid,
            });
          }
          // every other round dies hard: the next one starts on a stale lock and runtime file
          current.child.kill(round % 2 === 1 ? 'SIGKILL' : 'SIGTERM');
          const code = await current.exited;
          if (round % 2 === 0) expect(code, current.output()).toBe(0);
          up = undefined;
        }
        expect(tally.ok + tally.refused).toBe(ROUNDS * COMMANDS.length);
        const seconds = Math.round((Date.now() - started) / 1000);
        console.info(`data dir race, ${ROUNDS} rounds in ${seconds} s: ${JSON.stringify(tally)}`);
      } finally {
        up?.child.kill('SIGKILL');
        await up?.exited;
        await cleanup();
      }
    },
    ROUNDS * 300_000,
  );
});
