import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/project.ts';
import { ReadingsStream, type ReadingsStreamProps } from '../../infra/constructs/stream.ts';
import { STREAM } from '../../src/shared/resources.ts';

function synth(props?: ReadingsStreamProps): Template {
  const stack = new Stack(new App({ context: cdkJsonContext(), builtinCloudFormationValidation: false }), 'Test');
  new ReadingsStream(stack, 'Stream', props);
  return Template.fromStack(stack);
}

describe('ReadingsStream', () => {
  it('is the shared stream: on-demand, 7-day retention, KMS with the AWS-managed key', () => {
    synth().hasResourceProperties('AWS::Kinesis::Stream', {
      Name: STREAM.streamName,
      StreamModeDetails: { StreamMode: 'ON_DEMAND' },
      ShardCount: Match.absent(),
      RetentionPeriodHours: STREAM.retentionHours,
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    expect(STREAM.retentionHours).toBe(168);
  });

  it('takes provisioned shards and a longer retention', () => {
    synth({ shards: 8, retentionHours: 720 }).hasResourceProperties('AWS::Kinesis::Stream', {
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      ShardCount: 8,
      RetentionPeriodHours: 720,
    });
  });

  it('rejects a shard count that is not a positive integer, saying what it got', () => {
    expect(() => synth({ shards: 0 })).toThrow(/shards must be a positive integer, got 0/);
  });
});
