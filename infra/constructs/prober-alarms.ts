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
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";

export interface ProberAlarmsProps {
  /** Names the alarms: mysql-ha-prober-<fleet>-<alarm>. */
  readonly fleet: string;
  readonly function: lambda.IFunction;
  readonly failureQueue: sqs.IQueue;
  /** Where the alarms are mailed. */
  readonly alarmEmail: string;
}

export type ProberAlarmName = "proberErrors" | "proberThrottles" | "failureQueue";

export class ProberAlarms extends Construct {
  readonly topic: sns.Topic;
  /** The topic's customer managed key (CloudWatch alarms may use it). */
  readonly key: kms.Key;
  readonly alarms: Record<ProberAlarmName, cloudwatch.Alarm>;

  constructor(scope: Construct, id: string, props: ProberAlarmsProps) {
    super(scope, id);
    const f = props.fleet;
    const stack = Stack.of(this);
    // CloudWatch alarm actions cannot publish to a topic encrypted with the AWS managed key alias/aws/sns:
    // its key policy cannot grant cloudwatch.amazonaws.com. A customer managed key (about $1 a month) that
    // allows it does (AWS knowledge center: "cloudwatch-receive-sns-for-alarm-trigger").
    this.key = new kms.Key(this, "TopicKey", {
      description: `mysql-ha-prober ${f}: encrypts the alarm topic; CloudWatch alarms may use it`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsPublishToTheEncryptedTopic",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["kms:Decrypt", "kms:GenerateDataKey*"],
        resources: ["*"],
      }),
    );
    this.topic = new sns.Topic(this, "Topic", {
      displayName: `mysql-ha-prober ${f} alarms`,
      enforceSSL: true,
      masterKey: this.key,
    });
    // A topic policy REPLACES SNS's default access policy (enforceSSL makes one with only its Deny): without
    // this Allow nothing lets CloudWatch publish. Only this account's alarms (confused-deputy conditions).
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "CloudWatchAlarmsOfThisAccountPublish",
        principals: [new iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions: ["sns:Publish"],
        resources: [this.topic.topicArn],
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
    this.alarms = {
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
}
