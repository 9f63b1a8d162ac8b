/**
 * Resident memory of the embedded stack as the kernel counts it (`VmRSS` in
 * /proc/<pid>/status): what a user's `top` shows, native allocations (DuckDB, LevelDB)
 * included, which `process.memoryUsage()` of one process would not give for the other.
 */
import { readFile, readdir } from 'node:fs/promises';

export interface RssSample {
  /** Milliseconds since sampling started. */
  readonly atMs: number;
  /** MiB per process name; a process that is gone is absent. */
  readonly mib: Readonly<Record<string, number>>;
}

/** `VmRSS:   123456 kB` → MiB; undefined when the line is missing (a zombie, a kernel thread). */
export function vmRssMiB(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) / 1024 : undefined;
}

export async function rssMiB(pid: number): Promise<number | undefined> {
  try {
    return vmRssMiB(await readFile(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined; // it exited between two samples
  }
}

/** Pids whose parent is `ppid` and whose command line contains `marker` (the emulator host of an `up`). */
export async function childPids(ppid: number, marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      // the command name in parentheses may hold spaces: the fields after its closing one are fixed
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== ppid) continue;
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      if (cmdline.includes(marker)) found.push(Number(entry));
    } catch {
      // exited while being looked at
    }
  }
  return found;
}

/** Samples every `intervalMs` until `stop()`; `total` of a sample is the sum of its processes. */
export class RssSampler {
  readonly samples: RssSample[] = [];
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly pids: () => Readonly<Record<string, number>>,
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const tick = (): void => {
      this.pending = this.sample();
      this.timer = setTimeout(tick, this.intervalMs);
    };
    tick();
  }

  async stop(): Promise<RssSample[]> {
    clearTimeout(this.timer);
    await this.pending;
    await this.sample();
    return this.samples;
  }

  private async sample(): Promise<void> {
    const entries = await Promise.all(
      Object.entries(this.pids()).map(async ([name, pid]) => [name, await rssMiB(pid)] as const),
    );
    const mib: Record<string, number> = {};
    for (const [name, v] of entries) if (v !== undefined) mib[name] = v;
    if (Object.keys(mib).length > 0) this.samples.push({ atMs: Date.now() - this.started, mib });
  }
}

export function totalMiB(s: RssSample): number {
  return Object.values(s.mib).reduce((a, b) => a + b, 0);
}

/** The largest value of `of` over the samples (0 with none). */
export function peakMiB(samples: readonly RssSample[], of: (s: RssSample) => number = totalMiB): number {
  return samples.reduce((m, s) => Math.max(m, of(s)), 0);
}

/**
 * Least-squares slope of the whole stack's RSS against time, in MiB per minute, over the
 * samples at or after `fromMs` (the end of warm-up); undefined with fewer than 3 of them.
 */
export function slopeMiBPerMin(samples: readonly RssSample[], fromMs: number): number | undefined {
  const pts = samples.filter((s) => s.atMs >= fromMs).map((s) => [s.atMs / 60_000, totalMiB(s)] as const);
  if (pts.length < 3) return undefined;
  const n = pts.length;
  const mx = pts.reduce((a, [x]) => a + x, 0) / n;
  const my = pts.reduce((a, [, y]) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of pts) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? undefined : sxy / sxx;
}
