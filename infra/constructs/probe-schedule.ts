/**
 * The schedule of a few pairs' probes (EventBridge Scheduler, asynchronous invoke of the fleet's function
 * with `{ "clusters": [<pair>, ...] }`, probed side by side in one invocation): no retries of a stale
 * probe, a short event age, failures to the queue.
 */
import type { Duration } from "aws-cdk-lib";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as targets from "aws-cdk-lib/aws-scheduler-targets";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { ConfigError } from "../../shared/domain/errors.ts";

export interface ProbeScheduleProps {
  /** The pairs this schedule probes (at most 50). */
  readonly clusters: readonly string[];
  readonly function: lambda.IFunction;
  /** 1 minute is EventBridge Scheduler's minimum. */
  readonly rate: Duration;
  readonly failureQueue: sqs.IQueue;
}

export class ProbeSchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: ProbeScheduleProps) {
    super(scope, id);
    if (props.clusters.length < 1 || props.clusters.length > 50)
      throw new ConfigError("the ProbeSchedule's props", [
        `clusters: a probe schedule carries 1 to 50 pairs (got ${props.clusters.length})`,
      ]);
    this.schedule = new scheduler.Schedule(this, "Schedule", {
      schedule: scheduler.ScheduleExpression.rate(props.rate),
      description: `mysql-ha-prober ${props.clusters.join(" ")}`.slice(0, 512),
      target: new targets.LambdaInvoke(props.function, {
        input: scheduler.ScheduleTargetInput.fromObject({ clusters: [...props.clusters] }),
        retryAttempts: 0,
        maxEventAge: props.rate,
        deadLetterQueue: props.failureQueue,
      }),
    });
  }
}
