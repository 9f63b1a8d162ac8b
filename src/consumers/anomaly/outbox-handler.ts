/**
 * The outbox sweeper's Lambda handler (scheduled every minute): publishes every
 * stored notification whose `published_at` is still unset (its alert-lake row, then
 * the topic). The embedded stack runs
 * `sweepOutbox` on the same schedule inside its anomaly service.
 */
import { createClients } from '../../shared/clients.ts';
import { readSettings, requireSetting } from '../../shared/settings.ts';
import { lambdaTelemetry, METRIC } from '../../shared/telemetry.ts';
import { S3AlertArchive } from './archive.ts';
import { sweepOutbox } from './outbox.ts';
import { SnsPublisher } from './publisher.ts';
import { AlertStore } from './store/alert-store.ts';

const telemetry = lambdaTelemetry('outbox');
let sweep: (() => ReturnType<typeof sweepOutbox>) | undefined;

export const handler = telemetry.instrument(
  async (): Promise<{ pending: number; published: number; failed: number }> => {
    if (!sweep) {
      const settings = readSettings();
      const topicArn = requireSetting(settings, 'alertsTopicArn', 'the outbox sweeper publishes alerts to it');
      const clients = createClients({ target: 'aws' });
      const alerts = new AlertStore(clients.doc);
      const publisher = new SnsPublisher(clients.sns, topicArn);
      const archive = new S3AlertArchive(clients.s3, settings.bucket ?? clients.names.bucket);
      sweep = () => sweepOutbox({ alerts, publisher, archive });
    }
    const { pending, published, failed, errors } = await sweep();
    telemetry.metrics.add(METRIC.notificationsPending, pending);
    telemetry.metrics.add(METRIC.notificationsPublished, published);
    telemetry.metrics.add(METRIC.publishFailures, failed);
    if (failed)
      telemetry.log.warn(`outbox: ${failed} of ${pending} notification(s) could not be published; first: ${errors[0]}`);
    return { pending, published, failed };
  },
);
