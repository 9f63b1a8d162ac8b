/**
 * Every command DubeGrid suggests runs as printed against the sample: the examples of
 * every --help (src/cli/examples.ts, the README's tour among them), the README's
 * command lines, what `start` and `up` suggest, and the hints in the CLI's messages —
 * including the runnable hint a named query prints when it lacks an asset.
 *
 * One sample (`start --once`, small: 1 substation × 4 days), then ONE stack (`up`,
 * spawned as printed) that every command uses through DUBEGRID_DATA_DIR, so the
 * commands need no --data-dir and run exactly as written, in a scratch working dir.
 * The int tier runs the generators and every command that only reads; the ones that
 * write or re-drive the data (ingest, backfill, replay, rebuild, verify, redrive, which
 * have their own int tests) run too with `npm run test:hints` (DUBEGRID_HINTS=all, on the
 * full 3 × 7-day sample: minutes, not seconds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../src/cli/examples.ts';
import { CLI, runCli, type CliRun } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { argsOf, hintsIn, readmeCommands, sourceHints } from '../support/examples.ts';
import { tempDir } from '../support/tmp.ts';

const ALL = process.env.DUBEGRID_HINTS === 'all';

/** Placeholders in message hints, and what they stand for on the sample. */
const PLACEHOLDERS: readonly (readonly [RegExp, string])[] = [
  [/ \[ID\]/, ''],
  [/ \[--labels FILE\]/, ''],
  [/ \[--from-raw\]/, ''],
  [/--projection P\b/, '--projection state'],
  [/\bFILE\b/, 'data/assets.csv'],
];

/** Commands the test itself runs as its stack (`up`) or that would start a second one (`start`). */
const isStackCommand = (args: readonly string[]): boolean => args[0] === 'up' || args[0] === 'start';
/** Run one after another, after the readers: they write, or need the others quiet. */
const WRITERS = /^(generate|ingest|assets --load|dlq redrive|backfill|replay|rebuild|verify|sources (add|rm))\b/;

let work: string;
let cleanup: () => Promise<void>;
let up: ChildProcess | undefined;
let upOut = '';
let startRun: CliRun;
const env = (): NodeJS.ProcessEnv => ({ DUBEGRID_DATA_DIR: `${work}/dd` });

function run(args: readonly string[]): Promise<CliRun> {
  return runCli([...args], env(), work);
}

beforeAll(async () => {
  ({ dir: work, cleanup } = await tempDir('dubegrid-hints-'));
  // the examples name files of the repository (mappings, fixtures), as run from its root
  for (const d of ['docs', 'test']) await symlink(resolve(d), join(work, d));
  startRun = await run(['start', '--once', ...(ALL ? [] : ['--substations', '1', '--days', '4'])]);
  expect(startRun.code, startRun.stderr).toBe(0);
  up = spawn(process.execPath, [CLI, 'up'], { cwd: work, env: { ...process.env, ...env() } });
  up.stdout?.on('data', (b: Buffer) => (upOut += b.toString()));
  await eventually('`dubegrid up` is up', () => /Ctrl-C stops it/.test(upOut), { timeoutMs: 120_000 });
}, 600_000);

afterAll(async () => {
  if (up && up.exitCode === null) {
    const exited = new Promise((resolve) => up?.once('exit', resolve));
    up.kill('SIGINT');
    await exited;
  }
  await cleanup?.();
});

describe('every hint and example runs as printed', () => {
  it('start and up suggest commands, and the named queries that need an asset print a runnable one', async () => {
    expect(hintsIn(startRun.stdout).length).toBeGreaterThanOrEqual(3);
    expect(hintsIn(upOut)).toContain('npx dubegrid status');
    for (const name of ['daily_trend_substation', 'asset_hourly_profile']) {
      const r = await run(['query', '--named', name]);
      expect(r.code).toBe(2);
      const [hint] = hintsIn(r.stderr);
      expect(hint, r.stderr).toMatch(new RegExp(`^npx dubegrid query --named ${name} --param month=2025-08 `));
      const ran = await run(argsOf(hint as string));
      expect(ran.code, `${hint}\n${ran.stderr}`).toBe(0);
      expect(ran.stdout).toMatch(/\(\d+ rows?\)/);
    }
  });

  it('runs them all on the sample', { timeout: 900_000 }, async () => {
    const messageHints = sourceHints().map((h) => PLACEHOLDERS.reduce((s, [re, v]) => s.replace(re, v), h));
    const commands = [
      ...readmeCommands(),
      ...Object.values(EXAMPLES).flat(),
      ...hintsIn(startRun.stdout),
      ...hintsIn(upOut),
      ...messageHints,
    ];
    const unique = [...new Set(commands.map((c) => JSON.stringify(argsOf(c))))]
      .map((j) => JSON.parse(j) as string[])
      .filter((args) => !isStackCommand(args));
    expect(unique.length).toBeGreaterThan(20);
    const failures: string[] = [];
    const check = async (args: string[]): Promise<void> => {
      const r = await run(args);
      if (r.code !== 0)
        failures.push(`dubegrid ${args.join(' ')} → exit ${r.code}: ${r.stderr.trim().split('\n').at(-1)}`);
    };
    const text = (args: readonly string[]): string => args.join(' ');
    // the generators first (others read what they write), then the readers two at a time, then the writers in turn
    const generators = unique.filter((a) => a[0] === 'generate');
    const writers = unique.filter((a) => WRITERS.test(text(a)) && a[0] !== 'generate');
    const readers = unique.filter((a) => !WRITERS.test(text(a)));
    for (const a of generators) await check(a);
    for (let i = 0; i < readers.length; i += 2) await Promise.all(readers.slice(i, i + 2).map(check));
    if (ALL)
      for (const a of writers.sort((x, y) => Number(x[0] === 'verify') - Number(y[0] === 'verify'))) await check(a);
    else expect(writers.length).toBeGreaterThan(5); // run by `npm run test:hints`
    expect(failures).toEqual([]);
  });
});
