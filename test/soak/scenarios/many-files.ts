/**
 * Many files at once (issue #18 item 3): a generated sample cut into many small files,
 * one bad row in every tenth, uploaded in one `dubegrid ingest --wait`. Every file gets its
 * manifest and the totals add up exactly: readings in = the manifests' rows accepted = the
 * time series items = the lake's readings, and the rows quarantined = the bad rows = the
 * quarantine entries.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../support/cli.ts';
import type { Scenario, ScenarioContext, ScenarioFigure, ScenarioResult } from '../scenario.ts';
import { seconds } from '../support/figures.ts';
import { generateSample } from '../support/input.ts';
import { attach, readOutcome, untilCaughtUp, verify } from '../support/outcome.ts';
import { spawnUp, stopUp, untilServing } from '../support/up.ts';

const SIZES = {
  smoke: { files: 50, rows: 10, substations: 1, days: 1 },
  full: { files: 1_000, rows: 20, substations: 3, days: 7 },
} as const;

const CATCH_UP_MS = 600_000;
/** Every this-many-th file carries one row the splitter must quarantine. */
const BAD_EVERY = 10;

export const manyFiles: Scenario = {
  name: 'many-files',
  checks:
    'many small files (one bad row in every tenth) in one ingest: a manifest for every file, readings in = rows accepted = time series items = lake readings, bad rows = rows quarantined = quarantine entries, verify passes',
  run: runManyFiles,
};

export interface Cut {
  readonly files: number;
  /** Good rows, all files together. */
  readonly rows: number;
  readonly bad: number;
}

/** Cuts a generated LV long CSV into `files` files of `rows` rows; every BAD_EVERY-th also gets one bad row. */
export async function cutSample(csv: string, out: string, files: number, rows: number): Promise<Cut> {
  const [header, ...lines] = csv.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (header === undefined || lines.length < files * rows)
    throw new Error(`the sample has ${lines.length} rows; ${files} files of ${rows} need more`);
  await mkdir(out, { recursive: true });
  let bad = 0;
  for (let f = 0; f < files; f++) {
    const body = lines.slice(f * rows, (f + 1) * rows);
    if (f % BAD_EVERY === BAD_EVERY - 1) {
      // the first row again with a value that is no number: quarantined as such, the file's other rows kept
      body.push((body[0] ?? '').replace(/,[^,]*$/, ',not-a-number'));
      bad++;
    }
    await writeFile(join(out, `part-${String(f).padStart(4, '0')}.csv`), `${[header, ...body].join('\n')}\n`);
  }
  return { files, rows: files * rows, bad };
}

async function runManyFiles(ctx: ScenarioContext): Promise<ScenarioResult> {
  const size = SIZES[ctx.size];
  const files = Number(ctx.flags.files ?? size.files);
  const sample = await generateSample(join(ctx.scratch, 'sample'), { substations: size.substations, days: size.days });
  const input = join(ctx.scratch, 'input');
  const cut = await cutSample(await readFile(sample.files[0] ?? '', 'utf8'), input, files, size.rows);
  await copyFile(join(sample.dir, 'assets.csv'), join(input, 'assets.csv'));
  ctx.log(`${cut.files} files, ${cut.rows} readings, ${cut.bad} bad rows`);

  const dir = join(ctx.scratch, 'data');
  const up = spawnUp(dir);
  try {
    const runtime = await untilServing(dir, up);
    const started = Date.now();
    const ingest = await runCli(['ingest', input, '--wait', '--quiet', '--data-dir', dir]);
    const ingestMs = Date.now() - started;
    if (ingest.code !== 0) throw new Error(`ingest failed: ${ingest.stderr.split('\n').slice(-3).join(' | ')}`);
    const clients = attach(runtime);
    try {
      const raw = await untilCaughtUp(dir, runtime, clients, CATCH_UP_MS);
      const outcome = await readOutcome(dir, clients);
      const verified = await verify(dir);
      const manifests = [...raw.manifests.values()];
      const sum = (f: (m: (typeof manifests)[number]) => number): number => manifests.reduce((n, m) => n + f(m), 0);
      const accepted = sum((m) => m.rows_accepted);
      const quarantined = sum((m) => m.rows_quarantined);
      const entries = [...raw.quarantine.values()].reduce((n, q) => n + q.rowEntries, 0);
      const exact = (name: string, value: number, expected: number): ScenarioFigure => ({
        name,
        value,
        target: `= ${expected.toLocaleString('en-GB')}`,
        met: value === expected,
      });
      const figures: ScenarioFigure[] = [
        exact('manifests', raw.manifests.size, cut.files),
        exact(
          'rows read',
          sum((m) => m.rows_read),
          cut.rows + cut.bad,
        ),
        exact('rows accepted', accepted, cut.rows),
        exact('time series items', outcome.series.size, cut.rows),
        exact('lake readings', outcome.lake.distinct, cut.rows),
        exact('rows quarantined', quarantined, cut.bad),
        exact('quarantine entries', entries, cut.bad),
        { name: 'verify', value: verified.ok ? 'passes' : 'fails', target: 'passes', met: verified.ok },
        { name: 'ingest → caught up', value: seconds(ingestMs), unit: 's' },
        { name: 'files per second', value: Math.round((cut.files / ingestMs) * 10_000) / 10 },
      ];
      const notes = verified.ok ? [] : [`verify: ${verified.why}`];
      return { passed: figures.every((f) => f.met !== false), figures, notes };
    } finally {
      clients.destroy();
    }
  } finally {
    await stopUp(up);
  }
}
