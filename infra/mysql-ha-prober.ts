/**
 * MysqlHaProber: everything one monitored keepalived + MySQL pair needs in AWS. A scheduled Lambda
 * function (in the VPC that reaches the MySQL addresses), the state table, the node-check SSM
 * document, least-privilege IAM, a CloudWatch dashboard and alarms to an SNS topic.
 */

import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as targets from "aws-cdk-lib/aws-scheduler-targets";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import * as sqs from "aws-cdk-lib/aws-sqs";
import * as ssm from "aws-cdk-lib/aws-ssm";
import { Construct } from "constructs";
import type { ClusterConfig } from "../shared/config.ts";
import { CLUSTER_DIMENSION, METRIC_NAMESPACE, METRICS } from "../shared/metrics.ts";
import { nodeCheckDocument } from "../shared/node-check/document.ts";
import {
  LAMBDA_BUNDLE_ALIASES,
  LAMBDA_BUNDLE_BANNER,
  LAMBDA_BUNDLE_EXTERNALS,
  LAMBDA_BUNDLE_MAIN_FIELDS,
  LAMBDA_BUNDLE_TARGET,
} from "./bundling.ts";
import { buildDashboard } from "./dashboard.ts";

/** Every metric name the alarms use: the contract test checks the handler emits each. */
export const ALARM_METRICS = [METRICS.splitBrain, METRICS.clusterDown, METRICS.probeCompleted] as const;

export interface MysqlHaProberProps {
  /** The cluster to probe (the CLI configuration's cluster schema; runners must be `ssm`). */
  readonly cluster: ClusterConfig;
  /** The VPC from which the function reaches the VIP and the nodes' MySQL ports. */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets for the function.
   * @default the VPC's private subnets with egress, else its isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * Security groups for the function (they must allow egress to the MySQL port).
   * @default a new security group allowing all egress
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
  /** The secret holding the monitoring user's password (a plain string secret). */
  readonly passwordSecret: secretsmanager.ISecret;
  /** Sender of the alert mails: a verified SES identity (address). */
  readonly mailFrom: string;
  /** Recipients of the alert mails. */
  readonly mailTo: string[];
  /**
   * The SES identity ARN ses:SendEmail is limited to.
   * @default the identity of mailFrom's domain in this account and region
   */
  readonly sesIdentityArn?: string;
  /** Where CloudWatch alarms are mailed (a channel that does not depend on the prober). */
  readonly alarmEmail: string;
  /**
   * How often the schedule invokes the function (1 minute is EventBridge Scheduler's minimum).
   * @default Duration.minutes(1)
   */
  readonly scheduleRate?: Duration;
  /**
   * Sub-minute mode: one invocation probes every this many seconds until shortly before its timeout.
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
   * @default Duration.seconds(50)
   */
  readonly timeout?: Duration;
  /**
   * Create VPC endpoints (DynamoDB gateway; SSM, Secrets Manager, email interface endpoints) for a
   * VPC without a NAT path to the AWS APIs.
   * @default false
   */
  readonly createVpcEndpoints?: boolean;
  /**
   * Minutes without a completed probe before the dead man's switch alarm fires.
   * @default 5
   */
  readonly deadMansSwitchMinutes?: number;
  /**
   * Days the history items live.
   * @default 90
   */
  readonly historyTtlDays?: number;
  /**
   * What happens to the table when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly tableRemovalPolicy?: RemovalPolicy;
}

export class MysqlHaProber extends Construct {
  readonly table: dynamodb.Table;
  readonly function: NodejsFunction;
  readonly document: ssm.CfnDocument;
  readonly alarmTopic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: Record<"splitBrain" | "clusterDown" | "proberErrors" | "deadMansSwitch", cloudwatch.Alarm>;
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: MysqlHaProberProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const c = props.cluster;
    for (const [id2, n] of Object.entries(c.nodes)) {
      if (n.runner.type !== "ssm")
        throw new Error(
          `cluster ${c.name}: node ${id2} must use the ssm runner in AWS (got ${n.runner.type})`,
        );
    }

    // ---- state table
    const key = new kms.Key(this, "TableKey", {
      enableKeyRotation: true,
      description: `mysql-ha-prober ${c.name} state`,
    });
    this.table = new dynamodb.Table(this, "State", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: "expiresAt",
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: key,
      removalPolicy: props.tableRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // ---- the node-check document, built from the script
    const documentName = `mysql-ha-prober-node-check-${c.name}`.replace(/[^A-Za-z0-9_.-]/g, "-");
    this.document = new ssm.CfnDocument(this, "NodeCheckDocument", {
      documentType: "Command",
      documentFormat: "JSON",
      name: documentName,
      content: nodeCheckDocument(),
      updateMethod: "NewVersion",
    });
    const clusterForFunction: ClusterConfig = {
      ...c,
      nodes: {
        a: {
          ...c.nodes.a,
          runner: { ...c.nodes.a.runner, documentName } as ClusterConfig["nodes"]["a"]["runner"],
        },
        b: {
          ...c.nodes.b,
          runner: { ...c.nodes.b.runner, documentName } as ClusterConfig["nodes"]["b"]["runner"],
        },
      },
      mysql: { ...c.mysql, password: undefined, passwordEnv: undefined },
    };

    // ---- the function
    const timeout = props.timeout ?? Duration.seconds(50);
    const logGroup = new logs.LogGroup(this, "Logs", {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const securityGroups = props.securityGroups ?? [
      new ec2.SecurityGroup(this, "FunctionSg", {
        vpc: props.vpc,
        description: `mysql-ha-prober ${c.name}`,
        allowAllOutbound: true,
      }),
    ];
    const role = new iam.Role(this, "FunctionRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `mysql-ha-prober ${c.name}: probe one cluster`,
    });
    this.function = new NodejsFunction(this, "Probe", {
      entry: new URL("../functions/probe/handler.ts", import.meta.url).pathname,
      handler: "handler",
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout,
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? {
        subnetType:
          props.vpc.privateSubnets.length > 0
            ? ec2.SubnetType.PRIVATE_WITH_EGRESS
            : ec2.SubnetType.PRIVATE_ISOLATED,
      },
      securityGroups,
      reservedConcurrentExecutions: 2,
      environment: {
        CLUSTER_CONFIG: JSON.stringify(clusterForFunction),
        TABLE_NAME: this.table.tableName,
        MAIL_FROM: props.mailFrom,
        MAIL_TO: props.mailTo.join(","),
        PASSWORD_SECRET_ARN: props.passwordSecret.secretArn,
        SUBMINUTE_INTERVAL_SECONDS: String(props.subMinuteIntervalSeconds ?? 0),
        POWERTOOLS_SERVICE_NAME: "mysql-ha-prober",
        POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
        NODE_OPTIONS: "--enable-source-maps",
      },
      bundling: {
        minify: true,
        sourceMap: true,
        // stack traces map to file:line without shipping the sources: a 5 MB map parsed at every cold
        // start becomes ~1.5 MB
        sourcesContent: false,
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLE_TARGET,
        mainFields: [...LAMBDA_BUNDLE_MAIN_FIELDS],
        banner: LAMBDA_BUNDLE_BANNER,
        // see infra/bundling.ts: the AWS SDK bundled; iconv-lite's CJK tables left out; a stand-in
        // for the RDS CA bundle
        externalModules: [...LAMBDA_BUNDLE_EXTERNALS],
        esbuildArgs: {
          "--alias": Object.entries(LAMBDA_BUNDLE_ALIASES).map(([from, to]) => `${from}=${to}`),
        },
      },
    });

    // ---- least privilege
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "Logs",
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn, `${logGroup.logGroupArn}:*`],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "VpcNetworkInterfaces",
        actions: [
          "ec2:CreateNetworkInterface",
          "ec2:DescribeNetworkInterfaces",
          "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses",
          "ec2:UnassignPrivateIpAddresses",
        ],
        resources: ["*"],
      }),
    );
    const instanceArns = Object.values(c.nodes).map((n) => {
      const instanceId = (n.runner as { instanceId: string }).instanceId;
      return instanceId.startsWith("mi-")
        ? stack.formatArn({ service: "ssm", resource: "managed-instance", resourceName: instanceId })
        : stack.formatArn({ service: "ec2", resource: "instance", resourceName: instanceId });
    });
    const documentArn = stack.formatArn({ service: "ssm", resource: "document", resourceName: documentName });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "RunNodeCheckOnTheTwoNodes",
        actions: ["ssm:SendCommand"],
        resources: [documentArn, ...instanceArns],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "ReadAndCancelNodeCheck",
        // GetCommandInvocation and CancelCommand support no resource-level permissions.
        actions: ["ssm:GetCommandInvocation", "ssm:CancelCommand"],
        resources: ["*"],
      }),
    );
    const sesIdentityArn =
      props.sesIdentityArn ??
      stack.formatArn({
        service: "ses",
        resource: "identity",
        resourceName: props.mailFrom.split("@")[1] ?? props.mailFrom,
      });
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "SendAlertMail",
        actions: ["ses:SendEmail"],
        resources: [sesIdentityArn],
        conditions: { StringEquals: { "ses:FromAddress": props.mailFrom } },
      }),
    );
    props.passwordSecret.grantRead(role);
    this.table.grantReadWriteData(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: "XRay",
        actions: ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
        resources: ["*"],
      }),
    );
    this.function.node.addDependency(this.document);

    // ---- schedule: no retries of stale probes; failures to a queue
    const dlq = new sqs.Queue(this, "ScheduleFailures", {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });
    this.schedule = new scheduler.Schedule(this, "Schedule", {
      schedule: scheduler.ScheduleExpression.rate(props.scheduleRate ?? Duration.minutes(1)),
      description: `mysql-ha-prober ${c.name}`,
      target: new targets.LambdaInvoke(this.function, {
        retryAttempts: 0,
        maxEventAge: Duration.minutes(1),
        deadLetterQueue: dlq,
      }),
    });

    // ---- alarms to a second channel (SNS mail), independent of the prober's own mail
    this.alarmTopic = new sns.Topic(this, "Alarms", {
      displayName: `mysql-ha-prober ${c.name} alarms`,
      enforceSSL: true,
      masterKey: kms.Alias.fromAliasName(this, "SnsKey", "alias/aws/sns"),
    });
    this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const metric = (name: string, statistic: string, period = Duration.minutes(1)) =>
      new cloudwatch.Metric({
        namespace: METRIC_NAMESPACE,
        metricName: name,
        dimensionsMap: { [CLUSTER_DIMENSION]: c.name },
        statistic,
        period,
      });
    const action = new cwActions.SnsAction(this.alarmTopic);
    const alarm = (id3: string, a: cloudwatch.AlarmProps) => {
      const al = new cloudwatch.Alarm(this, id3, a);
      al.addAlarmAction(action);
      al.addOkAction(action);
      return al;
    };
    this.alarms = {
      splitBrain: alarm("SplitBrainAlarm", {
        alarmDescription: `${c.name}: SPLIT BRAIN (the VIP on both nodes)`,
        metric: metric(METRICS.splitBrain, "Maximum"),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      clusterDown: alarm("ClusterDownAlarm", {
        alarmDescription: `${c.name}: DOWN (nothing serves the VIP)`,
        metric: metric(METRICS.clusterDown, "Maximum"),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      proberErrors: alarm("ProberErrorsAlarm", {
        alarmDescription: `${c.name}: the prober function fails`,
        metric: this.function.metricErrors({ period: Duration.minutes(5), statistic: "Sum" }),
        threshold: 2,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      deadMansSwitch: alarm("DeadMansSwitchAlarm", {
        alarmDescription: `${c.name}: no completed probe for ${props.deadMansSwitchMinutes ?? 5} minutes (the prober itself is down)`,
        metric: metric(METRICS.probeCompleted, "SampleCount"),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: props.deadMansSwitchMinutes ?? 5,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
    };

    this.dashboard = buildDashboard(this, "Dashboard", c.name, this.function);

    if (props.createVpcEndpoints) {
      const subnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
      props.vpc.addGatewayEndpoint("DynamoDbEndpoint", {
        service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
        subnets: [subnets],
      });
      for (const [name, service] of [
        ["Ssm", ec2.InterfaceVpcEndpointAwsService.SSM],
        ["SecretsManager", ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
        ["Email", ec2.InterfaceVpcEndpointAwsService.EMAIL],
        ["Xray", ec2.InterfaceVpcEndpointAwsService.XRAY],
      ] as const) {
        props.vpc.addInterfaceEndpoint(`${name}Endpoint`, {
          service,
          subnets,
          securityGroups,
          privateDnsEnabled: true,
        });
      }
    }

    // ---- acknowledged cdk-nag findings, each with its reason
    const arnToken = (c2: Construct) => `<${stack.getLogicalId(c2.node.defaultChild as never)}.Arn>`;
    const ack = (scope2: Construct, id2: string, reason: string) =>
      Validations.of(scope2).acknowledge({ id: id2, reason });
    ack(
      role,
      "AwsSolutions-IAM5[Resource::*]",
      "Only actions without resource-level permissions: VPC network interfaces of the function, ssm:GetCommandInvocation and ssm:CancelCommand, X-Ray segments.",
    );
    ack(
      role,
      `AwsSolutions-IAM5[Resource::${arnToken(logGroup)}:*]`,
      "Log streams of the function's own log group.",
    );
    ack(
      role,
      "AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      "Granted by the table grant on the table's own customer-managed key only.",
    );
    ack(
      role,
      "AwsSolutions-IAM5[Action::kms:ReEncrypt*]",
      "Granted by the table grant on the table's own customer-managed key only.",
    );
    ack(
      stack,
      `AwsSolutions-IAM5[Resource::${arnToken(this.function)}:*]`,
      "The scheduler's role may invoke this function's versions and aliases (added by the scheduler target).",
    );
    Validations.of(dlq).acknowledge({
      id: "AwsSolutions-SQS3",
      reason: "This queue is itself the dead-letter queue of the schedule.",
    });
  }
}
