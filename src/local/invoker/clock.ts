/**
 * The embedded stack's clock for Lambda's asynchronous-invocation schedule. On AWS a
 * failed invocation is retried after about a minute, then two; locally the same
 * schedule runs faster by LOCAL_TIME_SCALE, named here and nowhere else, so a retry
 * the deployed function makes after one minute is made after one second locally.
 */

/** Local seconds per Lambda second. */
export const LOCAL_TIME_SCALE = 1 / 60;

/** What the invoker needs of time: injected so tests run on a virtual clock. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** A Lambda duration in seconds, as local milliseconds on the scaled clock. */
export function scaledMs(lambdaSeconds: number, scale = LOCAL_TIME_SCALE): number {
  return Math.round(lambdaSeconds * 1_000 * scale);
}
