/**
 * Batch calls return what they could not do (UnprocessedKeys / UnprocessedItems);
 * they are tried again with backoff a bounded number of times.
 */
import { StoreError } from '../errors.ts';

export const BATCH_RETRY = { attempts: 8, baseDelayMs: 25, maxDelayMs: 1_000 } as const;

export async function untilDone<T>(what: string, initial: T | undefined, call: (pending: T) => Promise<T | undefined>): Promise<void> {
  let pending = initial;
  for (let attempt = 1; pending !== undefined; attempt++) {
    if (attempt > BATCH_RETRY.attempts) throw new StoreError(`${what}: still unprocessed after ${BATCH_RETRY.attempts} attempts`);
    if (attempt > 1) await new Promise((r) => setTimeout(r, Math.min(BATCH_RETRY.maxDelayMs, BATCH_RETRY.baseDelayMs * 2 ** (attempt - 2))));
    pending = await call(pending);
  }
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
