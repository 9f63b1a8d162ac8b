/**
 * Disk full (issue #18 item 3): the data dir on a small tmpfs (real ENOSPC from the kernel,
 * for the emulators' LevelDB and s3rver files as much as for DubeGrid's own writers; needs
 * root to mount, else the scenario says it was skipped). After a first ingest the disk is
 * filled, then left with a few hundred KiB: every command fails with one clear line and no
 * stack trace. Once the filler is removed, the stack resumes on the same data dir: the
 * second file ingests and verify passes with both files' readings.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../../support/cli.ts';
import {
  dubegrid,
  exactly,
  FAULT_SAMPLE_SIZE,
  figure,
  generateSample,
  lastLine,
  sampleInputs,
  stackTraceIn,
  verify,
} from '../cli-steps.ts';
import type { Scenario, ScenarioFigure } from '../scenario.ts';

const run = promisify(execFile);
/** Free space left for the "nearly full" round: the claim and the stack start, the upload runs out. */
const NEARLY_FULL_BYTES = 400 * 1024;

export const diskFull: Scenario = {
  name: 'disk-full',
  checks:
    'the data dir on a tmpfs filled up after an ingest: every command fails with one clear line and no stack trace, nothing stored is damaged, and once space is freed the next ingest completes and verify passes',
  async run(ctx) {
    const disk = join(ctx.scratch, 'disk');
    await mkdir(disk, { recursive: true });
    const size = ctx.size === 'smoke' ? '32m' : '160m';
    try {
      await run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', disk]);
    } catch (err) {
      const why = lastLine((err as { stderr?: string }).stderr ?? (err as Error).message);
      return { passed: true, figures: [figure('tmpfs', 'not mounted: skipped')], notes: [`skipped: ${why}`] };
    }
    try {
      return await scenarioOn(disk, ctx);
    } finally {
      await run('umount', ['-l', disk]).catch(() => undefined);
    }
  },
};

async function scenarioOn(disk: string, ctx: Parameters<Scenario['run']>[0]) {
  const dataDir = join(disk, 'data');
  const first = join(ctx.scratch, 'first');
  const second = join(ctx.scratch, 'second');
  await generateSample(first, ctx.size, FAULT_SAMPLE_SIZE);
  const gen = await runCli([
    'generate',
    '--out',
    second,
    '--substations',
    '1',
    '--days',
    '1',
    '--start',
    '2025-09-01',
    '--quiet',
  ]);
  if (gen.code !== 0) throw new Error(`generate failed: ${lastLine(gen.stderr)}`);
  const ingested = await dubegrid(dataDir, ['ingest', ...sampleInputs(first), '--wait']);
  if (ingested.code !== 0) return failed(`the first ingest failed: ${lastLine(ingested.stderr)}`);
  const before = await verify(dataDir);
  if (!before.report?.ok) return failed(`verify failed before the disk filled: ${lastLine(before.run.stderr)}`);

  const filler = join(disk, 'filler');
  const commands: string[][] = [
    ['status'],
    ['state', 'LV100001:01'],
    ['alerts'],
    ['dlq'],
    ['verify'],
    ['ingest', join(second, 'y=2025'), '--wait'],
  ];
  const outcomes: { what: string; code: number; clear: boolean; trace: boolean }[] = [];
  for (const [round, free] of [
    ['full', 0],
    ['nearly full', NEARLY_FULL_BYTES],
  ] as const) {
    await fill(disk, filler, free);
    for (const args of round === 'full' ? commands : commands.slice(-1)) {
      const r = await dubegrid(dataDir, args);
      const clear =
        r.code === 0 || (/^dubegrid: /.test(lastLine(r.stderr)) && /disk is full|No space left/.test(r.stderr));
      outcomes.push({ what: `${round}: ${args[0]}`, code: r.code, clear, trace: stackTraceIn(r.stderr) !== undefined });
      ctx.log(`${round}: ${args[0]} → exit ${r.code}: ${lastLine(r.stderr)}`);
    }
  }
  await rm(filler, { force: true });

  const resumed = await dubegrid(dataDir, ['ingest', join(second, 'y=2025'), '--wait']);
  const after = await verify(dataDir);
  const grew = (after.report?.readings.table.readings ?? 0) - (before.report.readings.table.readings ?? 0);
  const figures: ScenarioFigure[] = [
    figure('commands on a full disk', outcomes.length),
    exactly('failing without one clear line', outcomes.filter((o) => !o.clear).length),
    exactly('stack traces', outcomes.filter((o) => o.trace).length),
    figure(
      'ingest after space is freed',
      resumed.code === 0 ? 'exit 0' : `exit ${resumed.code}`,
      undefined,
      'exit 0',
      resumed.code === 0,
    ),
    figure(
      'verify after space is freed',
      after.report?.ok ? 'passes' : 'fails',
      undefined,
      'passes',
      after.report?.ok === true,
    ),
    figure('readings added by the second file', grew, undefined, '> 0', grew > 0),
  ];
  const notes = [
    ...outcomes.filter((o) => !o.clear || o.trace).map((o) => `${o.what}: exit ${o.code}, not one clear line`),
    ...(resumed.code !== 0 ? [`ingest after freeing space: ${lastLine(resumed.stderr)}`] : []),
    ...(after.report && !after.report.ok
      ? [`verify after freeing space: ${after.report.differences.length} difference(s)`]
      : []),
  ];
  return { passed: figures.every((f) => f.met !== false), figures, notes };
}

/** Fills the file system of `disk` with `filler` until `free` bytes are left. */
async function fill(disk: string, filler: string, free: number): Promise<void> {
  await rm(filler, { force: true });
  const fs = await statfs(disk);
  const available = fs.bavail * fs.bsize;
  await writeFile(filler, Buffer.alloc(Math.max(0, available - free))).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOSPC') throw err;
  });
}

function failed(note: string) {
  return { passed: false, figures: [], notes: [note] };
}
