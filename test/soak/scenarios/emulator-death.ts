/**
 * The emulator host dies alone (issue #18 item 3) while `up` works through an ingest: `up`
 * must say so in one line (no stack trace), stop cleanly — exit 1, its runtime file and
 * lock released — and leave the data dir intact, so that the next `up` finishes the work:
 * every reading in the time series and the lake, and `dubegrid verify` passing
 * (docs/reliability.md → "The emulators die alone"). Then the same for a command that
 * started a stack of its own (no `up` running): it ends with the one line saying why.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { lockPaths } from '../../../src/local/data-dir-lock.ts';
import { dataPaths } from '../../../src/local/data-dir.ts';
import { sleep } from '../../../src/shared/retry.ts';
import { CLI, runCli } from '../../support/cli.ts';
import { readRuntime } from '../../../src/local/runtime-file.ts';
import { spawn } from 'node:child_process';
import type { Scenario, ScenarioContext, ScenarioFigure, ScenarioResult } from '../scenario.ts';
import { seconds, traces } from '../support/figures.ts';
import { generateSample } from '../support/input.ts';
import { attach, readOutcome, untilCaughtUp, verify } from '../support/outcome.ts';
import { spawnUp, stopUp, untilServing } from '../support/up.ts';

const SIZES = {
  smoke: { substations: 1, days: 1 },
  full: { substations: 2, days: 7 },
} as const;

/** How long `up` may take to notice and stop; far more than it needs, so a hang fails the scenario. */
const STOP_MS = 120_000;
const CATCH_UP_MS = 600_000;

/** The one line `up` ends with (src/local/stack.ts). */
export const EMULATORS_DIED =
  /^dubegrid: the embedded emulators \(pid \d+\) died \(signal SIGKILL\);.*data dir is intact/;
/** The one line a command with a stack of its own ends with. */
const COMMAND_EMULATORS_DIED =
  /^dubegrid: the embedded emulators \(pid \d+\) of this command's stack died \(signal SIGKILL\).*run the command again$/;

export const emulatorDeath: Scenario = {
  name: 'emulator-death',
  checks:
    'the emulator host SIGKILLed alone mid-ingest: `up` says so in one line, stops cleanly (exit 1, lock and runtime file released), and the next `up` finishes the ingest with nothing lost and verify passing',
  run: runEmulatorDeath,
};

async function runEmulatorDeath(ctx: ScenarioContext): Promise<ScenarioResult> {
  const sample = await generateSample(join(ctx.scratch, 'input'), SIZES[ctx.size]);
  const dir = join(ctx.scratch, 'data');
  const first = spawnUp(dir);
  let killedAt = 0;
  let before = 0;
  try {
    const runtime = await untilServing(dir, first);
    const emulatorPid = runtime.emulator_pid;
    if (emulatorPid === undefined) throw new Error(`${dataPaths(dir).runtimeFile} names no emulator_pid`);
    const uploaded = await runCli(['ingest', sample.dir, '--data-dir', dir]);
    if (uploaded.code !== 0) throw new Error(`ingest failed: ${uploaded.stderr}`);
    await sleep(Number(ctx.flags['kill-after-ms'] ?? 500)); // mid-split or mid-projection
    before = first.stderr().length;
    killedAt = Date.now();
    process.kill(emulatorPid, 'SIGKILL');
  } catch (err) {
    first.killGroup('SIGKILL'); // `up` does not outlive a scenario that failed before its fault
    throw err;
  }
  // an `up` that has not stopped after STOP_MS is killed, which fails the scenario (exit code)
  const timer = setTimeout(() => first.killGroup('SIGKILL'), STOP_MS);
  const ended = await first.exited;
  clearTimeout(timer);
  const stopMs = Date.now() - killedAt;
  const after = first.stderr().slice(before);
  const errorLines = after.split('\n').filter((l) => l.startsWith('dubegrid: '));
  // a service's progress line (`splitter: … 1296 rows`) can land just after the kill and is fine; a
  // warning or error from a service would bury the one line that says why
  const otherLines = after.split('\n').filter((l) => /^(warning|error): /.test(l)).length;
  const said = errorLines.length === 1 && EMULATORS_DIED.test(errorLines[0] ?? '');
  const released = !existsSync(dataPaths(dir).runtimeFile) && !existsSync(lockPaths(dir).lock);
  ctx.log(`up exited ${ended.code ?? ended.signal} ${seconds(stopMs)} s after the kill: ${errorLines.join(' / ')}`);

  const restartedAt = Date.now();
  const second = spawnUp(dir);
  try {
    const again = await untilServing(dir, second);
    const clients = attach(again);
    try {
      const raw = await untilCaughtUp(dir, again, clients, CATCH_UP_MS);
      const recoverMs = Date.now() - restartedAt;
      const outcome = await readOutcome(dir, clients);
      const verified = await verify(dir);
      const accepted = [...raw.manifests.values()].reduce((n, m) => n + m.rows_accepted, 0);
      const lost = sample.rows - Math.min(outcome.series.size, outcome.lake.distinct, accepted);
      const stackTraces = traces(first.stderr()).length + traces(second.stderr()).length;
      const figures: ScenarioFigure[] = [
        { name: 'readings in', value: sample.rows },
        { name: 'up exit code', value: String(ended.code ?? ended.signal), target: '1', met: ended.code === 1 },
        { name: 'said why in one line', value: said ? 'yes' : 'no', target: 'yes', met: said },
        { name: 'stack traces', value: stackTraces, target: '= 0', met: stackTraces === 0 },
        { name: 'service warnings or errors after the kill', value: otherLines, target: '= 0', met: otherLines === 0 },
        { name: 'lock and runtime file released', value: released ? 'yes' : 'no', target: 'yes', met: released },
        { name: 'kill → up stopped', value: seconds(stopMs), unit: 's' },
        { name: 'lost after restart', value: lost, target: '= 0', met: lost === 0 },
        { name: 'verify', value: verified.ok ? 'passes' : 'fails', target: 'passes', met: verified.ok },
        { name: 'restart → caught up', value: seconds(recoverMs), unit: 's' },
      ];
      const notes = [
        `up's last lines after the kill: ${after.trim().split('\n').slice(-3).join(' / ')}`,
        `after restart: ${outcome.series.size} series items, lake ${outcome.lake.distinct} (${outcome.lake.rows - outcome.lake.distinct} shown twice), ${accepted} accepted by the manifests`,
        ...(verified.ok ? [] : [`verify: ${verified.why}`]),
      ];
      await stopUp(second);
      figures.push(...(await oneOffCommand(dir, sample.dir)));
      return { passed: figures.every((f) => f.met !== false), figures, notes };
    } finally {
      clients.destroy();
    }
  } finally {
    await stopUp(second);
  }
}

/**
 * `ingest --wait` with no `up` running starts a stack for its own lifetime; its emulator
 * host killed as soon as it is up: the command exits 1 with one line saying why (not
 * the connection refused that follows), and releases the data dir.
 */
async function oneOffCommand(dir: string, input: string): Promise<ScenarioFigure[]> {
  const child = spawn(process.execPath, [CLI, 'ingest', input, '--wait', '--data-dir', dir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));
  let killed = false;
  while (running && !killed) {
    const pid = (await readRuntime(dir).catch(() => undefined))?.emulator_pid;
    if (pid !== undefined) {
      process.kill(pid, 'SIGKILL');
      killed = true;
    } else await sleep(20);
  }
  const code = await exited;
  const lines = stderr.split('\n').filter((l) => l.startsWith('dubegrid: '));
  const said = killed && lines.length === 1 && COMMAND_EMULATORS_DIED.test(lines[0] ?? '');
  const released = !existsSync(dataPaths(dir).runtimeFile) && !existsSync(lockPaths(dir).lock);
  return [
    { name: 'one-off command: exit code', value: String(code), target: '1', met: code === 1 },
    { name: 'one-off command: said why in one line', value: said ? 'yes' : 'no', target: 'yes', met: said },
    {
      name: 'one-off command: stack traces',
      value: traces(stderr).length,
      target: '= 0',
      met: traces(stderr).length === 0,
    },
    { name: 'one-off command: data dir released', value: released ? 'yes' : 'no', target: 'yes', met: released },
  ];
}
