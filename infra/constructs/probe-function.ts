/**
 * The probe function of a fleet: the bundled handler in the VPC with the pairs' configurations in its
 * asset (fleet.json beside the handler: a thousand pairs do not fit in Lambda's 4 KB of environment), its
 * log group, its role with least-privilege IAM, and its asynchronous-invoke settings (no retries, a short
 * event age, failures to a queue): the schedules invoke it asynchronously, and a stale probe must never
 * run late.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as destinations from "aws-cdk-lib/aws-lambda-destinations";
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { type FunctionEnvironment, HISTORY_TTL_DAYS_DEFAULT, TUNABLES } from "../../functions/probe/env.ts";
import type { ClusterConfig } from "../../shared/config.ts";
import { ConfigError } from "../../shared/domain/errors.ts";
import { METRIC_NAMESPACE } from "../../shared/metrics.ts";
import {
  LAMBDA_BUNDLE_ALIASES,
  LAMBDA_BUNDLE_BANNER,
  LAMBDA_BUNDLE_EXTERNALS,
  LAMBDA_BUNDLE_MAIN_FIELDS,
  LAMBDA_BUNDLE_TARGET,
} from "../bundling.ts";

export interface ProbeFunctionProps {
  /** The pairs (deployed schema; every runner `ssm`). */
  readonly clusters: readonly ClusterConfig[];
  /** The node-check document's name. */
  readonly documentName: string;
  readonly table: dynamodb.ITable;
  readonly passwordSecret: secretsmanager.ISecret;
  /** The heartbeat user's password, when the cluster has a heartbeat. @default none */
  readonly heartbeatPasswordSecret?: secretsmanager.ISecret;
  readonly mailFrom: string;
  readonly mailTo: readonly string[];
  /**
   * SES identities ses:SendEmail may use. SES authorizes the sender's address identity when it is
   * verified (else its domain's) and, in the sandbox, every recipient's identity too.
   * @default the sender's address and domain, and every recipient's address and domain, in this account and region
   */
  readonly sesIdentityArns?: readonly string[];
  /**
   * The SES configuration set the mails go through. Give the sender identity's default configuration set
   * when it has one: SES then also authorizes ses:SendEmail on that configuration set, and a role that may
   * not use it has every mail refused.
   * @default none
   */
  readonly sesConfigurationSet?: string;
  /**
   * Customer managed KMS keys the password secrets are encrypted with: kms:Decrypt through Secrets Manager.
   * @default none (the secrets use Secrets Manager's AWS managed key)
   */
  readonly secretsKmsKeyArns?: readonly string[];
  /**
   * A tag every node of the fleet carries: beyond MAX_LISTED_INSTANCES nodes, ssm:SendCommand on any
   * instance of the account is narrowed to the instances with this tag (ssm:resourceTag).
   * @default none (any instance, with the node-check document still named)
   */
  readonly nodeTag?: { readonly key: string; readonly value: string };
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
  /** Where events the function could not process go (async invoke failures, too old events). */
  readonly failureQueue: sqs.IQueue;
  /** The schedule's rate (sub-minute mode covers this window per invocation). */
  readonly scheduleRate: Duration;
  /**
   * Sub-minute mode: probe every this many seconds within one invocation.
   * @default 0 (one probe per invocation)
   */
  readonly subMinuteIntervalSeconds?: number;
  /**
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * @default 50 s; in sub-minute mode the schedule's rate plus 15 s, so the last probe of the window finishes
   */
  readonly timeout?: Duration;
  /**
   * Days the history items live.
   * @default 90
   */
  readonly historyTtlDays?: number;
  /** The fleet dashboard's name (the mails link it). @default none (no dashboard, no link) */
  readonly dashboardName?: string;
  /** The function's name (fixed, so that the pairs' stacks address it without a cross-stack export). */
  readonly functionName: string;
  /**
   * Publish every per-pair value as a custom metric (14 per pair) instead of log fields.
   * @default false (one metric per pair: ClusterStatus)
   */
  readonly detailedMetrics?: boolean;
  /**
   * Push: a second function from the same asset, role and environment whose only entry is the push
   * (`pushHandler`), with this much reserved concurrency so a flood of pushes can never take the scheduled
   * probes' concurrency. 0: no reservation (an account whose concurrency quota is 10 cannot reserve any).
   * @default none (push off)
   */
  readonly push?: { readonly reservedConcurrency: number };
}

/** The SendCommand statement lists instances by ARN up to this many; beyond, the policy would outgrow IAM's 10 KB. */
export const MAX_LISTED_INSTANCES = 40;

/** The DynamoDB calls the function's store makes, and nothing else. */
export const STATE_TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:UpdateItem",
  "dynamodb:DeleteItem",
  "dynamodb:Query",
] as const;

/** The name of the fleet file in the asset (the handler's FLEET_CONFIG_FILE). */
export const FLEET_FILE = "fleet.json";

export class ProbeFunction extends Construct {
  readonly function: NodejsFunction;
  /** The push entry (push on): accepts only a node's push, through that node's own alias. */
  readonly pushFunction?: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ProbeFunctionProps) {
    super(scope, id);
    const timeout = timeoutOf(props);
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `mysql-ha-prober: probe ${props.clusters.length} pair(s)`,
    });
    const fleet = fleetOf(props);
    // written at synth, copied into the asset by the bundling (the asset's hash covers it)
    const fleetDir = mkdtempSync(join(tmpdir(), "mhp-fleet-"));
    writeFileSync(join(fleetDir, FLEET_FILE), JSON.stringify(fleet));
    const options = {
      entry: new URL("../../functions/probe/handler.ts", import.meta.url).pathname,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout,
      role: this.role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      retryAttempts: 0,
      maxEventAge: Duration.minutes(1),
      onFailure: new destinations.SqsDestination(props.failureQueue),
      environment: environmentOf(props),
      bundling: bundlingWith(fleetDir),
    } satisfies NodejsFunctionProps;
    this.function = new NodejsFunction(this, "Probe", {
      ...options,
      handler: "handler",
      functionName: props.functionName,
      // no reserved concurrency: a fresh account's default quota (10) leaves none to reserve, and
      // overlapping runs are already safe (the state is committed with a conditional write)
    });
    if (props.push) {
      // the same asset (CDK stages one bundle per identical source and options), another entry point
      // no failure destination: a push is a hint, and a node flooding its alias must not fill the fleet's
      // failure queue (whose alarm pages); an expired or failed push is dropped, the schedule probes on
      const { onFailure: _scheduleOnly, ...pushOptions } = options;
      this.pushFunction = new NodejsFunction(this, "Push", {
        ...pushOptions,
        handler: "pushHandler",
        functionName: `${props.functionName}-push`,
        description: "mysql-ha-prober push: one probe of the calling node's own pair, rate-limited",
        ...(props.push.reservedConcurrency > 0
          ? { reservedConcurrentExecutions: props.push.reservedConcurrency }
          : {}),
        // each node invokes its own alias of the current version; old versions go with the stack's updates
        currentVersionOptions: { removalPolicy: RemovalPolicy.DESTROY },
      });
    }
    // the asset is bundled (and the file copied) when the function is constructed: nothing left in /tmp
    rmSync(fleetDir, { recursive: true, force: true });
    this.grant(props, fleet);
  }

  /** Least privilege: each statement names what it is for. */
  private grant(props: ProbeFunctionProps, fleet: readonly ClusterConfig[]): void {
    this.allow(
      "Logs",
      ["logs:CreateLogStream", "logs:PutLogEvents"],
      [this.logGroup.logGroupArn, `${this.logGroup.logGroupArn}:*`],
    );
    this.allow(
      "VpcNetworkInterfaces",
      [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
      ],
      ["*"],
    );
    this.grantNodeCheck(props, fleet);
    this.grantMail(props);
    props.passwordSecret.grantRead(this.role);
    props.heartbeatPasswordSecret?.grantRead(this.role);
    if (props.secretsKmsKeyArns?.length)
      this.allow("DecryptThePasswordSecrets", ["kms:Decrypt"], [...props.secretsKmsKeyArns], {
        StringEquals: { "kms:ViaService": `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
      });
    // exactly the calls the store makes (shared/adapters/dynamo-store.ts): no Scan, no batch, no streams
    this.allow("StateTable", [...STATE_TABLE_ACTIONS], [props.table.tableArn]);
    // the table's own key (tableCustomerManagedKey): the key actions CDK's table grants give (dynamodb perms.js
    // KEY_READ_ACTIONS + KEY_WRITE_ACTIONS), so narrowing the table actions takes nothing from the key
    props.table.encryptionKey?.grant(
      this.role,
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
    );
    this.allow("XRay", ["xray:PutTraceSegments", "xray:PutTelemetryRecords"], ["*"]);
    // The EC2 view of the VIP (opt-in): one read-only call; EC2's Describe calls take no resource ARNs.
    const ec2Actions = [
      ...new Set(
        fleet.flatMap((c) =>
          c.ec2
            ? [c.ec2.mode === "route-table" ? "ec2:DescribeRouteTables" : "ec2:DescribeNetworkInterfaces"]
            : [],
        ),
      ),
    ].sort();
    if (ec2Actions.length) this.allow("Ec2ViewOfTheVip", ec2Actions, ["*"]);
  }

  private allow(sid: string, actions: string[], resources: string[], conditions?: Record<string, unknown>) {
    this.role.addToPolicy(
      new iam.PolicyStatement({ sid, actions, resources, ...(conditions ? { conditions } : {}) }),
    );
  }

  /** Run Command: the node-check document on the fleet's nodes (by ARN, or by tag beyond MAX_LISTED_INSTANCES). */
  private grantNodeCheck(props: ProbeFunctionProps, fleet: readonly ClusterConfig[]): void {
    const stack = Stack.of(this);
    const instanceIds = [
      ...new Set(
        fleet.flatMap((c) =>
          [c.nodes.a.runner, c.nodes.b.runner, ...c.witnesses.map((w) => w.runner)].map((r) => {
            if (r.type !== "ssm")
              throw new ConfigError("the ProbeFunction's props", [
                `clusters[${c.name}]: every runner must be ssm in AWS (got ${r.type})`,
              ]);
            return r.instanceId;
          }),
        ),
      ),
    ];
    const instanceArn = (id: string) =>
      id.startsWith("mi-")
        ? stack.formatArn({ service: "ssm", resource: "managed-instance", resourceName: id })
        : stack.formatArn({ service: "ec2", resource: "instance", resourceName: id });
    // A large fleet's nodes by ARN would outgrow the role's inline policy (10,240 characters): beyond
    // MAX_LISTED_INSTANCES, any instance of the account, kind by kind; the document (read-only) stays named.
    const instanceArns =
      instanceIds.length <= MAX_LISTED_INSTANCES
        ? instanceIds.map(instanceArn)
        : [
            ...(instanceIds.some((id) => !id.startsWith("mi-")) ? [instanceArn("*")] : []),
            ...(instanceIds.some((id) => id.startsWith("mi-")) ? [instanceArn("mi-*")] : []),
          ];
    const documentArn = stack.formatArn({
      service: "ssm",
      resource: "document",
      resourceName: props.documentName,
    });
    if (instanceIds.length > MAX_LISTED_INSTANCES && props.nodeTag) {
      // SendCommand is authorized on the document and on each instance: two statements, the instances
      // narrowed to the fleet's tag (Systems Manager user guide, "Restricting Run Command access based on tags")
      this.allow("RunNodeCheckDocument", ["ssm:SendCommand"], [documentArn]);
      this.allow("RunNodeCheckOnTaggedNodes", ["ssm:SendCommand"], instanceArns, {
        StringEquals: { [`ssm:resourceTag/${props.nodeTag.key}`]: props.nodeTag.value },
      });
    } else this.allow("RunNodeCheckOnTheClusterNodes", ["ssm:SendCommand"], [documentArn, ...instanceArns]);
    // GetCommandInvocation, ListCommandInvocations and CancelCommand support no resource-level permissions.
    this.allow(
      "ReadAndCancelNodeCheck",
      ["ssm:GetCommandInvocation", "ssm:ListCommandInvocations", "ssm:CancelCommand"],
      ["*"],
    );
  }

  /** ses:SendEmail from the configured sender only, on its identities (and its configuration set). */
  private grantMail(props: ProbeFunctionProps): void {
    const stack = Stack.of(this);
    const identity = (name: string) =>
      stack.formatArn({ service: "ses", resource: "identity", resourceName: name });
    const domainOf = (address: string) => address.split("@")[1] ?? address;
    const sesIdentities = props.sesIdentityArns ?? [
      ...new Set(
        [props.mailFrom, domainOf(props.mailFrom), ...props.mailTo.flatMap((t) => [t, domainOf(t)])].map(
          identity,
        ),
      ),
    ];
    // SES authorizes the identities and, when the mail goes through one (named, or the identity's default),
    // the configuration set (SES developer guide, "Amazon SES API permissions reference")
    const configurationSets = props.sesConfigurationSet
      ? [
          stack.formatArn({
            service: "ses",
            resource: "configuration-set",
            resourceName: props.sesConfigurationSet,
          }),
        ]
      : [];
    this.allow("SendAlertMail", ["ses:SendEmail"], [...sesIdentities, ...configurationSets], {
      StringEquals: { "ses:FromAddress": props.mailFrom },
    });
  }
}

/**
 * The function's timeout: in sub-minute mode long enough for the window's last probe to finish, and, with
 * a consistency sweep, for its slice after it (the slice plus 13 s of reserve: SWEEP_RESERVE_MS). Without
 * sub-minute mode, 50 s leaves a 10 s slice room after a probe of up to 25 s.
 */
function timeoutOf(props: ProbeFunctionProps): Duration {
  const subMinute = props.subMinuteIntervalSeconds ?? TUNABLES.subMinuteIntervalSeconds.default;
  const rateSeconds = props.scheduleRate.toSeconds();
  const slice = Math.max(0, ...props.clusters.map((c) => c.compare?.sweep?.sliceSeconds ?? 0));
  const sweep = slice > 0 ? slice + 13 : 0;
  const timeout =
    props.timeout ??
    (subMinute > 0 ? Duration.seconds(rateSeconds + 15 + sweep) : Duration.seconds(Math.max(50, 25 + sweep)));
  if (subMinute > 0 && timeout.toSeconds() < rateSeconds + 5)
    throw new ConfigError("the ProbeFunction's props", [
      `timeout: in sub-minute mode the timeout (${timeout.toSeconds()} s) must exceed the schedule's rate (${rateSeconds} s) by 5 s or more`,
    ]);
  return timeout;
}

/** The fleet file's pairs: every ssm runner carries the deployed document's name. */
function fleetOf(props: ProbeFunctionProps): ClusterConfig[] {
  const withDocument = <R extends { runner: ClusterConfig["nodes"]["a"]["runner"] }>(n: R): R => ({
    ...n,
    runner: n.runner.type === "ssm" ? { ...n.runner, documentName: props.documentName } : n.runner,
  });
  return props.clusters.map((c) => ({
    ...c,
    nodes: { a: withDocument(c.nodes.a), b: withDocument(c.nodes.b) },
    witnesses: c.witnesses.map(withDocument),
  }));
}

/** The function's environment, typed by the function's own schema: a name it does not read does not compile. */
function environmentOf(props: ProbeFunctionProps): FunctionEnvironment {
  return {
    FLEET_CONFIG_FILE: FLEET_FILE,
    DETAILED_METRICS: String(props.detailedMetrics ?? false),
    TABLE_NAME: props.table.tableName,
    MAIL_FROM: props.mailFrom,
    MAIL_TO: props.mailTo.join(","),
    ...(props.sesConfigurationSet ? { MAIL_CONFIGURATION_SET: props.sesConfigurationSet } : {}),
    PASSWORD_SECRET_ARN: props.passwordSecret.secretArn,
    ...(props.heartbeatPasswordSecret
      ? { HEARTBEAT_PASSWORD_SECRET_ARN: props.heartbeatPasswordSecret.secretArn }
      : {}),
    SUBMINUTE_INTERVAL_SECONDS: String(
      props.subMinuteIntervalSeconds ?? TUNABLES.subMinuteIntervalSeconds.default,
    ),
    SCHEDULE_RATE_SECONDS: String(props.scheduleRate.toSeconds()),
    HISTORY_TTL_DAYS: String(props.historyTtlDays ?? HISTORY_TTL_DAYS_DEFAULT),
    // the mails link the fleet's dashboard
    ...(props.dashboardName ? { DASHBOARD_NAME: props.dashboardName } : {}),
    POWERTOOLS_SERVICE_NAME: "mysql-ha-prober",
    POWERTOOLS_METRICS_NAMESPACE: METRIC_NAMESPACE,
    NODE_OPTIONS: "--enable-source-maps",
  } satisfies FunctionEnvironment;
}

/** esbuild's options (the shared bundling contract), and the fleet file copied beside the handler. */
function bundlingWith(fleetDir: string): NodejsFunctionProps["bundling"] {
  return {
    minify: true,
    sourceMap: true,
    // stack traces map to file:line without shipping the sources
    sourcesContent: false,
    format: OutputFormat.ESM,
    target: LAMBDA_BUNDLE_TARGET,
    mainFields: [...LAMBDA_BUNDLE_MAIN_FIELDS],
    banner: LAMBDA_BUNDLE_BANNER,
    externalModules: [...LAMBDA_BUNDLE_EXTERNALS],
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_in: string, outputDir: string) => [
        `cp "${join(fleetDir, FLEET_FILE)}" "${join(outputDir, FLEET_FILE)}"`,
      ],
    },
    esbuildArgs: {
      "--alias": Object.entries(LAMBDA_BUNDLE_ALIASES).map(([from, to]) => `${from}=${to}`),
    },
  };
}
