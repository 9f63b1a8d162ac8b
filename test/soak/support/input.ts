/**
 * A scenario's input, made as a user makes one: `dubegrid generate` (deterministic for a
 * seed), and what it holds, counted from the files themselves.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../../support/cli.ts';

export interface Sample {
  readonly dir: string;
  /** The reading files (not assets.csv), absolute. */
  readonly files: readonly string[];
  /** Data rows in them: one reading each in the LV long format. */
  readonly rows: number;
}

export async function generateSample(
  dir: string,
  options: { substations: number; days: number; seed?: number },
): Promise<Sample> {
  const args = ['generate', '--out', dir, '--substations', String(options.substations), '--days', String(options.days)];
  // the labels go beside the directory: inside it, `ingest DIR` would upload them as readings
  const labels = ['--anomalies', '--labels', `${dir}.labels.csv`];
  const run = await runCli([...args, ...labels, '--seed', String(options.seed ?? 18)]);
  if (run.code !== 0) throw new Error(`dubegrid generate failed: ${run.stderr}`);
  const files = (await readdir(dir, { recursive: true }))
    .filter((f) => f.endsWith('.csv') && !f.endsWith('assets.csv'))
    .map((f) => join(dir, f));
  let rows = 0;
  for (const f of files) rows += dataRows(await readFile(f, 'utf8'));
  return { dir, files, rows };
}

/** Rows after the header, blank lines not counted (as the splitter counts `rows_read`). */
export function dataRows(csv: string): number {
  return csv.split(/\r?\n/).filter((l) => l.trim() !== '').length - 1;
}
