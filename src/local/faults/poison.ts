/**
 * `DUBEGRID_POISON=<consumer>:<event_id>` makes that consumer of the embedded stack throw
 * on every batch holding that reading (the consumer kit's `poisonAt` hook), to watch the
 * event source mapping's retries, bisection and DLQ on the real pipeline, and `dlq redrive`
 * apply it once the variable is gone (the "fix"). Read when a local consumer's handler is
 * built; the Lambda entries never read it.
 */
import { poisonAt, type FaultHook } from '../../consumers/kit/fault.ts';
import { CONSUMERS } from '../../shared/consumers.ts';
import { FaultPlanError } from './plan.ts';

export const POISON_ENV = 'DUBEGRID_POISON';

export function poisonFromEnv(env: NodeJS.ProcessEnv, log: { warn(message: string): void }): FaultHook | undefined {
  const text = env[POISON_ENV]?.trim();
  if (!text) return undefined;
  const m = /^([a-z][\w-]*):([0-9a-f]{32})$/.exec(text);
  const names: string[] = Object.values(CONSUMERS).map((c) => c.name);
  if (!m || !names.includes(m[1] as string))
    throw new FaultPlanError(
      `${POISON_ENV} is <consumer>:<event_id> with a consumer among ${names.join(', ')} and a 32-hex event id, got ${JSON.stringify(text)}`,
    );
  return poisonAt(m[1] as string, m[2] as string, (message) => log.warn(message));
}
