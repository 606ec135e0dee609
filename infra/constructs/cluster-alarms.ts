/**
 * The alarms of one cluster, mailed through SNS (a channel apart from the prober's own mail):
 * split brain and cluster down (kept in ALARM when the prober stops reporting), the dead man's switch
 * (no completed probe), the prober's own errors and throttles, and its failure queue.
 */
import { Duration } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRICS } from "../../shared/metrics.ts";
import type { ClusterMetricFactory } from "./metric-factory.ts";

export interface ClusterAlarmsProps {
  readonly cluster: string;
  readonly metrics: ClusterMetricFactory;
  readonly function: lambda.IFunction;
  readonly failureQueue: sqs.IQueue;
  /** Where the alarms are mailed. */
  readonly alarmEmail: string;
  /** How often the schedule runs: the dead man's switch counts in these periods. */
  readonly scheduleRate: Duration;
  /**
   * Minutes without a completed probe before the dead man's switch fires.
   * @default the larger of 5 minutes and 3 schedule periods
   */
  readonly deadMansSwitchMinutes?: number;
}

export type ClusterAlarmName =
  | "splitBrain"
  | "clusterDown"
  | "deadMansSwitch"
  | "proberErrors"
  | "proberThrottles"
  | "failureQueue";

export class ClusterAlarms extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: Record<ClusterAlarmName, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: ClusterAlarmsProps) {
    super(scope, id);
    const c = props.cluster;
    this.topic = new sns.Topic(this, "Topic", {
      displayName: `mysql-ha-prober ${c} alarms`,
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, "SnsKey", "alias/aws/sns"),
    });
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new cwActions.SnsAction(this.topic);
    // named, so the SNS mail and the console say which cluster and what: mysql-ha-prober-<cluster>-SplitBrain
    const alarm = (alarmId: string, p: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, alarmId, { alarmName: `mysql-ha-prober-${c}-${alarmId}`, ...p });
      a.addAlarmAction(action);
      a.addOkAction(action);
      return a;
    };
    const m = props.metrics;
    const rateMinutes = Math.max(1, Math.round(props.scheduleRate.toMinutes({ integral: false })));
    const deadMinutes = props.deadMansSwitchMinutes ?? Math.max(5, 3 * rateMinutes);
    const atLeastOne = {
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    };
    this.alarms = {
      splitBrain: alarm("SplitBrain", {
        alarmDescription: `${c}: SPLIT BRAIN, the VIP on both nodes. Stays in ALARM while the prober is silent.`,
        metric: m.metric(METRICS.splitBrain, "Maximum"),
        ...atLeastOne,
        // the prober dying mid-incident must not read as "resolved"
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
      clusterDown: alarm("ClusterDown", {
        alarmDescription: `${c}: DOWN, nothing serves the VIP. Stays in ALARM while the prober is silent.`,
        metric: m.metric(METRICS.clusterDown, "Maximum"),
        ...atLeastOne,
        treatMissingData: cloudwatch.TreatMissingData.IGNORE,
      }),
      deadMansSwitch: alarm("DeadMansSwitch", {
        alarmDescription: `${c}: no completed probe for ${deadMinutes} minutes: the prober itself is down or cut off.`,
        metric: m.metric(METRICS.probeCompleted, "SampleCount", { period: Duration.minutes(rateMinutes) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: Math.max(1, Math.ceil(deadMinutes / rateMinutes)),
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      proberErrors: alarm("ProberErrors", {
        alarmDescription: `${c}: the prober function fails (its store, its configuration, or a bug): see its log group.`,
        metric: props.function.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
        threshold: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      proberThrottles: alarm("ProberThrottles", {
        alarmDescription: `${c}: the prober function is throttled (the account's concurrency is used up).`,
        metric: props.function.metricThrottles({ period: Duration.minutes(5), statistic: "Sum" }),
        ...atLeastOne,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      failureQueue: alarm("FailureQueue", {
        alarmDescription: `${c}: probes that never ran (schedule or async invoke failures) are in the failure queue.`,
        metric: props.failureQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: "Maximum",
        }),
        ...atLeastOne,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    };
  }
}
