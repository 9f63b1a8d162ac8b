/**
 * Redrive of an S3-invoked function's DLQ entry: the handler is invoked again, once,
 * with the notification S3 would send for the object. The entry is removed only when
 * that invocation succeeds; otherwise it is kept for another redrive once the cause
 * is fixed. Both functions' effects are idempotent, so a redrive may be repeated.
 */
import type { DlqEntry, LocalDlq, S3Failure } from '../dlq.ts';
import type { InvocationTime, S3Handler } from './invoker.ts';
import { objectCreatedEvent } from './s3-event.ts';

const UNBOUNDED: InvocationTime = { getRemainingTimeInMillis: () => Infinity };

export class S3RedriveError extends Error {
  override name = 'S3RedriveError';
}

export async function redriveS3Entry(
  entry: DlqEntry & { payload: S3Failure },
  handler: S3Handler<unknown>,
  dlq: Pick<LocalDlq, 'remove'>,
  region = '',
): Promise<void> {
  try {
    // no time budget: a redrive runs in the CLI's own process, which no timeout bounds
    await handler(objectCreatedEvent(entry.payload, 'dlq-redrive', region), UNBOUNDED);
  } catch (err) {
    throw new S3RedriveError(`redrive of ${entry.id} failed: ${(err as Error).message}; the entry is kept`, {
      cause: err,
    });
  }
  await dlq.remove(entry);
}
