/**
 * The stale_feed watchdog's Lambda handler (EventBridge, `SCHEDULES.watchdog`): the
 * evaluation the anomaly consumer also runs after each batch, here on a clock, so that
 * a shard gone idle leaves the low watermark while the stream is quiet. The embedded
 * stack runs `watchdogTick` on the same schedule inside its anomaly service.
 */
import { createClients } from '../../shared/clients.ts';
import { ENV } from '../../shared/functions.ts';
import { readSettings, requireSetting } from '../../shared/settings.ts';
import { lambdaTelemetry, METRIC } from '../../shared/telemetry.ts';
import { S3AlertArchive } from './archive.ts';
import { SnsPublisher } from './publisher.ts';
import { rulesConfigFromText } from './rules/config.ts';
import { AlertStore } from './store/alert-store.ts';
import { FeedStore } from './store/feed-store.ts';
import { watchdogTick } from './watchdog.ts';

const telemetry = lambdaTelemetry('watchdog');
let tick: (() => ReturnType<typeof watchdogTick>) | undefined;

export const handler = telemetry.instrument(
  async (): Promise<{ low_watermark: string | null; opened: number; published: number }> => {
    if (!tick) {
      const settings = readSettings();
      const topicArn = requireSetting(settings, 'alertsTopicArn', 'the watchdog publishes stale_feed alerts to it');
      const clients = createClients({ target: 'aws' });
      const deps = {
        feeds: new FeedStore(clients.doc),
        alerts: new AlertStore(clients.doc),
        config: rulesConfigFromText(settings.anomalyRules, ENV.anomalyRules),
        now: Date.now,
        publisher: new SnsPublisher(clients.sns, topicArn),
        archive: new S3AlertArchive(clients.s3, settings.bucket ?? clients.names.bucket),
      };
      tick = () => watchdogTick(deps);
    }
    const r = await tick();
    telemetry.metrics.add(METRIC.notificationsStored, r.stored.length);
    telemetry.metrics.add(METRIC.notificationsPublished, r.publish.published);
    telemetry.metrics.add(METRIC.publishFailures, r.publish.failed);
    return {
      low_watermark: r.low_watermark === undefined ? null : new Date(r.low_watermark).toISOString(),
      opened: r.opened,
      published: r.publish.published,
    };
  },
);
