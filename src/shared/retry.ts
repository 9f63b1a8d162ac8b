/**
 * One retry policy for every caller that retries a request itself: capped exponential
 * backoff with full jitter (a uniform wait between 0 and the ceiling, so writers that
 * failed together do not retry together). What differs per caller is only its named
 * settings in `BACKOFF`, and whether an error is worth a retry (`isThrottle`,
 * `isRetryableRequestError`).
 *
 * Emulated AWS schedules are not client retries and stay where they are specified:
 * the local event source mapping's retry waits (`shared/kinesis/batch-runner.ts`) and the
 * asynchronous-invocation schedule of the S3-triggered functions.
 */

export interface BackoffSettings {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** Ceiling of the wait after the first failed attempt; it doubles after each further one. */
  readonly firstMs: number;
  /** The ceiling never grows beyond this. */
  readonly maxMs: number;
}

/** Each caller's settings, by name: the one place to read or tune a retry schedule. */
export const BACKOFF = {
  /** State consumer: DynamoDB unprocessed items/keys and throttled requests. */
  stateWrites: { attempts: 8, firstMs: 50, maxMs: 2_000 },
  /** Splitter: PutRecords entries that failed retryably (throttled shards, 5xx). */
  kinesisPut: { attempts: 8, firstMs: 100, maxMs: 5_000 },
  /** Anomaly consumer and registry loader: DynamoDB batch calls' unprocessed keys/items. */
  dynamoBatch: { attempts: 8, firstMs: 25, maxMs: 1_000 },
  /** Ingest's wait: a manifest read while it is being (re)written can fail half-way (s3rver writes in place). */
  manifestRead: { attempts: 3, firstMs: 100, maxMs: 200 },
  /** Replay's wipe: unprocessed deletes of a table being emptied. */
  wipe: { attempts: 8, firstMs: 50, maxMs: 5_000 },
} as const satisfies Record<string, BackoffSettings>;

export type BackoffName = keyof typeof BACKOFF;

/**
 * The wait after the `failed`-th failed attempt (1-based): uniform in
 * [0, min(maxMs, firstMs · 2^(failed−1))), whole milliseconds.
 */
export function backoffMs(
  settings: Pick<BackoffSettings, 'firstMs' | 'maxMs'>,
  failed: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.maxMs, settings.firstMs * 2 ** Math.max(0, failed - 1));
  return Math.floor(random() * ceiling);
}

/** Waits `ms` (callers that must stop early inject their own). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** AWS errors that mean "slow down", not "this request is wrong". */
const THROTTLES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'KMSThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'SlowDown',
]);

/** The service failed, not the request: the same request may succeed later. */
const SERVER_ERRORS = new Set([
  'InternalFailure',
  'InternalFailureException',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** A throttled request: worth retrying after a wait. */
export function isThrottle(err: unknown): boolean {
  return THROTTLES.has((err as { name?: string } | null)?.name ?? '');
}

/**
 * A failed request worth sending again: throttled, marked retryable by the SDK, a
 * server fault, or no HTTP answer at all (the connection failed or timed out).
 */
export function isRetryableRequestError(err: unknown): boolean {
  const e = err as { name?: string; $fault?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  if (isThrottle(err) || SERVER_ERRORS.has(e.name ?? '') || e.$retryable) return true;
  if (e.$fault === 'server' || (e.$metadata?.httpStatusCode ?? 0) >= 500) return true;
  return e.$metadata?.httpStatusCode === undefined && e.$fault !== 'client';
}

export interface RetryHooks {
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * For batch calls that return what they could not do (DynamoDB's UnprocessedKeys /
 * UnprocessedItems): `call` is given what is pending and returns what is still
 * pending (undefined when done); it is called again after a backoff, at most
 * `settings.attempts` times in all. Then `giveUp(attempts)` is thrown.
 */
export async function untilDone<T>(
  settings: BackoffSettings,
  initial: T | undefined,
  call: (pending: T) => Promise<T | undefined>,
  giveUp: (attempts: number) => Error,
  hooks: RetryHooks = {},
): Promise<void> {
  let pending = initial;
  for (let attempt = 1; pending !== undefined; attempt++) {
    if (attempt > settings.attempts) throw giveUp(settings.attempts);
    if (attempt > 1) await (hooks.sleep ?? sleep)(backoffMs(settings, attempt - 1, hooks.random));
    pending = await call(pending);
  }
}
