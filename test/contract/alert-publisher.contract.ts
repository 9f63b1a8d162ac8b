/**
 * The alert publisher contract: what the anomaly consumer and the outbox sweeper may
 * count on from `AlertPublisher`, and what a subscriber then receives. One suite, run
 * against every implementation (`alert-publisher.unit.spec.ts`): the embedded
 * stack's local topic and the SNS publisher over an SNS-shaped client.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PublishError, type AlertMessage, type AlertPublisher } from '../../src/consumers/anomaly/publisher.ts';

/** What one subscriber got: the SNS notification document's fields the contract compares. */
export interface Received {
  readonly MessageId: string;
  readonly Subject?: string | undefined;
  readonly Message: string;
  readonly MessageAttributes: Record<string, { Type: string; Value: string }>;
}

export interface PublisherUnderTest {
  readonly publisher: AlertPublisher;
  /** What a subscriber with no filter policy received, once deliveries are done. */
  received(): Promise<Received[]>;
  close(): Promise<void>;
}

const ALERT: AlertMessage = {
  subject: '[critical] overvoltage opened on SS-001/F2 voltage_l1',
  body: JSON.stringify({ incident_id: 'abc', severity: 'critical' }),
  attributes: { severity: 'critical', rule: 'overvoltage', kind: 'open', value: 262.4 },
};

export function publisherContract(name: string, make: () => Promise<PublisherUnderTest>): void {
  describe(`alert publisher contract: ${name}`, () => {
    let impl: PublisherUnderTest;
    beforeEach(async () => {
      impl = await make();
    });
    afterEach(async () => {
      await impl.close();
    });

    it('accepts a message, answers its id, and delivers subject, body and typed attributes', async () => {
      const { messageId } = await impl.publisher.publish(ALERT);
      expect(messageId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await impl.received()).toEqual([
        {
          MessageId: messageId,
          Subject: ALERT.subject,
          Message: ALERT.body,
          MessageAttributes: {
            severity: { Type: 'String', Value: 'critical' },
            rule: { Type: 'String', Value: 'overvoltage' },
            kind: { Type: 'String', Value: 'open' },
            value: { Type: 'Number', Value: '262.4' },
          },
        },
      ]);
    });

    it('gives each message its own id', async () => {
      const a = await impl.publisher.publish(ALERT);
      const b = await impl.publisher.publish(ALERT);
      expect(a.messageId).not.toBe(b.messageId);
      expect(await impl.received()).toHaveLength(2);
    });

    it('makes a subject SNS takes of a long or non-ASCII one, rather than failing the alert', async () => {
      const subject = `[warning] voltage opened on ${'Ş'.repeat(3)}${'x'.repeat(120)}`;
      await impl.publisher.publish({ ...ALERT, subject });
      const [got] = await impl.received();
      expect(got?.Subject).toHaveLength(100);
      expect(got?.Subject).toMatch(/^\[warning\] voltage opened on \?\?\?x+\.\.\.$/);
    });

    it.each([
      ['an empty body', { ...ALERT, body: '' }],
      ['a body over 256 KiB', { ...ALERT, body: 'x'.repeat(256 * 1024 + 1) }],
      [
        'more than 10 attributes',
        { ...ALERT, attributes: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`a${i}`, 'v'])) },
      ],
      ['an empty attribute value', { ...ALERT, attributes: { severity: '' } }],
    ])('rejects %s with a PublishError and delivers nothing', async (_what, message) => {
      await expect(impl.publisher.publish(message)).rejects.toBeInstanceOf(PublishError);
      expect(await impl.received()).toEqual([]);
    });
  });
}
