/**
 * MysqlHaProber: everything one monitored keepalived + MySQL pair needs in AWS, composed of small
 * constructs: the state table, the node-check document, the probe function, its schedule, the alarms and
 * the dashboard (the last two through one metric factory, so they read exactly what the function emits).
 */

import { CfnOutput, Duration, type RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type * as scheduler from "aws-cdk-lib/aws-scheduler";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { ClusterConfig } from "../shared/config.ts";
import { type ClusterAlarmName, ClusterAlarms } from "./constructs/cluster-alarms.ts";
import { ClusterDashboard } from "./constructs/cluster-dashboard.ts";
import { ClusterMetricFactory } from "./constructs/metric-factory.ts";
import { NodeCheckDocument } from "./constructs/node-check-document.ts";
import { NodePushAccess } from "./constructs/node-push-access.ts";
import { ProbeFunction } from "./constructs/probe-function.ts";
import { ProbeSchedule } from "./constructs/probe-schedule.ts";
import { StateTable } from "./constructs/state-table.ts";

export interface MysqlHaProberProps {
  /** The cluster to probe (the deployed cluster schema; runners must be `ssm`). */
  readonly cluster: ClusterConfig;
  /** The VPC from which the function reaches the VIP and the nodes' MySQL ports. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets for the function.
   * @default the VPC's private subnets with egress, else its isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups for the function (they must allow egress to the MySQL port and to the AWS APIs).
   * @default a new security group allowing all egress
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** The secret holding the monitoring user's password (a plain string secret). */
  readonly passwordSecret: secretsmanager.ISecret;
  /**
   * The secret holding the heartbeat user's password: required when the cluster has a heartbeat.
   * @default none (a cluster with a heartbeat is then an error at synth)
   */
  readonly heartbeatPasswordSecret?: secretsmanager.ISecret;
  /** Sender of the alert mails: a verified SES identity (address, or an address of a verified domain). */
  readonly mailFrom: string;
  /** Recipients of the alert mails (in the SES sandbox, each must be verified). */
  readonly mailTo: string[];
  /**
   * The SES identity ARNs ses:SendEmail is allowed on.
   * @default the sender's address and domain and each recipient's address and domain, in this account and region
   */
  readonly sesIdentityArns?: string[];
  /** Where CloudWatch alarms are mailed (a channel that does not depend on the prober). */
  readonly alarmEmail: string;
  /**
   * How often the schedule invokes the function (1 minute is EventBridge Scheduler's minimum).
   * @default Duration.minutes(1)
   */
  readonly scheduleRate?: Duration;
  /**
   * Sub-minute mode: one invocation probes every this many seconds across the schedule's window.
   * @default 0 (one probe per invocation)
   */
  readonly subMinuteIntervalSeconds?: number;
  /**
   * The function's memory.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * The function's timeout; the probe deadline is derived from it.
   * @default 50 s; in sub-minute mode the schedule's rate plus 15 s
   */
  readonly timeout?: Duration;
  /**
   * Minutes without a completed probe before the dead man's switch alarm fires.
   * @default the larger of 5 minutes and 3 schedule periods
   */
  readonly deadMansSwitchMinutes?: number;
  /**
   * Days the history items live.
   * @default 90
   */
  readonly historyTtlDays?: number;
  /**
   * Push: a managed policy (and its ARN as an output) the nodes' instance roles attach, so that their
   * keepalived notify scripts can invoke the function at once on a state change.
   * @default false
   */
  readonly push?: boolean;
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
}

export class MysqlHaProber extends Construct {
  readonly table: dynamodb.Table;
  readonly function: NodejsFunction;
  readonly documentName: string;
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: Record<ClusterAlarmName, cloudwatch.Alarm>;
  readonly schedule: scheduler.Schedule;
  readonly failureQueue: sqs.Queue;
  /** The metric factory the alarms and the dashboard read through. */
  readonly metrics: ClusterMetricFactory;

  constructor(scope: Construct, id: string, props: MysqlHaProberProps) {
    super(scope, id);
    const c = props.cluster;
    for (const [where, r] of [
      ["node a", c.nodes.a.runner],
      ["node b", c.nodes.b.runner],
      ...c.witnesses.map((w) => [`witness ${w.name}`, w.runner] as const),
    ] as const) {
      if (r.type !== "ssm")
        throw new Error(`cluster ${c.name}: ${where} must use the ssm runner in AWS (got ${r.type})`);
    }
    const scheduleRate = props.scheduleRate ?? Duration.minutes(1);

    this.table = new StateTable(this, "StateTable", {
      cluster: c.name,
      ...(props.tableRemovalPolicy ? { removalPolicy: props.tableRemovalPolicy } : {}),
    }).table;
    const document = new NodeCheckDocument(this, "NodeCheck", {
      documentName: `mysql-ha-prober-node-check-${c.name}`.replace(/[^A-Za-z0-9_.-]/g, "-"),
    });
    this.documentName = document.documentName;
    this.failureQueue = new sqs.Queue(this, "Failures", {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    const securityGroups = props.securityGroups ?? [
      new ec2.SecurityGroup(this, "FunctionSg", {
        vpc: props.vpc,
        description: `mysql-ha-prober ${c.name}`,
        allowAllOutbound: true,
      }),
    ];
    const fn = new ProbeFunction(this, "Function", {
      cluster: c,
      documentName: document.documentName,
      table: this.table,
      passwordSecret: props.passwordSecret,
      ...(props.heartbeatPasswordSecret ? { heartbeatPasswordSecret: props.heartbeatPasswordSecret } : {}),
      mailFrom: props.mailFrom,
      mailTo: props.mailTo,
      ...(props.sesIdentityArns ? { sesIdentityArns: props.sesIdentityArns } : {}),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? defaultSubnets(props.vpc),
      securityGroups,
      failureQueue: this.failureQueue,
      scheduleRate,
      ...(props.subMinuteIntervalSeconds !== undefined
        ? { subMinuteIntervalSeconds: props.subMinuteIntervalSeconds }
        : {}),
      ...(props.memorySize !== undefined ? { memorySize: props.memorySize } : {}),
      ...(props.timeout ? { timeout: props.timeout } : {}),
      ...(props.historyTtlDays !== undefined ? { historyTtlDays: props.historyTtlDays } : {}),
    });
    this.function = fn.function;
    this.function.node.addDependency(document.document);
    this.schedule = new ProbeSchedule(this, "Schedule", {
      cluster: c.name,
      function: this.function,
      rate: scheduleRate,
      failureQueue: this.failureQueue,
    }).schedule;

    this.metrics = new ClusterMetricFactory({ cluster: c.name });
    const alarms = new ClusterAlarms(this, "Alarms", {
      cluster: c.name,
      metrics: this.metrics,
      function: this.function,
      failureQueue: this.failureQueue,
      alarmEmail: props.alarmEmail,
      scheduleRate,
      ...(props.deadMansSwitchMinutes !== undefined
        ? { deadMansSwitchMinutes: props.deadMansSwitchMinutes }
        : {}),
    });
    this.alarms = alarms.alarms;
    this.alarmTopic = alarms.topic;
    this.dashboard = new ClusterDashboard(this, "Dashboard", {
      cluster: c.name,
      metrics: this.metrics,
      function: this.function,
      failureQueue: this.failureQueue,
    }).dashboard;

    if (props.push) new NodePushAccess(this, "Push", { cluster: c.name, function: this.function });

    const stack = Stack.of(this);
    const out = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description: `${c.name}: ${description}` });
    out("TableName", this.table.tableName, "the state table (status, history)");
    out("FunctionName", this.function.functionName, "the probe function");
    out("LogGroupName", fn.logGroup.logGroupName, "the probe function's logs");
    out("AlarmTopicArn", this.alarmTopic.topicArn, "the alarms' SNS topic");
    out(
      "DashboardUrl",
      `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards:name=${this.dashboard.dashboardName}`,
      "the dashboard",
    );
    this.acknowledgeNag(fn);
  }

  /** Acknowledged cdk-nag findings, each with its reason. */
  private acknowledgeNag(fn: ProbeFunction): void {
    const stack = Stack.of(this);
    const arnToken = (c2: Construct) => `<${stack.getLogicalId(c2.node.defaultChild as never)}.Arn>`;
    const ack = (scope: Construct, id: string, reason: string) =>
      Validations.of(scope).acknowledge({ id, reason });
    ack(
      fn.role,
      "AwsSolutions-IAM5[Resource::*]",
      "Only actions without resource-level permissions: VPC network interfaces of the function, ssm:GetCommandInvocation and ssm:CancelCommand, X-Ray segments, and (with the EC2 view on) one ec2:Describe* call.",
    );
    ack(
      fn.role,
      `AwsSolutions-IAM5[Resource::${arnToken(fn.logGroup)}:*]`,
      "Log streams of the function's own log group.",
    );
    ack(
      fn.role,
      "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      "Granted by the table grant on the table's own key only.",
    );
    ack(
      fn.role,
      "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
      "Granted by the table grant on the table's own key only.",
    );
    ack(
      stack,
      `AwsSolutions-IAM5[Resource::${arnToken(this.function)}:*]`,
      "The scheduler's role may invoke this function's versions and aliases (added by the scheduler target).",
    );
    Validations.of(this.failureQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This queue is itself the failure queue of the schedule and of the function's async invokes.",
    });
  }
}

function defaultSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return {
    subnetType:
      vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
  };
}
