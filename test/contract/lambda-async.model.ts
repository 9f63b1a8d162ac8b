/**
 * Lambda's asynchronous invocation, written from the Lambda developer guide as an
 * executable specification (no code of src/local/ is used), in Lambda's own time:
 * - a function error is retried up to the configured retry attempts (0–2), "with a
 *   one-minute wait between the first two attempts, and two minutes between the second
 *   and third attempts";
 * - an event older than the maximum event age is not invoked again: it goes to the
 *   on-failure destination with condition `EventAgeExceeded`;
 * - after the last retry it goes there with condition `RetriesExhausted`, carrying
 *   the invoke count and the request payload;
 * - redrive hands the request payload to the function again.
 */
import type { S3Event } from 'aws-lambda';
import type { AsyncInvokeSettings } from '../../src/local/invoker/schedule.ts';
import type { VirtualClock } from './virtual-clock.ts';

const MINUTE_MS = 60_000;
const RETRY_WAITS_MS = [1 * MINUTE_MS, 2 * MINUTE_MS];

export interface OnFailureRecord {
  readonly condition: 'RetriesExhausted' | 'EventAgeExceeded';
  readonly approximateInvokeCount: number;
  readonly requestPayload: S3Event;
  readonly errorMessage: string;
}

export class LambdaAsyncModel {
  readonly destination: OnFailureRecord[] = [];

  constructor(
    private readonly settings: AsyncInvokeSettings,
    private readonly fn: (event: S3Event) => Promise<unknown>,
    private readonly clock: VirtualClock,
  ) {}

  invoke(event: S3Event): void {
    void this.run(event, this.clock.now());
  }

  private async run(event: S3Event, queuedAt: number): Promise<void> {
    let count = 0;
    let errorMessage = '';
    for (;;) {
      if (this.clock.now() - queuedAt > this.settings.maxEventAgeSeconds * 1_000) {
        this.destination.push({
          condition: 'EventAgeExceeded',
          approximateInvokeCount: count,
          requestPayload: event,
          errorMessage,
        });
        return;
      }
      count++;
      try {
        await this.fn(event);
        return;
      } catch (err) {
        errorMessage = (err as Error).message;
      }
      if (count > this.settings.retryAttempts) {
        this.destination.push({
          condition: 'RetriesExhausted',
          approximateInvokeCount: count,
          requestPayload: event,
          errorMessage,
        });
        return;
      }
      await this.clock.sleep(RETRY_WAITS_MS[count - 1] ?? 2 * MINUTE_MS);
    }
  }

  /** Redrive: the stored request payload is invoked again; the record goes only if it succeeds. */
  async redrive(index: number): Promise<void> {
    const record = this.destination[index];
    if (!record) throw new Error(`no destination record ${index}`);
    await this.fn(record.requestPayload);
    this.destination.splice(index, 1);
  }
}
