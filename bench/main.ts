/**
 * `npm run bench -- [NAME…] [--json] [--write] [--list] [benchmark flags]`
 * Runs the named benchmarks (all of the default set when none is named), each in its
 * own process (bench/isolated.ts), prints a table, or with --json
 * `{"benchmarks": [{name, ratio, target, met, figures}]}`. With --write, also records
 * them in bench/results.json and renders bench/RESULTS.md from it (bench/results-md.ts).
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { BENCH_CHILD_ENV, runIsolated, serveIsolated } from './isolated.ts';
import { BENCHMARKS } from './registry.ts';
import { machineInfo, mergeRuns, renderResultsMarkdown, type BenchRun } from './results-md.ts';
import type { BenchResult } from './types.ts';

const RESULTS_JSON = new URL('./results.json', import.meta.url);
const RESULTS_MD = new URL('./RESULTS.md', import.meta.url);
/** Flags the harness reads itself; every other flag goes to each benchmark. */
const HARNESS_FLAGS = new Set(['--json', '--write', '--help', '--list']);

const { values, positionals } = parseArgs({
  allowPositionals: true,
  strict: false,
  options: {
    json: { type: 'boolean' },
    help: { type: 'boolean' },
    list: { type: 'boolean' },
    write: { type: 'boolean' },
  },
});
const flags = values as Record<string, string | boolean | undefined>;

const childName = process.env[BENCH_CHILD_ENV];
if (childName !== undefined) {
  const benchmark = BENCHMARKS.find((b) => b.name === childName);
  if (!benchmark) throw new Error(`${BENCH_CHILD_ENV}=${childName}: no such benchmark`);
  await serveIsolated(benchmark, flags);
} else {
  await main();
}

async function main(): Promise<void> {
  if (values.help || values.list) {
    const lines = [
      'usage: npm run bench -- [NAME…] [--json] [--write] [flags]',
      '',
      '  --write      record the results in bench/RESULTS.md',
      '',
      'benchmarks:',
    ];
    for (const b of BENCHMARKS) {
      lines.push(`  ${b.name.padEnd(12)} ${b.description}`);
      for (const [flag, text] of Object.entries(b.flags ?? {})) lines.push(`  ${''.padEnd(12)}   --${flag}  ${text}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return;
  }

  const unknown = positionals.filter((n) => !BENCHMARKS.some((b) => b.name === n));
  if (unknown.length) {
    process.stderr.write(
      `bench: no benchmark named ${unknown.join(', ')} (known: ${BENCHMARKS.map((b) => b.name).join(', ')})\n`,
    );
    process.exit(2);
  }
  const chosen = positionals.length ? BENCHMARKS.filter((b) => positionals.includes(b.name)) : BENCHMARKS;
  const forwarded = process.argv.slice(2).filter((a) => a.startsWith('--') && !HARNESS_FLAGS.has(a));
  const runs: BenchRun[] = [];
  for (const b of chosen) {
    process.stderr.write(`bench: running ${b.name} in its own process…\n`);
    const [date, machine] = [new Date().toISOString(), machineInfo()];
    try {
      runs.push({ name: b.name, date, machine, flags: forwarded, results: await runIsolated(b.name, forwarded) });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      process.stderr.write(`bench: ${b.name} failed: ${error}\n`);
      runs.push({ name: b.name, date, machine, flags: forwarded, results: [], error });
    }
  }
  const results: BenchResult[] = runs.flatMap((r) => r.results);

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ benchmarks: results }, null, 2)}\n`);
  } else {
    for (const r of results) {
      process.stdout.write(`${r.met ? 'MET ' : 'MISS'}  ${r.name}  ratio ${r.ratio} (target ${r.target})\n`);
      for (const [k, v] of Object.entries(r.figures)) process.stdout.write(`        ${k}: ${v}\n`);
    }
    if (!results.length) process.stdout.write('no benchmarks registered\n');
  }

  if (values.write) {
    const previous: BenchRun[] = existsSync(RESULTS_JSON)
      ? (JSON.parse(await readFile(RESULTS_JSON, 'utf8')) as { runs: BenchRun[] }).runs
      : [];
    const all = mergeRuns(
      previous,
      runs,
      BENCHMARKS.map((b) => b.name),
    );
    await writeFile(RESULTS_JSON, `${JSON.stringify({ runs: all }, null, 2)}\n`);
    await writeFile(RESULTS_MD, renderResultsMarkdown(all));
    process.stderr.write('bench: wrote bench/RESULTS.md\n');
  }
  if (runs.some((r) => r.error !== undefined)) process.exitCode = 1;
}
