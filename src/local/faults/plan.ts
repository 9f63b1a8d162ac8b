/**
 * What the fault proxy (`proxy.ts`) does to each request, decided by a pure function so
 * the choice is unit-tested apart from the sockets. `DUBEGRID_FAULTS` turns the proxy on
 * for an embedded stack (`up`, `start` or any command's own stack): every SDK client of
 * that stack then reaches the emulators through it, so the whole pipeline runs under
 * throttling, 5xx, timeouts and dropped connections the way it would on a bad day on AWS.
 *
 * `DUBEGRID_FAULTS=0.05` faults 5 % of requests, the kinds drawn evenly;
 * `DUBEGRID_FAULTS=0.2:throttle,reset` only those kinds. `0` runs the proxy without
 * faults (the baseline of a throughput comparison).
 */

/** Environment variable that puts the proxy in front of the emulators. */
export const FAULTS_ENV = 'DUBEGRID_FAULTS';

/**
 * - `throttle`: the service's own "slow down" answer (not applied upstream);
 * - `error`: a 500 of the service's shape (not applied upstream);
 * - `timeout`: no answer; the connection is dropped after `hangMs` (not applied upstream);
 * - `reset`: the request IS applied upstream, then the connection is reset before the
 *   answer arrives: the client cannot know it succeeded, the case that makes duplicates.
 */
export const FAULT_KINDS = ['throttle', 'error', 'timeout', 'reset'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultPlan {
  /** Share of requests faulted, 0..1. */
  readonly rate: number;
  /** Kinds drawn from, evenly. */
  readonly kinds: readonly FaultKind[];
  /** How long a `timeout` holds the connection before dropping it. */
  readonly hangMs: number;
}

/** Long enough to be a timeout to a client that waits, short enough not to dominate a run. */
export const DEFAULT_HANG_MS = 1_000;

export class FaultPlanError extends Error {
  override name = 'FaultPlanError';
}

/** The plan in `DUBEGRID_FAULTS`, or undefined when it is unset (no proxy). */
export function faultPlanFromEnv(env: NodeJS.ProcessEnv = process.env): FaultPlan | undefined {
  const text = env[FAULTS_ENV]?.trim();
  return text ? parseFaultPlan(text) : undefined;
}

export function parseFaultPlan(text: string): FaultPlan {
  const [rateText = '', kindsText] = text.split(':');
  const rate = Number(rateText);
  if (rateText.trim() === '' || !Number.isFinite(rate) || rate < 0 || rate > 1)
    throw new FaultPlanError(
      `${FAULTS_ENV}: the share of faulted requests is a number from 0 to 1, got ${JSON.stringify(rateText)}`,
    );
  const kinds = kindsText === undefined ? [...FAULT_KINDS] : kindsText.split(',').map((k) => k.trim());
  const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (unknown.length > 0 || kinds.length === 0)
    throw new FaultPlanError(
      `${FAULTS_ENV}: fault kinds are ${FAULT_KINDS.join(', ')}; got ${JSON.stringify(kindsText)}`,
    );
  return { rate, kinds: kinds as FaultKind[], hangMs: DEFAULT_HANG_MS };
}

/**
 * The fault for one request, or undefined to pass it through. Two draws: whether to
 * fault (below `rate`), then which kind (evenly), so the share does not depend on the mix.
 */
export function chooseFault(plan: FaultPlan, random: () => number = Math.random): FaultKind | undefined {
  if (plan.rate <= 0 || random() >= plan.rate) return undefined;
  const i = Math.min(plan.kinds.length - 1, Math.floor(random() * plan.kinds.length));
  return plan.kinds[i];
}

/** Which emulator a request is for: the JSON protocols name their service in `x-amz-target`. */
export type FaultProtocol = 'kinesis' | 'dynamodb' | 's3';

export interface FaultAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The answer each service gives for a `throttle` or an `error`, in its own wire shape,
 * so the SDK parses it into the exception a real throttle or fault would be.
 */
export function faultAnswer(
  protocol: FaultProtocol,
  kind: 'throttle' | 'error',
  random: () => number = Math.random,
): FaultAnswer {
  if (protocol === 's3') {
    const [status, code, message] =
      kind === 'throttle'
        ? [503, 'SlowDown', 'Please reduce your request rate.']
        : [500, 'InternalError', 'We encountered an internal error. Please try again.'];
    return {
      status,
      headers: { 'content-type': 'application/xml' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>fault-proxy</RequestId></Error>`,
    };
  }
  const json = (status: number, type: string, message: string): FaultAnswer => ({
    status,
    headers: { 'content-type': 'application/x-amz-json-1.1' },
    body: JSON.stringify({ __type: type, message }),
  });
  if (protocol === 'kinesis') {
    return kind === 'throttle'
      ? json(400, 'ProvisionedThroughputExceededException', 'Rate exceeded for shard (fault proxy).')
      : json(500, 'InternalFailure', 'Internal service failure (fault proxy).');
  }
  if (kind === 'error')
    return json(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'Internal server error (fault proxy).');
  // DynamoDB throttles a table's capacity and, on-demand, the account's request rate: both, evenly
  return random() < 0.5
    ? json(
        400,
        'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
        'The level of configured provisioned throughput for the table was exceeded (fault proxy).',
      )
    : json(
        400,
        'com.amazon.coral.availability#ThrottlingException',
        'Rate of requests exceeds the allowed throughput (fault proxy).',
      );
}
