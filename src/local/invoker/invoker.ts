/**
 * The embedded stack's S3 trigger: what S3 event notifications with an asynchronous
 * Lambda invocation do on AWS, for every S3-invoked function (splitter, registry).
 * An event is invoked; a failed invocation is retried on Lambda's schedule (scaled,
 * `schedule.ts`); an event that exhausts its retries, or grows older than the maximum
 * event age before an attempt, goes to the on-failure destination (the local DLQ),
 * one entry per object, from where `dubegrid dlq redrive` hands it back.
 */
import type { S3Event } from 'aws-lambda';
import { normaliseEtag } from '../../shared/manifest.ts';
import { decodeS3EventKey } from '../../shared/s3-keys.ts';
import type { DlqEntry, NewDlqEntry } from '../dlq.ts';
import { realClock, type Clock } from './clock.ts';
import { asyncSchedule, FAILURE_CONDITION, type AsyncSchedule } from './schedule.ts';

/** What Lambda's context tells a handler of its time: the invoker's budget, counting down. */
export interface InvocationTime {
  getRemainingTimeInMillis(): number;
}

export type S3Handler<R, E = S3Event> = (event: E, context: InvocationTime) => Promise<R>;

/** The object an event is about, as the DLQ lists it. */
export interface EventObject {
  readonly bucket: string;
  readonly key: string;
  readonly etag?: string | undefined;
}

/** Where events that failed for good go (the local DLQ; an SQS queue on AWS). */
export interface OnFailureDestination {
  put(entry: NewDlqEntry): Promise<DlqEntry>;
}

export interface InvokerLog {
  warn(message: string): void;
  error(message: string): void;
}

export interface S3TriggerInvokerOptions<R, E = S3Event> {
  /** The function's name as the DLQ knows it: `splitter`, `registry`. */
  readonly source: string;
  readonly handler: S3Handler<R, E>;
  /**
   * The objects an event is about, for the DLQ. @default the S3 notification's records
   * (an event of another kind, a split's continuation, says which object it carries on)
   */
  readonly objectsOf?: ((event: E) => readonly EventObject[]) | undefined;
  /**
   * Milliseconds each invocation is given, as a Lambda function's timeout gives it:
   * `getRemainingTimeInMillis()` counts down from it. Nothing stops a handler that
   * overruns; a handler that reads it stops in time. @default no limit
   */
  readonly budgetMs?: number | undefined;
  readonly destination: OnFailureDestination;
  /** @default asyncSchedule(): the deployed settings on the local clock */
  readonly schedule?: AsyncSchedule | undefined;
  /** Events invoked at the same time; 1 keeps arrival order (a retry holds its place). @default 1 */
  readonly concurrency?: number;
  readonly clock?: Clock;
  readonly log?: InvokerLog;
  /** Called with what a successful invocation returned. */
  readonly onSuccess?: (event: E, result: R) => void;
}

export interface InvokerFigures {
  invocations: number;
  retries: number;
  succeeded: number;
  /** Objects listed on the on-failure destination. */
  failed: number;
}

export class S3TriggerInvoker<R = unknown, E = S3Event> {
  readonly figures: InvokerFigures = { invocations: 0, retries: 0, succeeded: 0, failed: 0 };
  lastError: string | undefined;
  private readonly queue: { event: E; receivedAt: number }[] = [];
  private readonly running = new Set<Promise<void>>();
  private idleWaiters: (() => void)[] = [];
  private holds = 0;
  private stopped = false;
  private readonly schedule: AsyncSchedule;
  private readonly concurrency: number;
  private readonly clock: Clock;

  constructor(private readonly o: S3TriggerInvokerOptions<R, E>) {
    this.schedule = o.schedule ?? asyncSchedule();
    this.concurrency = Math.max(1, o.concurrency ?? 1);
    this.clock = o.clock ?? realClock;
  }

  /** Queues an asynchronous invocation, as S3 does: the caller does not wait for it. */
  invoke(event: E): void {
    if (this.stopped) return;
    this.queue.push({ event, receivedAt: this.clock.now() });
    this.next();
  }

  get inFlight(): number {
    return this.running.size;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Keeps `idle()` waiting while the caller is still finding events to invoke (a start-up scan). */
  async holdWhile(work: Promise<unknown>): Promise<void> {
    this.holds++;
    try {
      await work;
    } finally {
      this.holds--;
      this.checkIdle();
    }
  }

  /** Resolves when nothing is queued, being invoked or waiting for a retry. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Drops what is queued and waits for invocations under way; a retry not yet made is not made. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.queue.length = 0;
    await Promise.all([...this.running]);
    this.checkIdle();
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.running.size === 0 && this.holds === 0;
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private next(): void {
    while (!this.stopped && this.running.size < this.concurrency && this.queue.length > 0) {
      const item = this.queue.shift() as { event: E; receivedAt: number };
      const run = this.attempt(item.event, item.receivedAt).finally(() => {
        this.running.delete(run);
        this.next();
        this.checkIdle();
      });
      this.running.add(run);
    }
  }

  private async attempt(event: E, receivedAt: number): Promise<void> {
    const delays = this.schedule.retryDelaysMs;
    let lastError: Error | undefined;
    for (let attempt = 0; attempt <= delays.length; attempt++) {
      if (attempt > 0) {
        await this.clock.sleep(delays[attempt - 1] ?? 0);
        if (this.stopped) return; // the next start finds the object again (its owner reconciles)
        this.figures.retries++;
      }
      if (this.clock.now() - receivedAt > this.schedule.maxEventAgeMs) {
        const error =
          lastError ??
          new Error(`the event was older than ${this.schedule.maxEventAgeMs} ms before it could be invoked`);
        return this.toDestination(event, error, FAILURE_CONDITION.eventAgeExceeded, attempt);
      }
      this.figures.invocations++;
      try {
        const result = await this.o.handler(event, this.context());
        this.figures.succeeded++;
        this.o.onSuccess?.(event, result);
        return;
      } catch (err) {
        lastError = err as Error;
        this.o.log?.warn(
          `${this.o.source}: invocation ${attempt + 1} of ${delays.length + 1} failed: ${lastError.message}`,
        );
      }
    }
    await this.toDestination(event, lastError as Error, FAILURE_CONDITION.retriesExhausted, delays.length + 1);
  }

  /** A fresh budget for one invocation. */
  private context(): InvocationTime {
    const deadline = this.clock.now() + (this.o.budgetMs ?? Infinity);
    return { getRemainingTimeInMillis: () => Math.max(0, deadline - this.clock.now()) };
  }

  private async toDestination(event: E, error: Error, condition: string, attempts: number): Promise<void> {
    const message = oneLine(error);
    this.lastError = message;
    const objects = this.o.objectsOf?.(event) ?? s3Objects(event as S3Event);
    for (const o of objects) {
      this.figures.failed++;
      const etag = normaliseEtag(o.etag);
      await this.o.destination.put({
        source: this.o.source,
        error: message,
        condition,
        attempts,
        payload: { kind: 's3', bucket: o.bucket, key: o.key, ...(etag ? { etag } : {}) },
      });
    }
    this.o.log?.error(
      `${this.o.source}: gave up after ${attempts} attempt(s) (${condition}); listed on the DLQ: ${message}`,
    );
  }
}

function s3Objects(event: S3Event): EventObject[] {
  return event.Records.map((r) => ({
    bucket: r.s3.bucket.name,
    key: decodeS3EventKey(r.s3.object.key),
    etag: r.s3.object.eTag,
  }));
}

function oneLine(error: Error): string {
  return (error.message.split('\n')[0] ?? 'unknown error').slice(0, 1000);
}
