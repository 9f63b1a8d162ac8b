/**
 * `npm run bench -- [NAME…] [--json] [--list] [benchmark flags]`
 * Runs the named benchmarks (all of the default set when none is named), prints a
 * table, or with --json `{"benchmarks": [{name, ratio, target, met, figures}]}`.
 */
import { parseArgs } from 'node:util';
import { BENCHMARKS } from './registry.ts';
import type { BenchResult } from './types.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, strict: false, options: { json: { type: 'boolean' }, help: { type: 'boolean' }, list: { type: 'boolean' } } });

if (values.help || values.list) {
  const lines = ['usage: npm run bench -- [NAME…] [--json] [flags]', '', 'benchmarks:'];
  for (const b of BENCHMARKS) {
    lines.push(`  ${b.name.padEnd(12)} ${b.description}`);
    for (const [flag, text] of Object.entries(b.flags ?? {})) lines.push(`  ${''.padEnd(12)}   --${flag}  ${text}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(0);
}

const unknown = positionals.filter((n) => !BENCHMARKS.some((b) => b.name === n));
if (unknown.length) {
  process.stderr.write(`bench: no benchmark named ${unknown.join(', ')} (known: ${BENCHMARKS.map((b) => b.name).join(', ')})\n`);
  process.exit(2);
}
const chosen = positionals.length ? BENCHMARKS.filter((b) => positionals.includes(b.name)) : BENCHMARKS;
const results: BenchResult[] = [];
for (const b of chosen) {
  process.stderr.write(`bench: running ${b.name}…\n`);
  results.push(...(await b.run(values as Record<string, string | boolean | undefined>)));
}

if (values.json) {
  process.stdout.write(`${JSON.stringify({ benchmarks: results }, null, 2)}\n`);
} else {
  for (const r of results) {
    process.stdout.write(`${r.met ? 'MET ' : 'MISS'}  ${r.name}  ratio ${r.ratio} (target ${r.target})\n`);
    for (const [k, v] of Object.entries(r.figures)) process.stdout.write(`        ${k}: ${v}\n`);
  }
  if (!results.length) process.stdout.write('no benchmarks registered\n');
}
