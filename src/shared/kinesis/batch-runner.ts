/**
 * What the event source mapping does with one batch of one shard until every record
 * in it is either processed or handed to the on-failure destination — Lambda's error
 * handling for stream sources, in order:
 *
 * 1. Records older than `maxRecordAgeSeconds` are not sent; they go to the on-failure
 *    destination (`record_too_old`).
 * 2. The handler is invoked. With `ReportBatchItemFailures`, the records before the
 *    lowest failed sequence number are done; the rest is what failed.
 * 3. A failed part of more than one record is split in two when `bisectBatchOnError`
 *    is on, and each half is delivered in turn, first half first (so a shard's order
 *    holds). Splitting is not a retry: halving down to the failing record costs no
 *    attempts, so one poison record never drags its neighbours into the DLQ.
 * 4. A failed part that is not split is retried with backoff, up to `retryAttempts`
 *    times (-1: until the records age out), then goes to the on-failure destination
 *    (`retries_exhausted`) and the shard moves on.
 *
 * I/O is injected: `invoke`, `onDone` (the checkpoint, called in shard order) and
 * `onFailure` (the DLQ, always called before `onDone` for the same records).
 */
import type { EventSourceMappingSettings } from '../consumers.ts';
import type { InvokeOutcome } from './invoke.ts';
import type { StreamRecord } from './shard-reader.ts';

/** Wait before retry n (1-based): 100 ms, 200 ms, … capped at 5 s. */
export const RETRY_BACKOFF = { firstMs: 100, factor: 2, maxMs: 5_000 } as const;

export function retryDelayMs(retry: number): number {
  return Math.min(RETRY_BACKOFF.maxMs, RETRY_BACKOFF.firstMs * RETRY_BACKOFF.factor ** (retry - 1));
}

export type FailureCondition = 'retries_exhausted' | 'record_too_old';

export interface DeliveryFailure {
  readonly condition: FailureCondition;
  readonly error: string;
  /** Invocations of these records that failed (0 for records that aged out unsent). */
  readonly attempts: number;
}

export interface BatchRunnerDeps {
  readonly settings: Pick<EventSourceMappingSettings, 'retryAttempts' | 'bisectBatchOnError' | 'maxRecordAgeSeconds'>;
  invoke(records: readonly StreamRecord[]): Promise<InvokeOutcome>;
  onDone(records: readonly StreamRecord[]): Promise<void>;
  onFailure(records: readonly StreamRecord[], failure: DeliveryFailure): Promise<void>;
  sleep(ms: number): Promise<void>;
  now(): number;
}

export interface BatchReport {
  invocations: number;
  retries: number;
  bisections: number;
  /** Records handed to the on-failure destination. */
  failed: number;
}

export async function runBatch(records: readonly StreamRecord[], deps: BatchRunnerDeps): Promise<BatchReport> {
  const report: BatchReport = { invocations: 0, retries: 0, bisections: 0, failed: 0 };
  await deliver(records, deps, report);
  return report;
}

async function deliver(records: readonly StreamRecord[], deps: BatchRunnerDeps, report: BatchReport): Promise<void> {
  const { settings } = deps;
  let pending = records;
  let failedAttempts = 0;
  while (pending.length > 0) {
    const tooOld = agedOutPrefix(pending, settings.maxRecordAgeSeconds, deps.now());
    if (tooOld > 0) {
      const aged = pending.slice(0, tooOld);
      await deps.onFailure(aged, {
        condition: 'record_too_old',
        error: `older than the maximum record age of ${settings.maxRecordAgeSeconds} s`,
        attempts: failedAttempts,
      });
      report.failed += aged.length;
      await deps.onDone(aged);
      pending = pending.slice(tooOld);
      continue;
    }

    report.invocations += 1;
    const outcome = await deps.invoke(pending);
    if (outcome.ok) {
      await deps.onDone(pending);
      return;
    }
    if (outcome.failedIndex > 0) {
      await deps.onDone(pending.slice(0, outcome.failedIndex));
      pending = pending.slice(outcome.failedIndex);
    }
    failedAttempts += 1;

    if (settings.bisectBatchOnError && pending.length > 1) {
      report.bisections += 1;
      const middle = Math.ceil(pending.length / 2);
      await deliver(pending.slice(0, middle), deps, report);
      await deliver(pending.slice(middle), deps, report);
      return;
    }
    if (settings.retryAttempts >= 0 && failedAttempts > settings.retryAttempts) {
      await deps.onFailure(pending, { condition: 'retries_exhausted', error: outcome.error, attempts: failedAttempts });
      report.failed += pending.length;
      await deps.onDone(pending);
      return;
    }
    report.retries += 1;
    await deps.sleep(retryDelayMs(failedAttempts));
  }
}

/** How many leading records are older than the maximum age (-1: no maximum). */
export function agedOutPrefix(records: readonly StreamRecord[], maxRecordAgeSeconds: number, now: number): number {
  if (maxRecordAgeSeconds < 0) return 0;
  const limit = now - maxRecordAgeSeconds * 1000;
  let n = 0;
  while (n < records.length && (records[n]?.arrival.getTime() ?? Infinity) < limit) n += 1;
  return n;
}
