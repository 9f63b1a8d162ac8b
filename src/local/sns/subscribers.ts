/**
 * The local topic's delivery endpoints: console, JSONL file, HTTP webhook. Each
 * delivers one notification or throws a `DeliveryError` saying whether trying again
 * could help.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { RuntimeLog } from '../service.ts';
import type { SubscriptionConfig } from './config.ts';
import type { SnsNotification } from './notification.ts';

export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export interface Endpoint {
  deliver(notification: SnsNotification, subscriptionArn: string, signal: AbortSignal): Promise<void>;
}

export function endpointFor(sub: SubscriptionConfig, log: RuntimeLog): Endpoint {
  switch (sub.protocol) {
    case 'console':
      return new ConsoleEndpoint(log);
    case 'file':
      return new JsonlFileEndpoint(sub.endpoint as string);
    case 'http':
    case 'https':
      return new HttpEndpoint(sub.endpoint as string);
  }
}

/** One line per notification: the subject, else the message. */
class ConsoleEndpoint implements Endpoint {
  constructor(private readonly log: RuntimeLog) {}

  async deliver(n: SnsNotification): Promise<void> {
    (this.log.alert ?? this.log.info)(`alert: ${n.Subject ?? n.Message}`);
  }
}

/** Appends the notification JSON as one line; appends are chained so lines never interleave. */
class JsonlFileEndpoint implements Endpoint {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly path: string) {}

  deliver(n: SnsNotification): Promise<void> {
    const line = `${JSON.stringify(n)}\n`;
    const next = this.tail.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, line);
    });
    this.tail = next.catch(() => undefined);
    return next.catch((err: Error) => {
      throw new DeliveryError(`could not append to ${this.path}: ${err.message}`, true, { cause: err });
    });
  }
}

/** POSTs the notification as SNS does: JSON in a text/plain body, the x-amz-sns-* headers. */
class HttpEndpoint implements Endpoint {
  constructor(private readonly url: string) {}

  async deliver(n: SnsNotification, subscriptionArn: string, signal: AbortSignal): Promise<void> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'text/plain; charset=UTF-8',
          'x-amz-sns-message-type': n.Type,
          'x-amz-sns-message-id': n.MessageId,
          'x-amz-sns-topic-arn': n.TopicArn,
          'x-amz-sns-subscription-arn': subscriptionArn,
          'user-agent': 'dubegrid-local-sns',
        },
        body: JSON.stringify(n),
        signal,
      });
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      throw new DeliveryError(`POST ${this.url} failed: ${(err as Error).message}`, true, { cause: err });
    }
    if (res.status >= 200 && res.status < 300) return;
    // Server errors, timeouts and throttling may pass; other client errors will not.
    const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
    throw new DeliveryError(`POST ${this.url} answered ${res.status}`, retryable);
  }
}
