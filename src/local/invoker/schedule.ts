/**
 * Lambda's asynchronous-invocation semantics as data: what the S3-invoked functions
 * (splitter, registry) get on AWS. The configurable part (retry attempts, maximum
 * event age) is `ASYNC_INVOCATION`, which the CDK reads too; the delays between
 * attempts are Lambda's own and not configurable: "Lambda attempts to run it two more
 * times, with a one-minute wait between the first two attempts, and two minutes
 * between the second and third attempts" (Lambda developer guide, asynchronous
 * invocation, error handling).
 */
import { ASYNC_INVOCATION } from '../../shared/functions.ts';
import { LOCAL_TIME_SCALE, scaledMs } from './clock.ts';

/** Lambda's waits before the 1st and 2nd retries of a function error, in seconds. */
export const LAMBDA_RETRY_DELAYS_SECONDS = [60, 120] as const;

/** Why an event went to the on-failure destination, as the local DLQ spells Lambda's `condition`. */
export const FAILURE_CONDITION = {
  /** Lambda's `RetriesExhausted`. */
  retriesExhausted: 'retries_exhausted',
  /** Lambda's `EventAgeExceeded`: the event was older than the maximum age before an attempt. */
  eventAgeExceeded: 'event_age_exceeded',
} as const;

export interface AsyncSchedule {
  /** Waits before each retry, in ms; its length is the number of retries. */
  readonly retryDelaysMs: readonly number[];
  /** An event older than this when an attempt is due goes to the destination unprocessed. */
  readonly maxEventAgeMs: number;
}

/** What a function's asynchronous invocation is configured with (`ASYNC_INVOCATION` when deployed). */
export interface AsyncInvokeSettings {
  readonly retryAttempts: number;
  readonly maxEventAgeSeconds: number;
}

/** The deployed settings (or `settings`) on a clock scaled by `scale` (1 = Lambda's own minutes). */
export function asyncSchedule(
  scale = LOCAL_TIME_SCALE,
  settings: AsyncInvokeSettings = ASYNC_INVOCATION,
): AsyncSchedule {
  // Lambda allows 0–2 retry attempts: the delays are a prefix of its schedule
  return {
    retryDelaysMs: LAMBDA_RETRY_DELAYS_SECONDS.slice(0, settings.retryAttempts).map((s) => scaledMs(s, scale)),
    maxEventAgeMs: scaledMs(settings.maxEventAgeSeconds, scale),
  };
}
