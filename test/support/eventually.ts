/**
 * The one way a test waits for something another process or service does: poll a probe
 * until it passes, and on timeout fail loudly — naming what was awaited and what the
 * probe last gave (its value, or the error it threw) — instead of falling through with
 * nothing checked.
 */
import { inspect } from 'node:util';

export interface EventuallyOptions {
  /** Give up after this long (default 60 s, well inside the int tier's test timeout). */
  readonly timeoutMs?: number;
  /** Pause between probes (default 100 ms). */
  readonly intervalMs?: number;
}

/** Not passed yet: the probe may say so by returning one of these, or by throwing (e.g. a failed `expect`). */
type Pending = undefined | false;

/**
 * Polls `probe` until it returns something other than `undefined` or `false` without
 * throwing, and resolves with that. `what` completes "timed out waiting for …".
 */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | Pending> | T | Pending,
  options: EventuallyOptions = {},
): Promise<Exclude<T, Pending>> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: { value: unknown } | { error: unknown } | undefined;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value as Exclude<T, Pending>;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) throw timedOut(what, timeoutMs, last);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function timedOut(what: string, timeoutMs: number, last: { value: unknown } | { error: unknown }): Error {
  const seen =
    'error' in last ? `the probe last threw: ${describe(last.error)}` : `the probe last gave: ${describe(last.value)}`;
  return new Error(
    `timed out after ${timeoutMs} ms waiting for ${what}; ${seen}`,
    'error' in last ? { cause: last.error } : undefined,
  );
}

function describe(x: unknown): string {
  const text = x instanceof Error ? `${x.name}: ${x.message}` : inspect(x, { depth: 4, breakLength: Infinity });
  // a failed expect() can print whole tables; the head says enough and keeps the report readable
  return text.length > 2_000 ? `${text.slice(0, 2_000)}… (${text.length} chars)` : text;
}
