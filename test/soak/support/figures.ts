/** Small helpers the scenarios share to judge and report a run. */

/** Lines of a stack trace in a process's stderr, which a user must never see. */
export function traces(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /^\s+at /.test(l));
}

/** Milliseconds as seconds with one decimal, for a figure. */
export function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
