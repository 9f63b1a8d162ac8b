/**
 * The AWS hand-off (src/producers/splitter/step-functions.ts): one StartExecution named
 * by object version and part, so a duplicated hand-off is refused by Step Functions and
 * counts as done; any other refusal fails the part with the machine named. The service's
 * refusals cannot be produced without AWS, so the client is a recording stand-in.
 */
import type { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ExecutionAlreadyExists } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { executionNameOf, type Continuation } from '../../src/producers/splitter/continuation.ts';
import { HandOffError, stepFunctionsHandOff } from '../../src/producers/splitter/step-functions.ts';

const ARN = 'arn:aws:states:eu-west-2:111111111111:stateMachine:dubegrid-split';
const continuation = {
  v: 1,
  source: {
    bucket: 'b',
    key: 'raw/prod/lv/y=2025/m=08/a.csv',
    etag: 'e1',
    sequencer: 's1',
    size_bytes: 10,
    gzip: false,
  },
  part: 2,
} as unknown as Continuation;

function client(answer: () => unknown) {
  const sent: StartExecutionCommand[] = [];
  return {
    sent,
    send: async (command: StartExecutionCommand) => {
      sent.push(command);
      return answer();
    },
  };
}

describe('stepFunctionsHandOff', () => {
  it('starts the machine once, named by the object version and the part, with the continuation as input', async () => {
    const sfn = client(() => ({ executionArn: 'x' }));
    await stepFunctionsHandOff(sfn as never, ARN)(continuation);
    expect(sfn.sent).toHaveLength(1);
    const input = sfn.sent[0]?.input;
    expect(input?.stateMachineArn).toBe(ARN);
    expect(input?.name).toBe(executionNameOf(continuation.source, 2));
    expect(JSON.parse(input?.input ?? '')).toEqual({ done: false, continuation });
  });

  it('a name started before (a duplicated hand-off) is success, not a fork', async () => {
    const sfn = client(() => {
      throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
    });
    await expect(stepFunctionsHandOff(sfn as never, ARN)(continuation)).resolves.toBeUndefined();
  });

  it('any other refusal fails the part, naming the machine and the reason', async () => {
    const sfn = client(() => {
      throw new Error('AccessDeniedException: not authorized');
    });
    const err = await stepFunctionsHandOff(sfn as never, ARN)(continuation).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandOffError);
    expect((err as Error).message).toBe(`StartExecution of ${ARN} failed: AccessDeniedException: not authorized`);
  });
});
