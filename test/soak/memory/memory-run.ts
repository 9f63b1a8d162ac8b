/**
 * One memory run through the whole pipeline, shared by the `peak-memory` and `long-run`
 * scenarios: `up` on a fresh data dir, the planned files ingested one after another
 * (`ingest --wait`: split, every projection caught up, the lake flushed), the RSS of
 * `up` and of its emulator host sampled throughout, then `verify` and the exact counts.
 */
import { join } from 'node:path';
import type { ScenarioContext, ScenarioFigure } from '../scenario.ts';
import { fileTotalMiB, peakMiB, RssSampler, slopeMiBPerMin, totalMiB, type RssSample } from './rss.ts';
import { cli, generate, pipelineCounts, startUp, type GeneratedFile, type PipelineCounts } from './stack-run.ts';

/** The target for the whole stack (`up` + emulator host). */
export const PEAK_TARGET_MIB = 512;

export interface FilePlan {
  readonly substations: number;
  readonly days: number;
  /** First day, YYYY-MM-DD; plans of one run must not share a month (see `generate`). */
  readonly start: string;
}

export interface MemoryRun {
  readonly readings: number;
  readonly files: number;
  readonly samples: readonly RssSample[];
  /** When the first tenth of the files (at least one) was in: the end of warm-up. */
  readonly warmedUpAtMs: number;
  readonly elapsedMs: number;
  readonly counts: PipelineCounts;
}

export async function memoryRun(
  ctx: ScenarioContext,
  plans: readonly FilePlan[],
  sampleEveryMs: number,
): Promise<MemoryRun> {
  const files: GeneratedFile[] = [];
  let assets = '';
  for (const [i, plan] of plans.entries()) {
    const made = await generate(join(ctx.scratch, `input-${i}`), plan);
    files.push(...made.files);
    assets = made.assets;
  }
  const readings = files.reduce((n, f) => n + f.rows, 0);
  ctx.log(`${files.length} file(s), ${readings} readings generated`);

  const dataDir = join(ctx.scratch, 'data');
  const up = await startUp(dataDir);
  const sampler = new RssSampler(() => up.pids, sampleEveryMs);
  const started = Date.now();
  let warmedUpAtMs = 0;
  let counts: PipelineCounts;
  sampler.start();
  try {
    await cli(dataDir, ['ingest', assets, '--wait']);
    for (const [i, file] of files.entries()) {
      await cli(dataDir, ['ingest', file.path, '--wait']);
      if (i + 1 === Math.max(1, Math.ceil(files.length / 10))) warmedUpAtMs = Date.now() - started;
      const last = sampler.samples[sampler.samples.length - 1];
      ctx.log(
        `${i + 1}/${files.length} file(s) in, ${Math.round((Date.now() - started) / 1000)} s, RSS ${last ? describeSample(last) : '?'} (peak ${Math.round(peakMiB(sampler.samples))} MiB)`,
      );
    }
  } finally {
    await sampler.stop();
  }
  const elapsedMs = Date.now() - started;
  try {
    counts = await pipelineCounts(dataDir);
  } finally {
    const code = await up.stop();
    if (code !== 0) ctx.log(`up exited ${code}: ${up.output().slice(-500)}`);
  }
  return { readings, files: files.length, samples: sampler.samples, warmedUpAtMs, elapsedMs, counts };
}

/** `512 MiB (up 300, host 212; file-backed 90)`: which process holds what, for the log. */
export function describeSample(s: RssSample): string {
  const r = Math.round;
  return `${r(totalMiB(s))} MiB (up ${r(s.mib.up ?? 0)}, host ${r(s.mib.emulators ?? 0)}; file-backed ${r(fileTotalMiB(s))})`;
}

/** The figures both scenarios report, and whether the counts hold exactly. */
export function countFigures(run: MemoryRun): { figures: ScenarioFigure[]; exact: boolean; notes: string[] } {
  const { counts, readings } = run;
  const figures: ScenarioFigure[] = [
    { name: 'readings ingested', value: readings },
    {
      name: 'time-series items',
      value: counts.timeSeriesItems,
      target: `= ${readings}`,
      met: counts.timeSeriesItems === readings,
    },
    {
      name: 'lake readings',
      value: counts.lakeReadings,
      target: `= ${readings}`,
      met: counts.lakeReadings === readings,
    },
    { name: 'verify', value: counts.verifyOk ? 'ok' : 'failed', target: 'ok', met: counts.verifyOk },
  ];
  const exact = figures.every((f) => f.met !== false);
  return { figures, exact, notes: counts.verifyProblems.slice(0, 5) };
}

/** Peak RSS figures: the whole stack against the target, and each process for the reader. */
export function peakFigures(run: MemoryRun, enforced: boolean): { figures: ScenarioFigure[]; met: boolean } {
  const whole = peakMiB(run.samples);
  const met = whole <= PEAK_TARGET_MIB;
  return {
    met,
    figures: [
      {
        name: 'peak RSS, whole stack',
        value: Math.round(whole),
        unit: 'MiB',
        ...(enforced ? { target: `≤ ${PEAK_TARGET_MIB} MiB`, met } : {}),
      },
      { name: 'peak RSS, up', value: Math.round(peakMiB(run.samples, (s) => s.mib.up ?? 0)), unit: 'MiB' },
      {
        name: 'peak RSS, emulator host',
        value: Math.round(peakMiB(run.samples, (s) => s.mib.emulators ?? 0)),
        unit: 'MiB',
      },
    ],
  };
}

export { slopeMiBPerMin };
