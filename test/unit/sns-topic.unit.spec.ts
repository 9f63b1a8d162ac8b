import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertMessageOf } from '../../src/consumers/anomaly/alerts.ts';
import {
  DEFAULT_SUBSCRIPTIONS,
  loadSubscriptions,
  parseSubscriptions,
  SubscriptionConfigError,
} from '../../src/local/sns/config.ts';
import type { SnsNotification } from '../../src/local/sns/notification.ts';
import { InvalidMessageError, LocalTopic } from '../../src/local/sns/topic.ts';
import { silentLog } from '../../src/local/service.ts';

interface Hit {
  headers: IncomingMessage['headers'];
  body: SnsNotification;
}

const message = alertMessageOf({
  notification_id: 'n1',
  alert_id: 'a1',
  kind: 'open',
  ts: '2025-08-14T15:00:00.000Z',
  asset_id: 'LV100001:02',
  substation_id: 'LV100001',
  rule: 'loss_of_supply',
  measurement: 'l1_voltage',
  severity: 'critical',
  opened_at: '2025-08-14T15:00:00.000Z',
  value: 0,
  threshold: 10,
  unit: 'V',
  detail: 'l1_voltage reads 0 V: no supply',
});

describe('local SNS topic', () => {
  let server: Server;
  let url: string;
  let dir: string;
  const hits: Hit[] = [];
  let failNext = 0;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dubegrid-sns-'));
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        if (failNext > 0) {
          failNext--;
          res.writeHead(503).end();
          return;
        }
        hits.push({ headers: req.headers, body: JSON.parse(text) as SnsNotification });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  const topicWith = (doc: unknown) => {
    const subs = parseSubscriptions(doc, dir);
    return new LocalTopic({ subscriptions: async () => subs, log: silentLog, sleep: async () => undefined });
  };

  it('POSTs the SNS notification JSON to a matching webhook with the message attributes, and nothing to a filtered-out one', async () => {
    hits.length = 0;
    const topic = topicWith({
      subscriptions: [
        {
          name: 'critical',
          protocol: 'http',
          endpoint: `${url}?who=critical`,
          filter_policy: { severity: ['critical'], rule: [{ prefix: 'loss' }] },
        },
        {
          name: 'warnings',
          protocol: 'http',
          endpoint: `${url}?who=warnings`,
          filter_policy: { severity: [{ 'anything-but': ['critical'] }] },
        },
      ],
    });
    const { messageId } = await topic.publish(message);
    await topic.flush();
    expect(hits).toHaveLength(1);
    const [hit] = hits as [Hit];
    expect(hit.headers['x-amz-sns-message-type']).toBe('Notification');
    expect(hit.headers['x-amz-sns-topic-arn']).toBe(topic.topicArn);
    expect(hit.body).toMatchObject({ Type: 'Notification', MessageId: messageId, TopicArn: topic.topicArn });
    expect(hit.body.MessageAttributes).toMatchObject({
      severity: { Type: 'String', Value: 'critical' },
      rule: { Type: 'String', Value: 'loss_of_supply' },
      asset_id: { Type: 'String', Value: 'LV100001:02' },
      substation_id: { Type: 'String', Value: 'LV100001' },
      kind: { Type: 'String', Value: 'open' },
    });
    expect(JSON.parse(hit.body.Message)).toMatchObject({ notification_id: 'n1', rule: 'loss_of_supply' });
    expect(topic.status()).toMatchObject({
      subscriptions: { critical: { delivered: 1 }, warnings: { delivered: 0, filtered_out: 1 } },
    });
  });

  it('retries a failing webhook with backoff until it answers 2xx', async () => {
    hits.length = 0;
    failNext = 2;
    const topic = topicWith({
      subscriptions: [{ name: 'hook', protocol: 'http', endpoint: url, retry: { attempts: 4 } }],
    });
    await topic.publish(message);
    await topic.flush();
    expect(hits).toHaveLength(1);
    expect(topic.status()).toMatchObject({ subscriptions: { hook: { delivered: 1, retries: 2, failed: 0 } } });
  });

  it('gives up after the attempts and counts the failure', async () => {
    hits.length = 0;
    failNext = 5;
    const topic = topicWith({
      subscriptions: [{ name: 'hook', protocol: 'http', endpoint: url, retry: { attempts: 3 } }],
    });
    await topic.publish(message);
    await topic.flush();
    failNext = 0;
    expect(hits).toHaveLength(0);
    expect(topic.status()).toMatchObject({ subscriptions: { hook: { delivered: 0, retries: 2, failed: 1 } } });
  });

  it('appends one JSON line per notification to a file subscriber', async () => {
    const topic = topicWith({ subscriptions: [{ name: 'log', protocol: 'file', endpoint: 'alerts.jsonl' }] });
    await topic.publish(message);
    await topic.publish(message);
    await topic.flush();
    const lines = (await readFile(join(dir, 'alerts.jsonl'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ Type: 'Notification', Subject: message.subject });
  });

  it('refuses a message SNS would refuse', async () => {
    const topic = topicWith({ subscriptions: [] });
    // a non-ASCII subject is not refused: the topic makes it SNS-safe as the SNS publisher does (test/contract/)
    await expect(topic.publish({ ...message, attributes: { severity: '' } })).rejects.toBeInstanceOf(
      InvalidMessageError,
    );
    const many = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, 'x']));
    await expect(topic.publish({ ...message, attributes: many })).rejects.toThrow(/at most 10/);
  });
});

describe('subscriptions.json', () => {
  it('defaults to one console subscriber without the file', async () => {
    expect(await loadSubscriptions(join(tmpdir(), 'no-such-dubegrid-file.json'), tmpdir())).toBe(DEFAULT_SUBSCRIPTIONS);
  });

  it('resolves file endpoints against the data dir and validates the rest', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dubegrid-subs-'));
    try {
      await writeFile(
        join(dir, 'subscriptions.json'),
        JSON.stringify({ subscriptions: [{ protocol: 'file', endpoint: 'out/a.jsonl' }] }),
      );
      const [sub] = await loadSubscriptions(join(dir, 'subscriptions.json'), dir);
      expect(sub).toMatchObject({ name: 'file-1', protocol: 'file', endpoint: join(dir, 'out/a.jsonl') });
      await writeFile(join(dir, 'subscriptions.json'), '{');
      await expect(loadSubscriptions(join(dir, 'subscriptions.json'), dir)).rejects.toThrow(/not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(() => parseSubscriptions({ subscriptions: [{ protocol: 'sms' }] }, '/')).toThrow(SubscriptionConfigError);
    expect(() => parseSubscriptions({ subscriptions: [{ protocol: 'http', endpoint: 'ftp://x' }] }, '/')).toThrow(
      /http:\/\/ URL/,
    );
    expect(() =>
      parseSubscriptions(
        { subscriptions: [{ protocol: 'http', endpoint: 'http://x', filter_policy: { a: 'b' } }] },
        '/',
      ),
    ).toThrow(/filter_policy\.a/);
    expect(() =>
      parseSubscriptions(
        {
          subscriptions: [
            { name: 'a', protocol: 'console' },
            { name: 'a', protocol: 'console' },
          ],
        },
        '/',
      ),
    ).toThrow(/declared twice/);
  });
});
