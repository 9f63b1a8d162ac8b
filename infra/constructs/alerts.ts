import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SubscriptionFilter, Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { SEVERITIES } from '../../src/consumers/anomaly/rules/types.ts';
import { TOPICS } from '../../src/shared/resources.ts';

/** The message attribute the anomaly consumer sets on every notification (`alertMessageOf`). */
export const SEVERITY_ATTRIBUTE = 'severity';

export interface AlertsTopicProps {
  readonly key: IKey;
  /** Subscribe this address by email. @default - no subscription */
  readonly email?: string | undefined;
  /** The severities the email subscription receives (a filter policy). @default ['critical'] */
  readonly severities?: readonly string[];
}

/** The alerts topic (`TOPICS.alerts`): encrypted, TLS-only publishing, an optional filtered email subscription. */
export class AlertsTopic extends Construct {
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: AlertsTopicProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      topicName: TOPICS.alerts.topicName,
      displayName: 'DubeGrid alerts',
      masterKey: props.key,
      enforceSSL: true,
    });
    if (props.email) {
      const severities = props.severities ?? ['critical'];
      const unknown = severities.filter((s) => !(SEVERITIES as readonly string[]).includes(s));
      if (unknown.length) {
        throw new Error(`AlertsTopic: severities must be among ${SEVERITIES.join(', ')}, got ${unknown.join(', ')}`);
      }
      this.topic.addSubscription(
        new EmailSubscription(props.email, {
          // e.g. severity = critical: an on-call inbox that only hears about what cannot wait.
          filterPolicy: { [SEVERITY_ATTRIBUTE]: SubscriptionFilter.stringFilter({ allowlist: [...severities] }) },
        }),
      );
    }
  }
}
