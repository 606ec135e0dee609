/**
 * The schedule of one cluster's probe (EventBridge Scheduler, asynchronous invoke): no retries of a
 * stale probe, a short event age, failures to the queue.
 */
import type { Duration } from "aws-cdk-lib";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as targets from "aws-cdk-lib/aws-scheduler-targets";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface ProbeScheduleProps {
  readonly cluster: string;
  readonly function: lambda.IFunction;
  /** 1 minute is EventBridge Scheduler's minimum. */
  readonly rate: Duration;
  readonly failureQueue: sqs.IQueue;
}

export class ProbeSchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ProbeScheduleProps) {
    super(scope, id);
    this.schedule = new scheduler.Schedule(this, "Schedule", {
      schedule: scheduler.ScheduleExpression.rate(props.rate),
      description: `mysql-ha-prober ${props.cluster}`,
      target: new targets.LambdaInvoke(props.function, {
        retryAttempts: 0,
        maxEventAge: props.rate,
        deadLetterQueue: props.failureQueue,
      }),
    });
  }
}
