/**
 * The whole pipeline as a user runs it, for the memory scenarios: `dubegrid up` in its
 * own process (its emulator host a child of it), data made by `dubegrid generate`, put
 * in by `dubegrid ingest --wait`, checked by `dubegrid verify` and exact counts. The
 * processes sampled are `up` and its emulator host; the one-off CLI commands only
 * attach to it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readRuntime } from '../../../src/local/runtime-file.ts';
import { cliArgv, cliEnv, runCli, type CliRun } from '../../support/cli.ts';
import { eventually } from '../../support/eventually.ts';
import { childPids } from './rss.ts';

export interface RunningUp {
  readonly pids: Readonly<{ up: number; emulators: number }>;
  /** Ctrl-C, as a user stops it; resolves with its exit code. */
  stop(): Promise<number | null>;
  output(): string;
}

/** Starts `dubegrid up` on `dataDir` and waits until it serves and its emulator host is found. */
export async function startUp(dataDir: string): Promise<RunningUp> {
  const child: ChildProcess = spawn(process.execPath, cliArgv(['up', '--data-dir', dataDir, '--quiet']), {
    env: cliEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const pid = child.pid ?? -1;
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    return exited;
  };
  try {
    const emulators = await eventually(
      'dubegrid up to serve, with its emulator host',
      async () => {
        if (child.exitCode !== null) throw new Error(`up exited (${child.exitCode}): ${output}`);
        const runtime = await readRuntime(dataDir);
        if (runtime?.pid !== pid || runtime.control === undefined) throw new Error('up is not serving yet');
        const [host] = await childPids(pid, 'emulator-host');
        if (host === undefined) throw new Error('no emulator host under up');
        return host;
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    return { pids: { up: pid, emulators }, stop, output: () => output };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** A CLI command against the data dir; throws with its stderr when it fails. */
export async function cli(dataDir: string, args: readonly string[]): Promise<CliRun> {
  const run = await runCli([...args, '--data-dir', dataDir, '--quiet']);
  if (run.code !== 0) throw new Error(`dubegrid ${args.join(' ')} exited ${run.code}: ${run.stderr.trim()}`);
  return run;
}

export interface GeneratedFile {
  readonly path: string;
  readonly rows: number;
}

/**
 * `dubegrid generate` into `out`: one CSV per month, each row one reading. Files of
 * different calls must not share a name (the raw key is the month and the name), so
 * each call writes to its own dir and a caller picks distinct months.
 */
export async function generate(
  out: string,
  o: { substations: number; days: number; start: string },
): Promise<{ files: GeneratedFile[]; assets: string }> {
  const run = await runCli([
    'generate',
    '--out',
    out,
    '--substations',
    String(o.substations),
    '--days',
    String(o.days),
    '--start',
    o.start,
    '--json',
  ]);
  if (run.code !== 0) throw new Error(`dubegrid generate failed: ${run.stderr.trim()}`);
  const doc = JSON.parse(run.stdout) as { files: GeneratedFile[]; assets_file: string };
  return { files: doc.files, assets: doc.assets_file };
}

export interface PipelineCounts {
  /** Items of the time-series table (a scan): one per reading. */
  readonly timeSeriesItems: number;
  /** Rows of the lake's `readings` view: one per reading. */
  readonly lakeReadings: number;
  readonly verifyOk: boolean;
  readonly verifyProblems: readonly string[];
}

/** `verify` and the exact counts, asked of the running stack. */
export async function pipelineCounts(dataDir: string): Promise<PipelineCounts> {
  const status = JSON.parse((await cli(dataDir, ['status', '--exact', '--json'])).stdout) as {
    resources: { tables: { readings: { items?: number } } };
  };
  const lake = JSON.parse((await cli(dataDir, ['query', 'SELECT count(*) AS n FROM readings', '--json'])).stdout) as {
    rows: { n: number | string }[];
  };
  const verify = await runCli(['verify', '--json', '--data-dir', dataDir, '--quiet']);
  let problems: string[] = [];
  try {
    const report = JSON.parse(verify.stdout) as { differences?: unknown[] };
    problems = (report.differences ?? []).map((p) => JSON.stringify(p));
  } catch {
    problems = [`verify printed no report: ${verify.stderr.trim()}`];
  }
  return {
    timeSeriesItems: status.resources.tables.readings.items ?? -1,
    lakeReadings: Number(lake.rows[0]?.n ?? -1),
    verifyOk: verify.code === 0,
    verifyProblems: problems,
  };
}

/** Every file under `dir` (for listing what generate wrote). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
