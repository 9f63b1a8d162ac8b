/**
 * Scenario `long-run` (issue #18 item 3): the whole pipeline fed file after file (one
 * week of 3 substations each, ~84 k readings, a month apart) for about 2 M readings,
 * `--readings N` for more, with the RSS of `up` and its emulator host sampled every
 * 10 s. Memory must be flat after warm-up (the first tenth of the files): the slope of
 * a least-squares line through the whole stack's RSS, and its peak (≤ 512 MiB).
 */
import type { Scenario, ScenarioContext, ScenarioFigure, ScenarioResult } from '../scenario.ts';
import { generate } from '../memory/stack-run.ts';
import {
  countFigures,
  memoryRun,
  peakFigures,
  slopeMiBPerMin,
  type FilePlan,
  type MemoryRun,
} from '../memory/memory-run.ts';
import { fileTotalMiB, type RssSample } from '../memory/rss.ts';
import { join } from 'node:path';

/** Growth the run may show after warm-up and still count as flat: 15 MiB over a 15-minute run. */
export const FLAT_SLOPE_MIB_PER_MIN = 1;

const SIZES = {
  smoke: { readings: 6_000, substations: 1, days: 1, sampleEveryMs: 1_000 },
  full: { readings: 2_000_000, substations: 3, days: 7, sampleEveryMs: 10_000 },
} as const;

/** Files of `days` days each, one per month from January 2020, until `readings` are planned. */
export function planFiles(readings: number, perFile: number, shape: { substations: number; days: number }): FilePlan[] {
  const count = Math.max(1, Math.ceil(readings / perFile));
  return Array.from({ length: count }, (_, i) => ({
    ...shape,
    start: `${2020 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`,
  }));
}

export function readingsFlag(flags: ScenarioContext['flags'], fallback: number): number {
  const given = flags.readings;
  if (given === undefined || typeof given === 'boolean') return fallback;
  const n = Number(given);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--readings must be a whole number above 0, got ${given}`);
  return n;
}

const PARTS: readonly [string, (s: RssSample) => number][] = [
  ['up', (s) => s.mib.up ?? 0],
  ['emulator host', (s) => s.mib.emulators ?? 0],
  ['file-backed (both)', fileTotalMiB],
];

/** The slope after warm-up of each process and of the file-backed pages: not judged, they say where growth is. */
export function slopeParts(run: Pick<MemoryRun, 'samples' | 'warmedUpAtMs'>): ScenarioFigure[] {
  return PARTS.map(([part, of]) => {
    const slope = slopeMiBPerMin(run.samples, run.warmedUpAtMs, of);
    return {
      name: `RSS slope after warm-up, ${part}`,
      value: slope === undefined ? 'too few samples' : Number(slope.toFixed(2)),
      unit: 'MiB/min',
    };
  });
}

export const longRun: Scenario = {
  name: 'long-run',
  checks:
    'RSS of up and its emulator host flat after warm-up through ~2 M readings (slope, peak ≤ 512 MiB), every reading in',
  async run(ctx: ScenarioContext): Promise<ScenarioResult> {
    const size = SIZES[ctx.size];
    const wanted = ctx.size === 'full' ? readingsFlag(ctx.flags, size.readings) : size.readings;
    const shape = { substations: size.substations, days: size.days };
    // one file of the shape tells how many readings a file holds (the generator is deterministic)
    const probe = await generate(join(ctx.scratch, 'probe'), { ...shape, start: '2020-01-01' });
    const perFile = probe.files.reduce((n, f) => n + f.rows, 0);
    const run = await memoryRun(ctx, planFiles(wanted, perFile, shape), size.sampleEveryMs);
    const counts = countFigures(run);
    const peak = peakFigures(run, ctx.size === 'full');
    const slope = slopeMiBPerMin(run.samples, run.warmedUpAtMs);
    const flat = slope !== undefined && slope <= FLAT_SLOPE_MIB_PER_MIN;
    const judged = ctx.size === 'full';
    return {
      passed: counts.exact && (!judged || (peak.met && flat)),
      figures: [
        ...counts.figures,
        { name: 'files', value: run.files },
        {
          name: 'RSS slope after warm-up',
          value: slope === undefined ? 'too few samples' : Number(slope.toFixed(2)),
          unit: 'MiB/min',
          ...(judged ? { target: `≤ ${FLAT_SLOPE_MIB_PER_MIN} MiB/min`, met: flat } : {}),
        },
        // what grows, for the reader: each process, and the mapped files (LevelDB's tables) of both
        ...slopeParts(run),
        ...peak.figures,
        { name: 'samples', value: run.samples.length },
        { name: 'duration', value: Math.round(run.elapsedMs / 1000), unit: 's' },
        {
          name: 'throughput',
          value: Math.round(run.readings / (run.elapsedMs / 1000)),
          unit: 'readings/s',
        },
      ],
      notes: counts.notes,
    };
  },
};
