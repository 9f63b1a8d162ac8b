import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  Choice,
  Condition,
  DefinitionBody,
  JsonPath,
  StateMachine,
  StateMachineType,
  Succeed,
  TaskInput,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { ASYNC_INVOCATION } from '../../src/shared/functions.ts';
import { AWS_ONLY } from '../../src/shared/resources.ts';
import { acknowledge, acknowledgeResources } from '../nag.ts';

export interface SplitContinuationProps {
  /** The splitter: each state invokes it with the continuation of the part before. */
  readonly splitter: IFunction;
  /** Who starts executions: the splitter's role (the S3-invoked part 1 hands off). */
  readonly starter: IGrantable;
}

/** Lambda's own waits before its retries of an asynchronous invocation (`src/local/invoker/schedule.ts`). */
const FIRST_RETRY = Duration.minutes(1);

/**
 * The loop that carries a split longer than one invocation (ADR 0020): Invoke(splitter,
 * continuation) → Choice(done?) → Invoke again. A Standard workflow, so StartExecution
 * refuses a second execution of a name (`executionNameOf`): a duplicated hand-off cannot
 * fork the chain, and no Lambda recursion limit applies to a loop Step Functions drives.
 */
export class SplitContinuation extends Construct {
  readonly stateMachine: StateMachine;
  /** Known before the state machine exists: the splitter needs it, and the machine needs the splitter. */
  readonly stateMachineArn: string;

  constructor(scope: Construct, id: string, props: SplitContinuationProps) {
    super(scope, id);
    this.stateMachineArn = Stack.of(this).formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: AWS_ONLY.splitContinuationName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const part = new LambdaInvoke(this, 'SplitPart', {
      lambdaFunction: props.splitter,
      payload: TaskInput.fromObject({ continuation: JsonPath.objectAt('$.continuation') }),
      payloadResponseOnly: true,
      retryOnServiceExceptions: true,
    });
    // a part that fails is tried again as Lambda retries an asynchronous invocation; re-splitting is idempotent
    part.addRetry({
      errors: ['States.TaskFailed'],
      interval: FIRST_RETRY,
      backoffRate: 2,
      maxAttempts: ASYNC_INVOCATION.retryAttempts,
    });
    const done = new Choice(this, 'Done')
      .when(Condition.booleanEquals('$.done', true), new Succeed(this, 'Split'))
      .otherwise(part);
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineName: AWS_ONLY.splitContinuationName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(part.next(done)),
    });
    // Logging and X-Ray would need actions on `*` (logs:CreateLogDelivery…, xray:Put*), which no role here has.
    const why =
      'Step Functions keeps every execution’s full event history (90 days), each part logs to the splitter’s own log group, and a failed execution raises the split-continuation-failed alarm; CloudWatch Logs delivery and X-Ray would need IAM actions on every resource (*).';
    acknowledge(this.stateMachine, 'AwsSolutions-SF1', why);
    acknowledge(this.stateMachine, 'AwsSolutions-SF2', why);
    // by ARN, not by reference: the splitter's environment and policy would otherwise depend on the machine that invokes it
    Grant.addToPrincipal({
      grantee: props.starter,
      actions: ['states:StartExecution'],
      resourceArns: [this.stateMachineArn],
    });
    acknowledgeResources(
      this.stateMachine.role,
      [`${props.splitter.functionArn}:*`],
      'The state machine invokes the splitter function only; the Step Functions Lambda task grants its versions and aliases too.',
    );
  }
}
