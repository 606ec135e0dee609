/**
 * MysqlHaProber: a fleet of monitored keepalived + MySQL pairs in AWS. A shared core (one state table, one
 * node-check document, one probe function with every pair's configuration in its asset, one failure queue,
 * one alarm topic with the prober's own alarms, one fleet dashboard) and, per pair, only what must be per
 * pair: its two alarms, and a place in a schedule that carries the names of up to `pairsPerSchedule` pairs
 * (probed side by side in one invocation). Beyond `pairsPerStack` pairs,
 * the pairs' parts go to sibling stacks, so a thousand pairs stay within CloudFormation's 500 resources
 * per stack. Alarms and dashboard read through one metric factory, so they read exactly what the function
 * emits.
 */

import {
  ArnFormat,
  CfnOutput,
  Duration,
  type RemovalPolicy,
  Stack,
  Stage,
  Token,
  Validations,
} from "aws-cdk-lib";
import type * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type { NodejsFunction } from "aws-cdk-lib/aws-lambda-nodejs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sns from "aws-cdk-lib/aws-sns";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import type { ClusterConfig } from "../shared/config.ts";
import { ConfigError, checkNamesUnique } from "../shared/domain/errors.ts";
import { FleetDashboard } from "./constructs/fleet-dashboard.ts";
import { FleetQueries } from "./constructs/fleet-queries.ts";
import { ProberMetricFactory } from "./constructs/metric-factory.ts";
import { NodeCheckDocument } from "./constructs/node-check-document.ts";
import { NodePushAccess } from "./constructs/node-push-access.ts";
import { PairAlarms } from "./constructs/pair-alarms.ts";
import { ProbeFunction } from "./constructs/probe-function.ts";
import { ProbeSchedule } from "./constructs/probe-schedule.ts";
import { type ProberAlarmName, ProberAlarms } from "./constructs/prober-alarms.ts";
import { StateTable } from "./constructs/state-table.ts";

export interface MysqlHaProberProps {
  /** The pairs to probe (the deployed cluster schema; runners must be `ssm`; names unique). */
  readonly clusters: readonly ClusterConfig[];
  /**
   * The fleet's name: in the names of its document, dashboard and own alarms (unique in the account and region).
   * @default "fleet"
   */
  readonly fleetName?: string;
  /**
   * Pairs whose schedule and alarms go in this construct's stack; the next ones go to sibling stacks
   * `<stack>-Pairs2`, `<stack>-Pairs3`... (about 2.1 resources per pair, 500 per stack).
   * @default 200
   */
  readonly pairsPerStack?: number;
  /**
   * Pairs probed side by side by one schedule's invocation: the function's billed time is mostly waiting
   * for SSM, so ten pairs in one invocation cost about what one does. 1 gives each pair its own schedule
   * and invocation.
   * @default 10
   */
  readonly pairsPerSchedule?: number;
  /**
   * Publish every per-pair value as a custom metric (14 per pair, $0.30 each a month) and graph them on
   * the dashboard; otherwise one metric per pair (ClusterStatus) and the rest as log fields.
   * @default false
   */
  readonly detailedMetrics?: boolean;
  /**
   * The fleet dashboard ($3 a month at list price; CloudWatch's free tier includes three dashboards of up
   * to 50 metrics each). Without it, its tables are saved as Logs Insights queries (free to keep).
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * Encrypt the state table with a customer managed KMS key of its own (about $1 a month).
   * @default false (DynamoDB's AWS managed key)
   */
  readonly tableCustomerManagedKey?: boolean;
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
  /**
   * The SES configuration set the mails go through: the sender identity's default one when it has one (SES
   * authorizes ses:SendEmail on it too).
   * @default none
   */
  readonly sesConfigurationSet?: string;
  /**
   * Customer managed KMS keys of the password secrets (kms:Decrypt through Secrets Manager is granted).
   * @default none (Secrets Manager's AWS managed key)
   */
  readonly secretsKmsKeyArns?: string[];
  /**
   * The nodes' security groups: each gets an ingress rule from the function's security group to every MySQL
   * port of the pairs (the VIP's and the nodes'). Without it, the nodes' groups must allow that by hand, or
   * the first probe is a DOWN mail.
   * @default none (the function's security group id is a stack output)
   */
  readonly mysqlSecurityGroups?: ec2.ISecurityGroup[];
  /**
   * A tag every node carries: beyond 40 nodes, ssm:SendCommand is narrowed to instances with it.
   * @default none
   */
  readonly nodeTag?: { readonly key: string; readonly value: string };
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
   * Minutes without a completed probe of a pair before its dead man's switch alarm fires.
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
   * keepalived notify scripts can invoke the function at once on a state change (naming their pair).
   * @default false
   */
  readonly push?: boolean;
  /**
   * The push function's reserved concurrency (push on). 0: none.
   * @default 2
   */
  readonly pushReservedConcurrency?: number;
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
  /** The fleet dashboard (none with `dashboard: false`). */
  readonly dashboard: cloudwatch.Dashboard | undefined;
  /** The prober's own alarms. */
  readonly alarms: Record<ProberAlarmName, cloudwatch.Alarm>;
  /** Each pair's alarms, by pair name. */
  readonly pairAlarms: ReadonlyMap<string, PairAlarms["alarms"]>;
  /** The schedules, each invoking the function for a few pairs. */
  readonly schedules: ProbeSchedule[] = [];
  /** The stacks holding the pairs' parts: this construct's stack first. */
  readonly pairStacks: Stack[];
  readonly failureQueue: sqs.Queue;
  /** The metric factory the alarms and the dashboard read through. */
  readonly metrics: ProberMetricFactory;
  /** The probe function's name (fixed: mysql-ha-prober-<fleet>). */
  readonly functionName: string;
  /** The function's security groups: the nodes' groups must allow the MySQL port from them. */
  readonly functionSecurityGroups: ec2.ISecurityGroup[];

  constructor(scope: Construct, id: string, props: MysqlHaProberProps) {
    super(scope, id);
    const fleetName = props.fleetName ?? "fleet";
    this.functionName = `mysql-ha-prober-${fleetName}`.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64);
    checkClusters(props.clusters);
    const { perStack, perSchedule } = pairsPlacement(props);
    const scheduleRate = props.scheduleRate ?? Duration.minutes(1);

    this.table = new StateTable(this, "StateTable", {
      fleet: fleetName,
      ...(props.tableCustomerManagedKey ? { customerManagedKey: true } : {}),
      ...(props.tableRemovalPolicy ? { removalPolicy: props.tableRemovalPolicy } : {}),
    }).table;
    const document = new NodeCheckDocument(this, "NodeCheck", {
      documentName: `mysql-ha-prober-node-check-${fleetName}`.replace(/[^A-Za-z0-9_.-]/g, "-"),
    });
    this.documentName = document.documentName;
    this.failureQueue = new sqs.Queue(this, "Failures", {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    this.functionSecurityGroups = props.securityGroups ?? [
      new ec2.SecurityGroup(this, "FunctionSg", {
        vpc: props.vpc,
        description: `mysql-ha-prober ${fleetName}`,
        allowAllOutbound: true,
      }),
    ];
    const dashboardName = `mysql-ha-prober-${fleetName}`.replace(/[^A-Za-z0-9_-]/g, "-");
    const fn = this.probeFunction(props, scheduleRate, props.dashboard !== false ? dashboardName : undefined);
    this.function = fn.function;
    this.function.node.addDependency(document.document);
    this.allowMysqlFromTheFunction(props, fleetName);

    this.metrics = new ProberMetricFactory();
    const proberAlarms = new ProberAlarms(this, "Alarms", {
      fleet: fleetName,
      function: this.function,
      failureQueue: this.failureQueue,
      logGroup: fn.logGroup,
      alarmEmail: props.alarmEmail,
    });
    this.alarms = proberAlarms.alarms;
    this.alarmTopic = proberAlarms.topic;
    this.dashboard = this.fleetView(props, fleetName, dashboardName, fn);

    // Per pair: two alarms, and a share of a schedule; in this stack up to pairsPerStack, then in siblings.
    this.pairStacks = [Stack.of(this)];
    this.pairAlarms = this.placePairs(props, fleetName, scheduleRate, perStack, perSchedule);

    if (fn.pushFunction)
      new NodePushAccess(this, "Push", {
        fleet: fleetName,
        function: fn.pushFunction,
        clusters: props.clusters,
      });
    this.addOutputs(fleetName, fn);
    this.acknowledgeNag(fn);
  }

  /** The fleet's probe function (and its push entry, push on). */
  private probeFunction(
    props: MysqlHaProberProps,
    scheduleRate: Duration,
    dashboardName: string | undefined,
  ): ProbeFunction {
    return new ProbeFunction(this, "Function", {
      clusters: props.clusters,
      documentName: this.documentName,
      table: this.table,
      passwordSecret: props.passwordSecret,
      ...(props.heartbeatPasswordSecret ? { heartbeatPasswordSecret: props.heartbeatPasswordSecret } : {}),
      mailFrom: props.mailFrom,
      mailTo: props.mailTo,
      ...(props.sesIdentityArns ? { sesIdentityArns: props.sesIdentityArns } : {}),
      ...(props.sesConfigurationSet ? { sesConfigurationSet: props.sesConfigurationSet } : {}),
      ...(props.secretsKmsKeyArns?.length ? { secretsKmsKeyArns: props.secretsKmsKeyArns } : {}),
      ...(props.nodeTag ? { nodeTag: props.nodeTag } : {}),
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? defaultSubnets(props.vpc),
      securityGroups: this.functionSecurityGroups,
      failureQueue: this.failureQueue,
      scheduleRate,
      ...(dashboardName ? { dashboardName } : {}),
      functionName: this.functionName,
      ...(props.detailedMetrics ? { detailedMetrics: true } : {}),
      ...(props.subMinuteIntervalSeconds !== undefined
        ? { subMinuteIntervalSeconds: props.subMinuteIntervalSeconds }
        : {}),
      ...(props.memorySize !== undefined ? { memorySize: props.memorySize } : {}),
      ...(props.timeout ? { timeout: props.timeout } : {}),
      ...(props.historyTtlDays !== undefined ? { historyTtlDays: props.historyTtlDays } : {}),
      ...(props.push ? { push: { reservedConcurrency: props.pushReservedConcurrency ?? 2 } } : {}),
    });
  }

  /** The nodes' groups let the function's groups reach MySQL (the VIP and both nodes, every pair's ports). */
  private allowMysqlFromTheFunction(props: MysqlHaProberProps, fleetName: string): void {
    const mysqlPorts = [
      ...new Set(props.clusters.flatMap((c) => [c.vip.port, c.nodes.a.port, c.nodes.b.port])),
    ].sort((x, y) => x - y);
    for (const [i, nodeSg] of (props.mysqlSecurityGroups ?? []).entries())
      for (const fnSg of this.functionSecurityGroups)
        for (const port of mysqlPorts)
          nodeSg.connections.allowFrom(
            fnSg,
            ec2.Port.tcp(port),
            `mysql-ha-prober ${fleetName}: MySQL from the probe function (${i})`,
          );
  }

  /** The fleet dashboard; without it, its fleet view as saved Logs Insights queries (free to keep). */
  private fleetView(
    props: MysqlHaProberProps,
    fleetName: string,
    dashboardName: string,
    fn: ProbeFunction,
  ): cloudwatch.Dashboard | undefined {
    if (props.dashboard === false) {
      new FleetQueries(this, "Queries", { fleet: fleetName, logGroup: fn.logGroup });
      return undefined;
    }
    return new FleetDashboard(this, "Dashboard", {
      dashboardName,
      pairs: props.clusters.map((c) => c.name),
      metrics: this.metrics,
      function: this.function,
      logGroup: fn.logGroup,
      failureQueue: this.failureQueue,
      ...(props.detailedMetrics ? { detailedMetrics: true } : {}),
      ...(props.clusters.some((c) => c.compare?.sweep) ? { consistencySweep: true } : {}),
    }).dashboard;
  }

  /** Each pair's schedule share and alarms: `perStack` pairs in a stack, `perSchedule` pairs per schedule. */
  private placePairs(
    props: MysqlHaProberProps,
    fleetName: string,
    scheduleRate: Duration,
    perStack: number,
    perSchedule: number,
  ): Map<string, PairAlarms["alarms"]> {
    const stack = Stack.of(this);
    const pairAlarms = new Map<string, PairAlarms["alarms"]>();
    const names = props.clusters.map((c) => c.name);
    for (let first = 0, n = 0; first < names.length; first += perStack, n++) {
      const home = n === 0 ? stack : this.siblingStack(stack, n + 1);
      if (n > 0) this.pairStacks.push(home);
      const parent: Construct = n === 0 ? this : home;
      const fn = n === 0 ? this.function : this.functionIn(home);
      const inStack = names.slice(first, first + perStack);
      for (let g = 0; g < inStack.length; g += perSchedule) {
        const group = inStack.slice(g, g + perSchedule);
        this.schedules.push(
          new ProbeSchedule(parent, `Schedule-${group[0]}`, {
            clusters: group,
            function: fn,
            rate: scheduleRate,
            failureQueue: this.failureQueue,
          }),
        );
      }
      for (const name of inStack)
        pairAlarms.set(
          name,
          new PairAlarms(parent, `Pair-${name}`, {
            cluster: name,
            fleet: fleetName,
            metrics: this.metrics,
            topic: this.alarmTopic,
            scheduleRate,
            ...(props.deadMansSwitchMinutes !== undefined
              ? { deadMansSwitchMinutes: props.deadMansSwitchMinutes }
              : {}),
          }).alarms,
        );
    }
    return pairAlarms;
  }

  /** The stack's outputs: what `cli-config` and the operator read. */
  private addOutputs(fleetName: string, fn: ProbeFunction): void {
    const stack = Stack.of(this);
    const out = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description: `${fleetName}: ${description}` });
    out("TableName", this.table.tableName, "the state table (every pair's status, history)");
    out("FunctionName", this.function.functionName, "the probe function");
    out("LogGroupName", fn.logGroup.logGroupName, "the probe function's logs");
    out("AlarmTopicArn", this.alarmTopic.topicArn, "the alarms' SNS topic");
    out(
      "FunctionSecurityGroupIds",
      this.functionSecurityGroups.map((g) => g.securityGroupId).join(","),
      "the probe function's security groups: the nodes' groups must allow the MySQL port from them (deploy.mysqlSecurityGroupIds does it)",
    );
    if (this.dashboard)
      out(
        "DashboardUrl",
        `https://${stack.region}.console.aws.amazon.com/cloudwatch/home?region=${stack.region}#dashboards:name=${this.dashboard.dashboardName}`,
        "the fleet dashboard",
      );
  }

  /** The fleet's function as another stack addresses it: by its fixed name (no export to acknowledge, none to pin). */
  private functionIn(home: Stack): lambda.IFunction {
    return lambda.Function.fromFunctionAttributes(home, "ProbeFunction", {
      functionArn: home.formatArn({
        service: "lambda",
        resource: "function",
        resourceName: this.functionName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
      sameEnvironment: true,
    });
  }

  /** `<stack>-Pairs<n>`: a sibling of this construct's stack, in the same environment. */
  private siblingStack(stack: Stack, n: number): Stack {
    const parent = Stage.of(stack) ?? stack.node.scope;
    if (!parent) throw new Error("the prober's stack has no app or stage to add sibling stacks to");
    const sibling = new Stack(parent as Construct, `${stack.node.id}-Pairs${n}`, {
      ...(Token.isUnresolved(stack.region) && Token.isUnresolved(stack.account)
        ? {}
        : {
            env: {
              ...(Token.isUnresolved(stack.region) ? {} : { region: stack.region }),
              ...(Token.isUnresolved(stack.account) ? {} : { account: stack.account }),
            },
          }),
      description: `mysql-ha-prober: pairs' schedules and alarms (part ${n})`,
    });
    sibling.addStackDependency(stack);
    Validations.of(sibling).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:lambda:${this.envPart(sibling, "region")}:${this.envPart(sibling, "account")}:function:${this.functionName}:*]`,
      reason:
        "The scheduler's role may invoke the fleet's probe function, its versions and aliases (added by the scheduler target).",
    });
    return sibling;
  }

  /** A stack's region or account as cdk-nag writes it in a finding: the value, or its pseudo parameter. */
  private envPart(stack: Stack, part: "region" | "account"): string {
    const v = part === "region" ? stack.region : stack.account;
    return Token.isUnresolved(v) ? (part === "region" ? "<AWS::Region>" : "<AWS::AccountId>") : v;
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
      "Only actions without resource-level permissions: VPC network interfaces of the function, ssm:GetCommandInvocation, ssm:ListCommandInvocations and ssm:CancelCommand, X-Ray segments, and (with the EC2 view on) one ec2:Describe* call.",
    );
    ack(
      fn.role,
      `AwsSolutions-IAM5[Resource::${arnToken(fn.logGroup)}:*]`,
      "Log streams of the function's own log group.",
    );
    ack(
      fn.role,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ec2:${this.envPart(stack, "region")}:${this.envPart(stack, "account")}:instance/*]`,
      "A fleet with more nodes than the policy can list: the node-check document (read-only, named) on any instance.",
    );
    ack(
      fn.role,
      `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:ssm:${this.envPart(stack, "region")}:${this.envPart(stack, "account")}:managed-instance/mi-*]`,
      "A fleet with more nodes than the policy can list: the node-check document (read-only, named) on any managed instance.",
    );
    ack(
      fn.role,
      "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      "Granted by the table grant on the table's own key only (customer managed key).",
    );
    ack(
      fn.role,
      "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
      "Granted by the table grant on the table's own key only (customer managed key).",
    );
    ack(
      stack,
      `AwsSolutions-IAM5[Resource::${arnToken(this.function)}:*]`,
      "The scheduler's role may invoke this function's versions and aliases (added by the scheduler target).",
    );
    Validations.of(this.failureQueue).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This queue is itself the failure queue of the schedules and of the function's async invokes.",
    });
  }
}

const PROPS = "the MysqlHaProber's props";

/** Every runner `ssm` (the only runner in AWS), every name used once. */
function checkClusters(clusters: readonly ClusterConfig[]): void {
  if (clusters.length === 0) throw new ConfigError(PROPS, ["clusters: give at least one cluster"]);
  checkNamesUnique(PROPS, clusters);
  for (const c of clusters) {
    for (const [where, r] of [
      ["nodes.a", c.nodes.a.runner],
      ["nodes.b", c.nodes.b.runner],
      ...c.witnesses.map((w) => [`witnesses[${w.name}]`, w.runner] as const),
    ] as const) {
      if (r.type !== "ssm")
        throw new ConfigError(PROPS, [
          `clusters[${c.name}].${where}.runner: must be ssm in AWS (got ${r.type})`,
        ]);
    }
  }
}

/** pairsPerStack and pairsPerSchedule, defaulted and checked. */
function pairsPlacement(props: MysqlHaProberProps): { perStack: number; perSchedule: number } {
  const perStack = props.pairsPerStack ?? 200;
  const perSchedule = props.pairsPerSchedule ?? 10;
  if (!Number.isInteger(perStack) || perStack < 1)
    throw new ConfigError(PROPS, [`pairsPerStack: must be a positive integer (got ${perStack})`]);
  if (!Number.isInteger(perSchedule) || perSchedule < 1 || perSchedule > 50)
    throw new ConfigError(PROPS, [`pairsPerSchedule: must be an integer from 1 to 50 (got ${perSchedule})`]);
  return { perStack, perSchedule };
}

function defaultSubnets(vpc: ec2.IVpc): ec2.SubnetSelection {
  return {
    subnetType:
      vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PRIVATE_ISOLATED,
  };
}
