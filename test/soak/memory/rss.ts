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
  /**
   * The file-backed part of `mib` (RssFile + RssShmem): mapped files such as the `node`
   * binary, DuckDB's library and LevelDB's mmapped tables, which grow with the data read
   * rather than with what a process holds. Absent where the kernel does not split VmRSS.
   */
  readonly fileMib?: Readonly<Record<string, number>>;
}

/** `VmRSS:   123456 kB` → MiB; undefined when the line is missing (a zombie, a kernel thread). */
export function vmRssMiB(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) / 1024 : undefined;
}

/** `RssFile` + `RssShmem` of /proc/<pid>/status in MiB (Linux 4.5 on); undefined without them. */
export function fileRssMiB(status: string): number | undefined {
  const file = /^RssFile:\s+(\d+)\s+kB$/m.exec(status);
  const shmem = /^RssShmem:\s+(\d+)\s+kB$/m.exec(status);
  return file ? (Number(file[1]) + Number(shmem?.[1] ?? 0)) / 1024 : undefined;
}

async function statusOf(pid: number): Promise<string | undefined> {
  try {
    return await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // it exited between two samples
  }
}

export async function rssMiB(pid: number): Promise<number | undefined> {
  const status = await statusOf(pid);
  return status === undefined ? undefined : vmRssMiB(status);
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
      Object.entries(this.pids()).map(async ([name, pid]) => [name, await statusOf(pid)] as const),
    );
    const mib: Record<string, number> = {};
    const fileMib: Record<string, number> = {};
    for (const [name, status] of entries) {
      const rss = status === undefined ? undefined : vmRssMiB(status);
      if (status === undefined || rss === undefined) continue;
      mib[name] = rss;
      const file = fileRssMiB(status);
      if (file !== undefined) fileMib[name] = file;
    }
    if (Object.keys(mib).length > 0) this.samples.push({ atMs: Date.now() - this.started, mib, fileMib });
  }
}

export function totalMiB(s: RssSample): number {
  return Object.values(s.mib).reduce((a, b) => a + b, 0);
}

/** The largest value of `of` over the samples (0 with none). */
export function peakMiB(samples: readonly RssSample[], of: (s: RssSample) => number = totalMiB): number {
  return samples.reduce((m, s) => Math.max(m, of(s)), 0);
}

/** The file-backed part of a sample, both processes (0 where not split). */
export function fileTotalMiB(s: RssSample): number {
  return Object.values(s.fileMib ?? {}).reduce((a, b) => a + b, 0);
}

/**
 * Least-squares slope of the whole stack's RSS (or of `of`) against time, in MiB per
 * minute, over the samples at or after `fromMs` (the end of warm-up); undefined with
 * fewer than 3 of them.
 */
export function slopeMiBPerMin(
  samples: readonly RssSample[],
  fromMs: number,
  of: (s: RssSample) => number = totalMiB,
): number | undefined {
  const pts = samples.filter((s) => s.atMs >= fromMs).map((s) => [s.atMs / 60_000, of(s)] as const);
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
