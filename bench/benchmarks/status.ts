/**
 * `npm run bench -- status`: how long `dubegrid status` takes on the sample's data dir,
 * as a user runs it (the real binary, a new process each time), with the stack down
 * (status then starts the emulators for its own lifetime) and up (it asks the running
 * stack), against the 2 s the CLI promises. Measured side by side: the binary's own
 * start (`dubegrid --help`: Node, tsx, the modules), and, in this process against the
 * running stack, the two questions status asks — the resources (HeadBucket and object
 * listings, DescribeStream, DescribeTable) and the services' figures (the control
 * endpoint) — and what `--exact` (table scans, the whole stream read) would add.
 *
 * With `--baseline REF`, the same figures of the CLI at that commit (`git archive`,
 * beside this checkout's node_modules), measured in the same run: before and after.
 *
 * What made status slow: first (12 s on the sample) a Scan of every table (the `readings`
 * table holds one item per reading) and a read of the whole stream, on every run; both
 * now run only with --exact. Then (#19: 2.0 s up, 2.8 s down, 1.6 s for `--help` on a
 * quiet machine) loading modules: building the program imported every command's
 * implementation, so every run loaded the AWS SDK, DuckDB, the pipeline and the console
 * server before parsing its arguments, and status with the stack down loaded the whole
 * pipeline to start a stack with no services. Commands now load their implementation
 * only when they run (docs/adr/0019-lazy-command-loading.md). Then (2.5 s of 3.4 s at load
 * 20) loading the AWS SDK to ask the running stack's emulators for the resources: status
 * attached to `up` now asks `up` itself (control `GET /resources`), which has the SDK
 * loaded and its connections open.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { callControl } from '../../src/local/control.ts';
import { readRuntime } from '../../src/local/runtime-file.ts';
import { startStack } from '../../src/local/stack.ts';
import { runSample } from '../../src/ops/sample/run.ts';
import { resourceStatus } from '../../src/ops/status.ts';
import { createClients } from '../../src/shared/clients.ts';
import { atMost, round, type Benchmark, type BenchResult } from '../types.ts';

const CLI = fileURLToPath(new URL('../../bin/dubegrid.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PROMISE_MS = 2_000;
const DEFAULT_RUNS = 3;

interface Timed {
  readonly ms: number;
  readonly code: number | null;
  readonly stdout: string;
}

function cli(args: string[], bin = CLI): Promise<Timed> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ ms: performance.now() - began, code, stdout }));
  });
}

const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function medianOf(runs: number, fn: () => Promise<number>): Promise<number> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) out.push(await fn());
  return median(out);
}

async function statusMs(dataDir: string, bin = CLI): Promise<number> {
  const r = await cli(['status', '--data-dir', dataDir], bin);
  if (r.code !== 0) throw new Error(`dubegrid status (${bin}) exited ${r.code}`);
  return r.ms;
}

/** The CLI as it was at `ref`: its sources from git, run with this checkout's node_modules. */
async function baselineCli(ref: string): Promise<{ bin: string; dir: string }> {
  if (!/^[\w./~^@-]+$/.test(ref)) throw new Error(`--baseline must name a commit, got ${ref}`);
  const dir = await mkdtemp(join(tmpdir(), 'dubegrid-bench-baseline-'));
  execFileSync('sh', ['-c', `git archive ${ref} src bin package.json tsconfig.json | tar -x -C "${dir}"`], {
    cwd: ROOT,
  });
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return { bin: join(dir, 'bin', 'dubegrid.js'), dir };
}

export const statusBenchmark: Benchmark = {
  name: 'status',
  description: '`dubegrid status` wall time on the sample, stack down and up, vs the 2 s promised; target ratio <= 1',
  flags: {
    'data-dir': 'an existing data dir holding the sample (default: make one as `npm start -- --once` does)',
    runs: `runs of each measurement, the median reported (default ${DEFAULT_RUNS})`,
    baseline: 'a commit whose CLI to measure side by side (e.g. the one before a change): baseline_* figures',
  },
  async run(flags) {
    const runs = Number(flags.runs ?? DEFAULT_RUNS);
    const given = typeof flags['data-dir'] === 'string' ? flags['data-dir'] : undefined;
    const dataDir = given ?? (await mkdtemp(join(tmpdir(), 'dubegrid-bench-status-')));
    const baselineRef = typeof flags.baseline === 'string' ? flags.baseline : undefined;
    const baseline = baselineRef ? await baselineCli(baselineRef) : undefined;
    /** Figures of the baseline CLI, measured right after ours; none without --baseline. */
    const before = async (name: string, fn: (bin: string) => Promise<number>): Promise<Record<string, number>> =>
      baseline ? { [`baseline_${name}`]: round(await medianOf(runs, () => fn(baseline.bin)), 0) } : {};
    try {
      if (!given) {
        const stack = await startStack({ dataDir, mode: 'ephemeral' });
        try {
          await runSample(stack, { timeoutMs: 30 * 60_000, progress: () => undefined });
        } finally {
          await stack.stop();
        }
      }
      const cliStartMs = await medianOf(runs, async () => (await cli(['--help'])).ms);
      const baselineStart = await before('cli_start_ms', async (bin) => (await cli(['--help'], bin)).ms);
      const downMs = await medianOf(runs, () => statusMs(dataDir));
      const baselineDown = await before('status_down_ms', (bin) => statusMs(dataDir, bin));

      const up = spawn(process.execPath, [CLI, 'up', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'ignore'] });
      let banner = '';
      await new Promise<void>((resolve, reject) => {
        up.stdout.on('data', (b: Buffer) => {
          banner += b.toString();
          if (banner.includes('Ctrl-C stops it')) resolve();
        });
        up.once('exit', (code) => reject(new Error(`dubegrid up exited ${code}`)));
      });
      let figures: Record<string, number>;
      try {
        const upMs = await medianOf(runs, () => statusMs(dataDir));
        const baselineUp = await before('status_up_ms', (bin) => statusMs(dataDir, bin));
        const runtime = await readRuntime(dataDir);
        if (!runtime?.control) throw new Error('the running stack has no control endpoint');
        const clients = createClients({ target: 'local', endpoints: runtime.endpoints });
        try {
          const resourcesMs = await medianOf(runs, async () => {
            const t = performance.now();
            await resourceStatus(clients);
            return performance.now() - t;
          });
          const servicesMs = await medianOf(runs, async () => {
            const t = performance.now();
            await callControl(runtime.control as string, 'GET', '/status');
            return performance.now() - t;
          });
          const t = performance.now();
          await resourceStatus(clients, { exact: true });
          const exactResourcesMs = performance.now() - t;
          figures = {
            status_up_ms: round(upMs, 0),
            ...baselineUp,
            resources_in_process_ms: round(resourcesMs, 0),
            services_in_process_ms: round(servicesMs, 0),
            exact_resources_in_process_ms: round(exactResourcesMs, 0),
          };
        } finally {
          clients.destroy();
        }
      } finally {
        const exited = new Promise((resolve) => up.once('exit', resolve));
        up.kill('SIGINT');
        await exited;
      }
      const common = {
        cli_start_ms: round(cliStartMs, 0),
        ...baselineStart,
        ...(baselineRef ? { baseline: baselineRef } : {}),
        load_average_1m: round(loadavg()[0] ?? 0, 2),
        runs,
      };
      const results: BenchResult[] = [
        atMost('status, stack down: wall ms ÷ 2000', downMs / PROMISE_MS, 1, {
          status_down_ms: round(downMs, 0),
          ...baselineDown,
          ...common,
        }),
        atMost('status, stack up: wall ms ÷ 2000', (figures.status_up_ms ?? NaN) / PROMISE_MS, 1, {
          ...figures,
          ...common,
        }),
      ];
      return results;
    } finally {
      if (!given) await rm(dataDir, { recursive: true, force: true });
      if (baseline) await rm(baseline.dir, { recursive: true, force: true });
    }
  },
};
