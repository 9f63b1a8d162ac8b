/**
 * Corrupt local state (issue #18 item 3; docs/reliability.md "Corrupt local state"),
 * through the real CLI: after an ingest, every consumer's checkpoints are truncated (the
 * state consumer's last good copies too, so it must re-read its shards from the trim
 * horizon; the others resume from their `.prev`), and `runtime.json` is left half-written
 * with a dead pid. The next command must say what it found in one line each, recover
 * without a stack trace, and leave every projection holding exactly what it held.
 */
import { readdir, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dataPaths } from '../../../src/local/data-dir.ts';
import {
  compareHoldings,
  dubegrid,
  exactly,
  FAULT_SAMPLE_SIZE,
  figure,
  generateSample,
  holdings,
  lastLine,
  sampleInputs,
  stackTraceIn,
  verify,
} from '../cli-steps.ts';
import type { Scenario, ScenarioFigure } from '../scenario.ts';

/** The consumer whose last good copies are damaged too: it re-reads from the trim horizon. */
const NO_GOOD_COPY = 'state';
/** A pid no process has (above the kernel's default pid_max). */
const DEAD_PID = 4_194_304 + 11;

export const corruptState: Scenario = {
  name: 'corrupt-state',
  checks:
    'truncated checkpoints (one consumer without a good copy) and a half-written runtime.json: the next command explains each in one line, recovers without a stack trace, and every projection holds exactly what it held',
  async run(ctx) {
    const input = join(ctx.scratch, 'input');
    const dataDir = join(ctx.scratch, 'data');
    await generateSample(input, ctx.size, FAULT_SAMPLE_SIZE);
    const first = await dubegrid(dataDir, ['ingest', ...sampleInputs(input), '--wait']);
    if (first.code !== 0) return failed(`the first ingest failed: ${lastLine(first.stderr)}`);
    const before = await verify(dataDir);
    if (!before.report?.ok) return failed(`verify failed before any damage: ${lastLine(before.run.stderr)}`);
    const held = await holdings(dataDir, before.report);

    const damaged = await damageCheckpoints(dataPaths(dataDir).checkpoints);
    await writeFile(dataPaths(dataDir).runtimeFile, `{"pid": ${DEAD_PID}, "startedAt": "2026-12-0`);
    ctx.log(`truncated ${damaged.length} checkpoint file(s) and half-wrote runtime.json`);

    // the same files again: every consumer starts from its damaged checkpoints and must catch up
    const started = performance.now();
    const again = await dubegrid(dataDir, ['ingest', ...sampleInputs(input), '--wait']);
    const recoverSeconds = (performance.now() - started) / 1000;
    const lines = again.stderr.split('\n');
    const explained = {
      runtime: lines.filter((l) => /runtime\.json was damaged/.test(l)).length,
      resumed: lines.filter((l) => /checkpoint .* was damaged .*resumes from the last good one/.test(l)).length,
      trimHorizon: lines.filter((l) => /checkpoint .* was damaged .*re-reads the shard from its trim horizon/.test(l))
        .length,
    };
    const trace = stackTraceIn(again.stderr);
    const after = await verify(dataDir);
    const unlike = after.report ? compareHoldings(held, await holdings(dataDir, after.report)) : ['verify failed'];
    const kept = await countDamagedKept(dataPaths(dataDir).checkpoints);
    const expectTrim = damaged.filter((d) => !d.goodCopy).length;
    const figures: ScenarioFigure[] = [
      figure(
        'command after the damage',
        again.code === 0 ? 'exit 0' : `exit ${again.code}`,
        undefined,
        'exit 0',
        again.code === 0,
      ),
      exactly('stack traces', trace ? 1 : 0),
      exactly('runtime.json damage explained', explained.runtime, 1),
      exactly('checkpoints resumed from the last good copy', explained.resumed, damaged.length - expectTrim),
      exactly('checkpoints re-read from the trim horizon', explained.trimHorizon, expectTrim),
      exactly('damaged checkpoints kept as …damaged', kept, damaged.length),
      figure(
        'verify after recovery',
        after.report?.ok ? 'passes' : 'fails',
        undefined,
        'passes',
        after.report?.ok === true,
      ),
      exactly('projections unlike before the damage', unlike.length),
      figure('recovery (re-ingest and catch-up)', Number(recoverSeconds.toFixed(1)), 's'),
    ];
    const notes = [
      ...(trace ? [`stack trace on stderr: ${trace.trim()}`] : []),
      ...unlike.map((u) => `after recovery: ${u}`),
      ...(again.code !== 0 ? [`the command after the damage: ${lastLine(again.stderr)}`] : []),
    ];
    return { passed: figures.every((f) => f.met !== false), figures, notes };
  },
};

interface Damaged {
  readonly file: string;
  /** Whether a good `.prev` copy is left to resume from. */
  readonly goodCopy: boolean;
}

/** Truncates every consumer's checkpoint to half its bytes; NO_GOOD_COPY's `.prev` files too. */
async function damageCheckpoints(root: string): Promise<Damaged[]> {
  const out: Damaged[] = [];
  for (const consumer of await readdir(root)) {
    for (const name of (await readdir(join(root, consumer))).filter((n) => n.endsWith('.json'))) {
      const file = join(root, consumer, name);
      // a checkpoint saved once has no `.prev` yet: no good copy either
      const hasPrev = await stat(`${file}.prev`).then(
        () => true,
        () => false,
      );
      await halve(file);
      if (hasPrev && consumer === NO_GOOD_COPY) await halve(`${file}.prev`);
      out.push({ file, goodCopy: hasPrev && consumer !== NO_GOOD_COPY });
    }
  }
  return out;
}

async function halve(file: string): Promise<void> {
  await truncate(file, Math.floor((await stat(file)).size / 2));
}

async function countDamagedKept(root: string): Promise<number> {
  let n = 0;
  for (const consumer of await readdir(root))
    n += (await readdir(join(root, consumer))).filter((f) => f.endsWith('.damaged')).length;
  return n;
}

function failed(note: string) {
  return { passed: false, figures: [], notes: [note] };
}
