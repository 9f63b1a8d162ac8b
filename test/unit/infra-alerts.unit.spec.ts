import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/project.ts';
import { AlertsTopic, SEVERITY_ATTRIBUTE, type AlertsTopicProps } from '../../infra/constructs/alerts.ts';
import { DataKey } from '../../infra/constructs/encryption.ts';
import { alertMessageOf, type NotificationRecord } from '../../src/consumers/anomaly/alerts.ts';
import { TOPICS } from '../../src/shared/resources.ts';

function synth(props: Omit<AlertsTopicProps, 'key'> = {}): Template {
  const stack = new Stack(new App({ context: cdkJsonContext(), builtinCloudFormationValidation: false }), 'Test');
  const { key } = new DataKey(stack, 'Key');
  new AlertsTopic(stack, 'Alerts', { key, ...props });
  return Template.fromStack(stack);
}

describe('AlertsTopic', () => {
  it('is the shared alerts topic, encrypted with the data key', () => {
    const template = synth();
    template.hasResourceProperties('AWS::SNS::Topic', {
      TopicName: TOPICS.alerts.topicName,
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('refuses publishing without TLS', () => {
    synth().hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('subscribes an email address filtered to critical alerts by default', () => {
    synth({ email: 'oncall@example.com' }).hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      FilterPolicy: { severity: ['critical'] },
    });
  });

  it('takes other severities, and rejects ones the anomaly rules never send', () => {
    synth({ email: 'ops@example.com', severities: ['warning', 'critical'] }).hasResourceProperties(
      'AWS::SNS::Subscription',
      {
        FilterPolicy: { severity: ['warning', 'critical'] },
      },
    );
    expect(() => synth({ email: 'ops@example.com', severities: ['urgent'] })).toThrow(
      /severities must be among warning, critical, got urgent/,
    );
  });

  it('filters on the attribute the anomaly consumer actually sets on every notification', () => {
    const n: NotificationRecord = {
      notification_id: 'n1',
      alert_id: 'a1',
      kind: 'open',
      ts: '2025-08-14T15:00:00.000Z',
      asset_id: 'LV123:05',
      substation_id: 'LV123',
      rule: 'voltage_out_of_range',
      measurement: 'l1_voltage',
      severity: 'critical',
      opened_at: '2025-08-14T15:00:00.000Z',
      value: 260,
      threshold: 253,
      unit: 'V',
      detail: 'above the statutory band',
    };
    expect(alertMessageOf(n).attributes[SEVERITY_ATTRIBUTE]).toBe('critical');
  });
});
