/**
 * The embedded stack's SNS topic. `publish` behaves as SNS `Publish` does: it checks
 * the message, matches every subscription's filter policy against the message
 * attributes, accepts the message and returns its id; deliveries then run on their
 * own (HTTP ones retried with backoff), so a slow subscriber never slows publishers.
 */
import { randomUUID } from 'node:crypto';
import {
  PublishError,
  snsAttributes,
  snsSubject,
  type AlertMessage,
  type AlertPublisher,
} from '../../consumers/anomaly/publisher.ts';
import { backoffMs } from '../../shared/retry.ts';
import type { RuntimeLog } from '../service.ts';
import type { SubscriptionConfig } from './config.ts';
import { matchesFilterPolicy, type MessageAttributes } from './filter-policy.ts';
import { LOCAL_ALERTS_TOPIC_ARN, notificationOf, type SnsNotification } from './notification.ts';
import { DeliveryError, endpointFor, type Endpoint } from './subscribers.ts';

/** SNS's limits on one message. */
export const SNS_MESSAGE_LIMITS = { maxAttributes: 10, maxBodyBytes: 256 * 1024, maxSubjectChars: 100 } as const;

/** A message SNS would refuse: a PublishError, as the SNS publisher reports the same refusal. */
export class InvalidMessageError extends PublishError {
  override name = 'InvalidMessageError';
}

export interface SubscriptionStats {
  protocol: string;
  delivered: number;
  filtered_out: number;
  retries: number;
  failed: number;
  pending: number;
  last_error?: string;
}

export interface LocalTopicOptions {
  readonly topicArn?: string;
  /** The current subscriptions; asked on every publish so an edited file takes effect. */
  readonly subscriptions: () => Promise<readonly SubscriptionConfig[]>;
  readonly log: RuntimeLog;
  readonly now?: () => Date;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

interface Live {
  readonly config: SubscriptionConfig;
  readonly endpoint: Endpoint;
  readonly stats: SubscriptionStats;
}

export class LocalTopic implements AlertPublisher {
  readonly topicArn: string;
  private readonly live = new Map<string, Live>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private readonly listeners = new Set<(n: SnsNotification) => void>();
  private published = 0;

  constructor(private readonly options: LocalTopicOptions) {
    this.topicArn = options.topicArn ?? LOCAL_ALERTS_TOPIC_ARN;
  }

  async publish(message: AlertMessage): Promise<{ messageId: string }> {
    if (this.abort.signal.aborted) throw new InvalidMessageError('the local topic is closed');
    const attributes = snsAttributes(message.attributes);
    // the subject made SNS-safe as the SNS publisher does, so an alert fails on neither target for its subject
    const subject = snsSubject(message.subject);
    checkMessage({ ...message, subject }, attributes);
    const messageId = randomUUID();
    const notification = notificationOf({
      messageId,
      topicArn: this.topicArn,
      subject,
      message: message.body,
      attributes,
      now: (this.options.now ?? (() => new Date()))(),
    });
    // In-process listeners (the API's SSE stream) see every accepted message at once, unfiltered.
    for (const listener of this.listeners) {
      try {
        listener(notification);
      } catch (err) {
        this.options.log.warn(`sns: an in-process listener failed: ${(err as Error).message}`);
      }
    }
    for (const sub of await this.subscriptions()) {
      if (!matchesFilterPolicy(sub.config.filterPolicy, attributes)) {
        sub.stats.filtered_out++;
        continue;
      }
      this.track(this.deliver(sub, notification));
    }
    this.published++;
    return { messageId };
  }

  /** Calls `listener` with every message published from now on; returns the unsubscribe. */
  onPublish(listener: (n: SnsNotification) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every delivery started so far has succeeded or given up. */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Lets deliveries under way finish for up to `graceMs`, then stops retrying and aborts the rest. */
  async close(graceMs = 3_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.abort.abort();
    await this.flush();
  }

  status(): Record<string, unknown> {
    return {
      topic_arn: this.topicArn,
      published: this.published,
      subscriptions: Object.fromEntries([...this.live.entries()].map(([name, l]) => [name, { ...l.stats }])),
    };
  }

  private async subscriptions(): Promise<Live[]> {
    const configs = await this.options.subscriptions();
    const out: Live[] = [];
    for (const config of configs) {
      let l = this.live.get(config.name);
      if (!l || l.config !== config) {
        l = { config, endpoint: endpointFor(config, this.options.log), stats: l?.stats ?? emptyStats(config.protocol) };
        this.live.set(config.name, l);
      }
      out.push(l);
    }
    return out;
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async deliver(sub: Live, n: SnsNotification): Promise<void> {
    const { retry } = sub.config;
    const subscriptionArn = `${this.topicArn}:${sub.config.name}`;
    sub.stats.pending++;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await withTimeout(retry.timeoutMs, this.abort.signal, (signal) =>
            sub.endpoint.deliver(n, subscriptionArn, signal),
          );
          sub.stats.delivered++;
          return;
        } catch (err) {
          const e =
            err instanceof DeliveryError ? err : new DeliveryError((err as Error).message, true, { cause: err });
          sub.stats.last_error = e.message;
          if (!e.retryable || attempt >= retry.attempts || this.abort.signal.aborted) {
            sub.stats.failed++;
            this.options.log.warn(
              `sns: delivery of ${n.MessageId} to ${sub.config.name} failed after ${attempt} attempt(s): ${e.message}`,
            );
            return;
          }
          sub.stats.retries++;
          await (this.options.sleep ?? sleep)(
            backoffMs({ firstMs: retry.baseDelayMs, maxMs: retry.maxDelayMs }, attempt),
            this.abort.signal,
          ).catch(() => undefined);
        }
      }
    } finally {
      sub.stats.pending--;
    }
  }
}

function emptyStats(protocol: string): SubscriptionStats {
  return { protocol, delivered: 0, filtered_out: 0, retries: 0, failed: 0, pending: 0 };
}

function checkMessage(message: AlertMessage, attributes: MessageAttributes): void {
  if (message.body === '') throw new InvalidMessageError('an SNS message needs a non-empty body');
  if (Buffer.byteLength(message.body) > SNS_MESSAGE_LIMITS.maxBodyBytes)
    throw new InvalidMessageError('the message body exceeds 256 KiB');
  if (message.subject.length > SNS_MESSAGE_LIMITS.maxSubjectChars || /[^\x20-\x7e]/.test(message.subject)) {
    throw new InvalidMessageError('a subject is at most 100 printable ASCII characters');
  }
  const names = Object.keys(attributes);
  if (names.length > SNS_MESSAGE_LIMITS.maxAttributes)
    throw new InvalidMessageError(
      `at most ${SNS_MESSAGE_LIMITS.maxAttributes} message attributes, got ${names.length}`,
    );
  for (const [name, a] of Object.entries(attributes)) {
    if (a.StringValue === undefined || a.StringValue === '')
      throw new InvalidMessageError(`message attribute ${name} has an empty value`);
  }
}

async function withTimeout<T>(ms: number, parent: AbortSignal, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const signal = AbortSignal.any([parent, AbortSignal.timeout(ms)]);
  return fn(signal);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
