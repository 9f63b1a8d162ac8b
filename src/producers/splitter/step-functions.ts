/**
 * The splitter's hand-off on AWS: StartExecution of the split continuation state machine
 * (docs/adr/0020-split-continuation-by-step-functions.md), named by `executionNameOf`, so
 * a duplicated hand-off is refused by Step Functions itself and the chain never forks.
 */
import { ExecutionAlreadyExists, StartExecutionCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { executionNameOf, type Continuation, type HandOff } from './continuation.ts';

export class HandOffError extends Error {
  override name = 'HandOffError';
}

/** The execution's input: what its first Invoke hands the splitter. */
export function executionInput(continuation: Continuation): string {
  return JSON.stringify({ done: false, continuation });
}

/** A hand-off that starts `stateMachineArn` with the continuation; a refused duplicate is success. */
export function stepFunctionsHandOff(sfn: Pick<SFNClient, 'send'>, stateMachineArn: string): HandOff {
  return async (continuation) => {
    try {
      await sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: executionNameOf(continuation.source, continuation.part),
          input: executionInput(continuation),
        }),
      );
    } catch (err) {
      if (err instanceof ExecutionAlreadyExists) return; // started already, by a duplicate of this hand-off
      throw new HandOffError(`StartExecution of ${stateMachineArn} failed: ${(err as Error).message}`, { cause: err });
    }
  };
}
