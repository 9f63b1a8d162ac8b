/**
 * The local SNS topic as a service of the embedded runtime. Subscribers come from
 * `<data dir>/subscriptions.json`, re-read when the file changes, so a subscriber can
 * be added while the stack runs. Other services find the topic with
 * `ctx.service<SnsService>(SNS_SERVICE_NAME)?.topic`.
 */
import { stat } from 'node:fs/promises';
import type { Service, ServiceContext, ServiceFactory } from '../service.ts';
import { loadSubscriptions, type SubscriptionConfig } from './config.ts';
import { LocalTopic } from './topic.ts';

export const SNS_SERVICE_NAME = 'sns';

/** How often the subscriptions file's modification time is looked at, at most. */
const CONFIG_CHECK_MS = 1_000;

export interface SnsService extends Service {
  readonly topic: LocalTopic;
}

export const snsService: ServiceFactory = (ctx: ServiceContext): SnsService => {
  const file = ctx.paths.subscriptions;
  let current: readonly SubscriptionConfig[] | undefined;
  let loadedMtime = -1;
  let checkedAt = 0;
  let configError: string | undefined;

  const subscriptions = async (): Promise<readonly SubscriptionConfig[]> => {
    const now = Date.now();
    if (current && now - checkedAt < CONFIG_CHECK_MS) return current;
    checkedAt = now;
    const mtime = await stat(file).then(
      (s) => s.mtimeMs,
      () => 0,
    );
    if (current && mtime === loadedMtime) return current;
    try {
      current = await loadSubscriptions(file, ctx.dataDir);
      loadedMtime = mtime;
      configError = undefined;
    } catch (err) {
      // Keep delivering to the last good set rather than to nobody.
      configError = (err as Error).message;
      ctx.log.error(`sns: ${configError}; keeping the previous subscriptions`);
      current ??= [];
      loadedMtime = mtime;
    }
    return current;
  };

  const topic = new LocalTopic({ subscriptions, log: ctx.log });
  return {
    name: SNS_SERVICE_NAME,
    topic,
    async start() {
      // Load once up front so a broken file is reported when the stack starts.
      const subs = await subscriptions();
      ctx.log.info(
        `sns: topic ${topic.topicArn} with ${subs.length} subscriber(s): ${subs.map((s) => `${s.name} (${s.protocol})`).join(', ') || 'none'}`,
      );
    },
    stop: () => topic.close(),
    flush: () => topic.flush(),
    async status() {
      return { ...topic.status(), ...(configError ? { config_error: configError } : {}) };
    },
  };
};
