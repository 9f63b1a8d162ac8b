/**
 * Kill loop (issue #18 item 3): the whole embedded stack — `up` and its emulator host,
 * one process group — SIGKILLed at random points while it works through an ingest, and
 * restarted at once, again and again with nothing done between; then left to finish.
 * Every projection must end exactly as a clean run of the same input leaves it, and
 * `dubegrid verify` must pass.
 */
import { join } from 'node:path';
import { mulberry32 } from '../../../src/generate/prng.ts';
import { sleep } from '../../../src/shared/retry.ts';
import { runCli } from '../../support/cli.ts';
import type { Scenario, ScenarioContext, ScenarioFigure, ScenarioResult } from '../scenario.ts';
import { seconds, traces } from '../support/figures.ts';
import { generateSample, type Sample } from '../support/input.ts';
import {
  attach,
  compareOutcomes,
  PROJECTIONS,
  readOutcome,
  untilCaughtUp,
  verify,
  type Outcome,
} from '../support/outcome.ts';
import { spawnUp, stopUp, untilServing } from '../support/up.ts';

const SIZES = {
  smoke: { kills: 2, substations: 1, days: 1 },
  full: { kills: 10, substations: 1, days: 7 },
} as const;

/** How long the pipeline may take to finish after the last restart. */
const CATCH_UP_MS = 600_000;

export const killLoop: Scenario = {
  name: 'kill-loop',
  checks:
    'SIGKILL of `up` and its emulator host at random points of an ingest, restarted each time: no reading, state, incident or notification lost or duplicated against a clean run, and verify passes',
  run: runKillLoop,
};

async function runKillLoop(ctx: ScenarioContext): Promise<ScenarioResult> {
  const size = SIZES[ctx.size];
  const kills = Number(ctx.flags.kills ?? size.kills);
  const seed = Number(ctx.flags.seed ?? Date.now() % 100_000);
  const random = mulberry32(seed);
  const sample = await generateSample(join(ctx.scratch, 'input'), size);
  ctx.log(`${sample.rows} readings in ${sample.files.length} file(s); kills ${kills}, seed ${seed}`);

  const clean = await cleanRun(join(ctx.scratch, 'clean'), sample, ctx);
  ctx.log(`clean run: caught up ${(clean.ingestMs / 1000).toFixed(1)} s after the ingest started`);

  const dir = join(ctx.scratch, 'killed');
  let up = spawnUp(dir);
  try {
    await untilServing(dir, up);
    const uploaded = await runCli(['ingest', sample.dir, '--data-dir', dir]);
    if (uploaded.code !== 0) throw new Error(`ingest failed: ${uploaded.stderr}`);
    const stackTraces: string[] = [];
    let slowestStartMs = 0;
    let restartedAt = Date.now();
    for (let k = 1; k <= kills; k++) {
      // a random point of the work a clean run needs, so most kills land mid-split or mid-projection
      await sleep(random() * clean.ingestMs);
      up.killGroup('SIGKILL');
      await up.exited;
      stackTraces.push(...traces(up.stderr()));
      restartedAt = Date.now();
      up = spawnUp(dir);
      await untilServing(dir, up);
      slowestStartMs = Math.max(slowestStartMs, Date.now() - restartedAt);
      ctx.log(`kill ${k}/${kills}: restarted, serving after ${seconds(Date.now() - restartedAt)} s`);
    }
    const runtime = await untilServing(dir, up);
    const clients = attach(runtime);
    try {
      await untilCaughtUp(dir, runtime, clients, CATCH_UP_MS);
      const recoverMs = Date.now() - restartedAt;
      const after = await readOutcome(dir, clients);
      const verified = await verify(dir);
      stackTraces.push(...traces(up.stderr()));
      const result = judge({
        sample,
        clean: clean.outcome,
        after,
        kills,
        verified,
        recoverMs,
        slowestStartMs,
        stackTraces,
      });
      return { ...result, notes: [...result.notes, `kill points drawn with --seed ${seed}`] };
    } finally {
      clients.destroy();
    }
  } finally {
    await stopUp(up);
  }
}

/** The same input on a fresh data dir with no fault: what every projection must end as. */
async function cleanRun(
  dir: string,
  sample: Sample,
  ctx: ScenarioContext,
): Promise<{ outcome: Outcome; ingestMs: number }> {
  const up = spawnUp(dir);
  try {
    const runtime = await untilServing(dir, up);
    const started = Date.now();
    const run = await runCli(['ingest', sample.dir, '--wait', '--data-dir', dir]);
    if (run.code !== 0) throw new Error(`the clean run's ingest failed: ${run.stderr}`);
    const ingestMs = Date.now() - started;
    const clients = attach(runtime);
    try {
      const outcome = await readOutcome(dir, clients);
      if (outcome.series.size !== sample.rows)
        ctx.log(`the clean run holds ${outcome.series.size} time series items of ${sample.rows} readings in`);
      return { outcome, ingestMs };
    } finally {
      clients.destroy();
    }
  } finally {
    await stopUp(up);
  }
}

interface Judged {
  readonly sample: Sample;
  readonly clean: Outcome;
  readonly after: Outcome;
  readonly kills: number;
  readonly verified: { ok: boolean; why: string };
  readonly recoverMs: number;
  readonly slowestStartMs: number;
  readonly stackTraces: readonly string[];
}

function judge(j: Judged): ScenarioResult {
  const losses = compareOutcomes(j.clean, j.after);
  const lost = PROJECTIONS.reduce((n, p) => n + losses[p].lost, 0);
  const duplicated = PROJECTIONS.reduce((n, p) => n + losses[p].duplicated, 0);
  // the clean run is the reference only if it holds every reading of the input
  const cleanComplete = j.clean.series.size === j.sample.rows && j.clean.lake.distinct === j.sample.rows;
  const figures: ScenarioFigure[] = [
    { name: 'kills', value: j.kills },
    { name: 'readings in', value: j.sample.rows },
    { name: 'clean run complete', value: cleanComplete ? 'yes' : 'no', target: 'yes', met: cleanComplete },
    { name: 'lost', value: lost, target: '= 0', met: lost === 0 },
    { name: 'duplicated', value: duplicated, target: '= 0', met: duplicated === 0 },
    { name: 'verify', value: j.verified.ok ? 'passes' : 'fails', target: 'passes', met: j.verified.ok },
    { name: 'stack traces', value: j.stackTraces.length, target: '= 0', met: j.stackTraces.length === 0 },
    { name: 'restart → serving (slowest)', value: seconds(j.slowestStartMs), unit: 's' },
    { name: 'restart → caught up (last)', value: seconds(j.recoverMs), unit: 's' },
  ];
  const notes = [
    `per projection lost/duplicated: ${PROJECTIONS.map((p) => `${p} ${losses[p].lost}/${losses[p].duplicated}`).join(', ')}`,
    `clean run: ${j.clean.series.size} series items, ${j.clean.latest.size} latest, ${j.clean.incidents.size} incidents, ${j.clean.notifications.size} notifications, lake ${j.clean.lake.distinct}`,
    ...(j.verified.ok ? [] : [`verify: ${j.verified.why}`]),
    ...j.stackTraces.slice(0, 3).map((t) => `stack trace in up's stderr: ${t}`),
  ];
  return { passed: figures.every((f) => f.met !== false), figures, notes };
}
