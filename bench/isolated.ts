/**
 * Each benchmark runs in its own `node` process. In one process a benchmark's figure
 * depended on what ran before it (JIT state, heap, DuckDB and emulator leftovers): the
 * splitter ratio measured 0.68 alone and 0.43–0.48 after the others in a full run.
 *
 * The parent forks `bin/bench.js` with the benchmark's name in `BENCH_CHILD_ENV`; the
 * child runs that one benchmark and sends its results back over the IPC channel. The
 * child's stdout goes to the parent's stderr, so `--json` output stays one document.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Benchmark, BenchResult } from './types.ts';

export const BENCH_CHILD_ENV = 'DUBEGRID_BENCH_CHILD';

const BIN = fileURLToPath(new URL('../bin/bench.js', import.meta.url));

type ChildMessage = { readonly results: BenchResult[] } | { readonly error: string };

/** Runs benchmark `name` in a fresh process with `args` (its flags, as given on the command line). */
export function runIsolated(name: string, args: readonly string[]): Promise<BenchResult[]> {
  return new Promise((resolve, reject) => {
    const child = fork(BIN, [...args], {
      env: { ...process.env, [BENCH_CHILD_ENV]: name },
      stdio: ['ignore', 2, 'inherit', 'ipc'],
    });
    let message: ChildMessage | undefined;
    child.on('message', (m) => (message = m as ChildMessage));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (message && 'results' in message) resolve(message.results);
      else if (message) reject(new Error(message.error));
      else reject(new Error(`benchmark ${name}: its process exited (${signal ?? `code ${code}`}) without reporting`));
    });
  });
}

/** The child's side: run one benchmark, report, and exit (a benchmark's leftover handles must not keep it alive). */
export async function serveIsolated(
  benchmark: Benchmark,
  flags: Record<string, string | boolean | undefined>,
): Promise<void> {
  let message: ChildMessage;
  try {
    message = { results: await benchmark.run(flags) };
  } catch (err) {
    message = { error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
  if (!process.send) throw new Error(`${BENCH_CHILD_ENV} is set but this process has no IPC channel to its parent`);
  process.send(message, () => process.exit('results' in message ? 0 : 1));
}
