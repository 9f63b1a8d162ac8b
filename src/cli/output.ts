/**
 * How every command reports: human text on stdout, or with --json exactly one JSON
 * document on stdout; progress on stderr; errors as one line and a non-zero exit.
 */
import type { ProgressMeter } from '../shared/progress.ts';
import { progressFor, type Progress } from './progress.ts';

export interface CommandResult {
  /** The --json document. */
  readonly json: unknown;
  /** What a person reads. */
  readonly human: string;
  /** Non-zero when the command ran but its answer is "no" (verify finding differences, say). */
  readonly exitCode?: number;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

export function printResult(result: CommandResult, json: boolean): void {
  if (json) process.stdout.write(`${JSON.stringify(result.json, null, 2)}\n`);
  else if (result.human) process.stdout.write(result.human.endsWith('\n') ? result.human : `${result.human}\n`);
}

/** One line, no stack: the reason a user can act on. */
export function errorLine(err: unknown): string {
  const e = err as Error;
  const message = (e?.message ?? String(err)).split('\n')[0] ?? 'unknown error';
  if ((e as NodeJS.ErrnoException)?.code === 'ENOSPC' || /ENOSPC|No space left on device/.test(message)) {
    return `the disk is full (${message}): free space where the data dir is, then run the command again; what is already stored is kept`;
  }
  if (e?.name === 'ECONNREFUSED' || /ECONNREFUSED/.test(message)) {
    return `${message} (is the embedded stack still running? start it with \`dubegrid up\`)`;
  }
  return message;
}

export function reportError(err: unknown, json: boolean): number {
  const line = errorLine(err);
  if (json) process.stdout.write(`${JSON.stringify({ error: line })}\n`);
  process.stderr.write(`dubegrid: ${line}\n`);
  return err instanceof UsageError ? 2 : 1;
}

let current: Progress = progressFor(process.stderr, {});

/** The progress component this command reports through (set by `action` from its flags). */
export function useProgress(p: Progress): Progress {
  current = p;
  return p;
}

/** Progress for long work: a line on stderr, never on stdout where --json output goes. */
export function progress(message: string): void {
  current.note(message);
}

/** A count of long work (done/total in its unit): the one live line, or a plain line every 10 s. */
export const meter: ProgressMeter = (tick) => current.tick(tick);

/** Clears the live line before a result or an error is printed. */
export function endProgress(): void {
  current.finish();
}

/** A fixed-width text table. */
export function table(headers: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((r) => r.map((c) => (c === null || c === undefined ? '' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]?.length ?? 0)));
  const line = (r: readonly string[]): string =>
    r
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
