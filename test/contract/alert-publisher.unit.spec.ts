/**
 * The alert publisher contract run against the local topic (a JSONL file subscriber,
 * which writes the notification document) and the SNS publisher over the fake SNS.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SnsPublisher } from '../../src/consumers/anomaly/publisher.ts';
import { DEFAULT_HTTP_RETRY } from '../../src/local/sns/config.ts';
import type { SnsNotification } from '../../src/local/sns/notification.ts';
import { LocalTopic } from '../../src/local/sns/topic.ts';
import { silentLog } from '../../src/local/service.ts';
import { tempDir } from '../support/tmp.ts';
import { FakeSns } from './fake-sns.ts';
import { publisherContract, type Received } from './alert-publisher.contract.ts';

const fields = (n: SnsNotification | Received): Received => ({
  MessageId: n.MessageId,
  Subject: n.Subject,
  Message: n.Message,
  MessageAttributes: { ...n.MessageAttributes },
});

publisherContract('local topic', async () => {
  const { dir, cleanup } = await tempDir();
  const file = join(dir, 'alerts.jsonl');
  const topic = new LocalTopic({
    subscriptions: async () => [{ name: 'log', protocol: 'file', endpoint: file, retry: DEFAULT_HTTP_RETRY }],
    log: silentLog,
  });
  return {
    publisher: topic,
    received: async () => {
      await topic.flush();
      const text = await readFile(file, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => fields(JSON.parse(line) as SnsNotification));
    },
    close: async () => {
      await topic.close(0);
      await cleanup();
    },
  };
});

publisherContract('SNS publisher over an SNS-shaped client', async () => {
  const topicArn = 'arn:aws:sns:eu-west-2:123456789012:dubegrid-alerts';
  const sns = new FakeSns(topicArn);
  return {
    publisher: new SnsPublisher(sns.client, topicArn),
    received: async () => sns.delivered.map(fields),
    close: async () => undefined,
  };
});
