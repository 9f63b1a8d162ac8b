import { describe, expect, it } from 'vitest';
import { machineInfo, mergeRuns, renderResultsMarkdown, type BenchRun, type Machine } from '../../bench/results-md.ts';
import { atLeast, atMost } from '../../bench/types.ts';

const MACHINE: Machine = {
  cpu: 'Test CPU @ 2.0GHz',
  cores: 2,
  memory_gib: 7.8,
  node: 'v20.0.0',
  os: 'Linux 6.0 x64',
  load_average: 1.5,
};

function run(name: string, over: Partial<BenchRun> = {}): BenchRun {
  return { name, date: '2026-12-05T09:00:00.000Z', machine: MACHINE, flags: [], results: [], ...over };
}

describe('bench RESULTS.md', () => {
  it('lists every result with its ratio, target and whether it was met, then each run with its machine, date and flags', () => {
    const md = renderResultsMarkdown([
      run('splitter', {
        flags: ['--rows=20000', '--reps=1'],
        results: [
          atLeast('splitter_throughput', 0.7123, 0.7, { core_rows_per_s: 205_000, 'note | with pipe': 'a|b' }),
          atMost('splitter_billing', 1.06, 1.05, {}),
        ],
      }),
      run('lake', { date: '2026-12-04T08:00:00.000Z' }),
    ]);

    expect(md).toMatch(/^# Benchmark results\n/);
    expect(md).toContain('do not edit by hand');
    expect(md).toContain('| `splitter` | splitter_throughput | 0.712 | >= 0.7 | yes | 2026-12-05 |');
    expect(md).toContain('| `splitter` | splitter_billing | 1.06 | <= 1.05 | **no** | 2026-12-05 |');
    expect(md).toContain('Run 2026-12-05T09:00:00.000Z with `--rows=20000` `--reps=1`.');
    expect(md).toContain('Run 2026-12-04T08:00:00.000Z with the default flags.');
    expect(md).toContain(
      'Machine: Test CPU @ 2.0GHz, 2 cores, 7.8 GiB, Node v20.0.0, Linux 6.0 x64; load average 1.5 at the start.',
    );
    expect(md).toContain('### splitter_throughput: ratio 0.712, target >= 0.7, met');
    expect(md).toContain('### splitter_billing: ratio 1.06, target <= 1.05, **not met**');
    expect(md).toContain('| core_rows_per_s | 205000 |');
    // A pipe inside a cell must not end it.
    expect(md).toContain('| note \\| with pipe | a\\|b |');
    expect(md.indexOf('## `splitter`')).toBeLessThan(md.indexOf('## `lake`'));
  });

  it('shows a failed benchmark as failed, with its error', () => {
    const md = renderResultsMarkdown([run('e2e', { error: 'Error: dynalite went away\n    at x' })]);
    expect(md).toContain('| `e2e` | — | — | — | **failed** | 2026-12-05 |');
    expect(md).toContain('```\nError: dynalite went away\n    at x\n```');
  });

  it('says so when nothing was recorded', () => {
    expect(renderResultsMarkdown([])).toContain('No benchmark has been recorded yet.');
  });

  it('keeps the other benchmarks when some are run again, in the registry order', () => {
    const old = [run('e2e', { date: 'old' }), run('splitter', { date: 'old' }), run('retired', { date: 'old' })];
    const merged = mergeRuns(
      old,
      [run('splitter', { date: 'new' }), run('lake', { date: 'new' })],
      ['e2e', 'lake', 'splitter'],
    );
    expect(merged.map((r) => `${r.name}@${r.date}`)).toEqual(['e2e@old', 'lake@new', 'splitter@new', 'retired@old']);
  });

  it('describes the machine it runs on', () => {
    const m = machineInfo();
    expect(m.cores).toBeGreaterThan(0);
    expect(m.memory_gib).toBeGreaterThan(0);
    expect(m.node).toBe(process.version);
    expect(m.cpu.length).toBeGreaterThan(0);
  });
});
