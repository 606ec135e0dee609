/**
 * The fleet's own alarms, mailed through one SNS topic (a channel apart from the prober's own mail): the
 * probe function's errors and throttles, and its failure queue. Each pair adds its two (pair-alarms.ts).
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { METRIC_NAMESPACE } from "../../shared/metrics.ts";

export interface ProberAlarmsProps {
  /** Names the alarms: mysql-ha-prober-<fleet>-<alarm>. */
  readonly fleet: string;
  readonly function: lambda.IFunction;
  readonly failureQueue: sqs.IQueue;
  /** The function's log group: its `probe` lines say how many alerts stay unsent (mailsPending). */
  readonly logGroup: logs.ILogGroup;
  /**
   * Periods of 5 minutes with an alert still unsent before UnsentMail fires.
   * @default 3 (an outbox that has not drained for 15 minutes)
   */
  readonly unsentMailPeriods?: number;
  /** Where the alarms are mailed. */
  readonly alarmEmail: string;
}

export type ProberAlarmName = "proberErrors" | "proberThrottles" | "failureQueue" | "unsentMail";

/** The fleet-level metric of alerts left in the outboxes (from the `probe` lines, by a metric filter: no dimension). */
export const UNSENT_ALERTS_METRIC = "AlertsUnsent";

export class ProberAlarms extends Construct {
  readonly topic: sns.Topic;
  /** The topic's customer managed key (CloudWatch alarms may use it). */
  readonly key: kms.Key;
  readonly alarms: Record<ProberAlarmName, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: ProberAlarmsProps) {
    super(scope, id);
    const f = props.fleet;
    const { key, topic } = this.encryptedTopic(f);
    this.key = key;
    this.topic = topic;
    this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new cwActions.SnsAction(this.topic);
    const alarm = (alarmId: string, p: cloudwatch.AlarmProps) => {
      const a = new cloudwatch.Alarm(this, alarmId, { alarmName: `mysql-ha-prober-${f}-${alarmId}`, ...p });
      a.addAlarmAction(action);
      a.addOkAction(action);
      return a;
    };
    const atLeastOne = {
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    // A mail that SES refuses (identity, configuration set, sandbox) or never gets stays in the outbox and
    // is retried each probe: only a log line says so. A metric filter makes it a metric (one for the fleet).
    new logs.MetricFilter(this, "UnsentAlertsFilter", {
      logGroup: props.logGroup,
      metricNamespace: METRIC_NAMESPACE,
      metricName: UNSENT_ALERTS_METRIC,
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue("$.message", "=", "probe"),
        logs.FilterPattern.numberValue("$.mailsPending", ">", 0),
      ),
      metricValue: "$.mailsPending",
    });
    const unsentPeriods = props.unsentMailPeriods ?? 3;
    this.alarms = {
      unsentMail: alarm("UnsentMail", {
        alarmDescription: `${f}: alert mails stay unsent for ${unsentPeriods * 5} minutes: SES refuses them (the sender or, in the sandbox, a recipient not verified; a configuration set the role may not use) or cannot be reached. The function's log group: "send-failed" lines say why.`,
        metric: new cloudwatch.Metric({
          namespace: METRIC_NAMESPACE,
          metricName: UNSENT_ALERTS_METRIC,
          statistic: "Maximum",
          period: Duration.minutes(5),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: unsentPeriods,
        datapointsToAlarm: unsentPeriods,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      proberErrors: alarm("ProberErrors", {
        alarmDescription: `${f}: the probe function fails (its store, a pair's configuration, or a bug): see its log group, the failing pair is in each error's "cluster" field.`,
        metric: props.function.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
        ...atLeastOne,
        threshold: 2,
      }),
      proberThrottles: alarm("ProberThrottles", {
        alarmDescription: `${f}: the probe function is throttled (the account's concurrency is used up).`,
        metric: props.function.metricThrottles({ period: Duration.minutes(5), statistic: "Sum" }),
        ...atLeastOne,
      }),
      failureQueue: alarm("FailureQueue", {
        alarmDescription: `${f}: probes that never ran (schedule or async invoke failures) are in the failure queue.`,
        metric: props.failureQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: "Maximum",
        }),
        ...atLeastOne,
      }),
    };
  }

  /**
   * The alarm topic, encrypted with a key CloudWatch may use, that only this account's alarms may publish to.
   */
  private encryptedTopic(f: string): { key: kms.Key; topic: sns.Topic } {
    const stack = Stack.of(this);
    // CloudWatch alarm actions cannot publish to a topic encrypted with the AWS managed key alias/aws/sns:
    // its key policy cannot grant cloudwatch.amazonaws.com. A customer managed key (about $1 a month) that
    // allows it does (AWS knowledge center: "cloudwatch-receive-sns-for-alarm-trigger").
    const key = new kms.Key(this, "TopicKey", {
      description: `mysql-ha-prober ${f}: encrypts the alarm topic; CloudWatch alarms may use it`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsPublishToTheEncryptedTopic",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
      }),
    );
    const topic = new sns.Topic(this, "Topic", {
      displayName: `mysql-ha-prober ${f} alarms`,
      enforceSSL: true,
      masterKey: key,
    });
    // A topic policy REPLACES SNS's default access policy (enforceSSL makes one with only its Deny): without
    // this Allow nothing lets CloudWatch publish. Only this account's alarms (confused-deputy conditions).
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsOfThisAccountPublish",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            "aws:SourceArn": stack.formatArn({
              service: "cloudwatch",
              resource: "alarm",
              resourceName: "*",
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { "aws:SourceAccount": stack.account },
        },
      }),
    );
    return { key, topic };
  }
}
