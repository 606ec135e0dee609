/**
 * Reads what `preflight` needs from the account, read-only, with the operator's credentials: SES (v2)
 * identities and account, SSM managed nodes, the VPC's endpoints, DNS attributes and routes, the nodes'
 * security groups, the password secrets, and after deploy the stack's outputs, each pair's stored state
 * and one alarm test. The clients are passed in; every call has the deadline. A failed read becomes a
 * `{ ok: false, error }` fact (and so a failed check), never a pass.
 */
import {
  type CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from "@aws-sdk/client-cloudformation";
import {
  type CloudWatchClient,
  DescribeAlarmHistoryCommand,
  type DescribeAlarmHistoryCommandOutput,
  SetAlarmStateCommand,
} from "@aws-sdk/client-cloudwatch";
import { type DynamoDBClient, GetItemCommand, type GetItemCommandOutput } from "@aws-sdk/client-dynamodb";
import {
  DescribeInstancesCommand,
  type DescribeInstancesCommandOutput,
  DescribeRouteTablesCommand,
  type DescribeRouteTablesCommandOutput,
  DescribeSecurityGroupsCommand,
  type DescribeSecurityGroupsCommandOutput,
  DescribeVpcAttributeCommand,
  type DescribeVpcAttributeCommandOutput,
  DescribeVpcEndpointsCommand,
  type DescribeVpcEndpointsCommandOutput,
  type EC2Client,
} from "@aws-sdk/client-ec2";
import {
  GetAccountSettingsCommand,
  type GetAccountSettingsCommandOutput,
  type LambdaClient,
} from "@aws-sdk/client-lambda";
import {
  DescribeSecretCommand,
  type DescribeSecretCommandOutput,
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import {
  GetAccountCommand,
  type GetAccountCommandOutput,
  GetEmailIdentityCommand,
  type GetEmailIdentityCommandOutput,
  type SESv2Client,
} from "@aws-sdk/client-sesv2";
import {
  DescribeInstanceInformationCommand,
  type DescribeInstanceInformationCommandOutput,
  type SSMClient,
} from "@aws-sdk/client-ssm";
import type {
  IngressRule,
  NodeFacts,
  PreflightFacts,
  PreflightPlan,
  Read,
  SesIdentityFacts,
} from "../domain/preflight.ts";
import type { Deadline } from "../domain/types.ts";
import { sendBy } from "./sdk-deadline.ts";

export interface AwsAccountClients {
  sesv2: SESv2Client;
  ssm: SSMClient;
  ec2: EC2Client;
  secrets: SecretsManagerClient;
  /** Lambda's account settings (the push function's reserved concurrency). @default not read */
  lambda?: LambdaClient;
  cloudformation?: CloudFormationClient;
  dynamodb?: DynamoDBClient;
  cloudwatch?: CloudWatchClient;
}

export interface DeployedOptions {
  stackName: string;
  pairs: readonly string[];
  /** The alarm whose path is tried with set-alarm-state (the fleet's FailureQueue alarm). */
  testAlarm?: string;
  /** How long to wait for the alarm's action to show in its history. @default 30 s */
  testWaitMs?: number;
}

const read = async <T>(f: () => Promise<T>): Promise<Read<T>> => {
  try {
    return { ok: true, value: await f() };
  } catch (e) {
    const err = e as Error & { name?: string };
    return { ok: false, error: `${err.name && err.name !== "Error" ? `${err.name}: ` : ""}${err.message}` };
  }
};

const isNotFound = (e: unknown) => (e as Error).name === "NotFoundException";

export class AwsAccountReader {
  constructor(private readonly c: AwsAccountClients) {}

  async gather(plan: PreflightPlan, deadline: Deadline, deployed?: DeployedOptions): Promise<PreflightFacts> {
    const [ses, nodes, vpc, secrets, lambda] = await Promise.all([
      read(() => this.ses(plan, deadline)),
      read(() => this.nodes(plan, deadline)),
      read(() => this.vpc(plan, deadline)),
      this.secrets(plan, deadline),
      this.c.lambda && plan.pushReservedConcurrency > 0
        ? read(() => this.lambdaSettings(deadline))
        : Promise.resolve(undefined),
    ]);
    const securityGroups = nodes.ok
      ? await read(() => this.securityGroups(nodes.value, deadline))
      : ({ ok: false, error: "the nodes could not be read" } as const);
    return {
      ses,
      nodes,
      vpc,
      secrets,
      securityGroups,
      ...(lambda ? { lambda } : {}),
      ...(deployed ? { deployed: await read(() => this.deployed(deployed, deadline)) } : {}),
      now: Date.now(),
    };
  }

  private async lambdaSettings(deadline: Deadline) {
    const r = await sendBy<GetAccountSettingsCommandOutput>(
      this.c.lambda as LambdaClient,
      new GetAccountSettingsCommand({}),
      deadline,
    );
    return {
      concurrentExecutions: r.AccountLimit?.ConcurrentExecutions ?? 0,
      unreservedConcurrentExecutions: r.AccountLimit?.UnreservedConcurrentExecutions ?? 0,
    };
  }

  private async ses(plan: PreflightPlan, deadline: Deadline) {
    const account = await sendBy<GetAccountCommandOutput>(this.c.sesv2, new GetAccountCommand({}), deadline);
    const names = [...new Set([plan.mailFrom, ...plan.mailTo].flatMap((a) => [a, a.split("@")[1] ?? a]))];
    const identities: Record<string, SesIdentityFacts> = {};
    for (const name of names) {
      try {
        const r = await sendBy<GetEmailIdentityCommandOutput>(
          this.c.sesv2,
          new GetEmailIdentityCommand({ EmailIdentity: name }),
          deadline,
        );
        identities[name] = {
          verified: r.VerifiedForSendingStatus === true,
          ...(r.ConfigurationSetName ? { defaultConfigurationSet: r.ConfigurationSetName } : {}),
        };
      } catch (e) {
        if (!isNotFound(e)) throw e;
        identities[name] = { verified: false };
      }
    }
    return { productionAccess: account.ProductionAccessEnabled === true, identities };
  }

  private async nodes(plan: PreflightPlan, deadline: Deadline): Promise<Record<string, NodeFacts>> {
    const ids = [...new Set(plan.nodes.map((n) => n.instanceId))];
    const out: Record<string, NodeFacts> = {};
    for (let i = 0; i < ids.length; i += 50) {
      let token: string | undefined;
      do {
        const r = await sendBy<DescribeInstanceInformationCommandOutput>(
          this.c.ssm,
          new DescribeInstanceInformationCommand({
            Filters: [{ Key: "InstanceIds", Values: ids.slice(i, i + 50) }],
            ...(token ? { NextToken: token } : {}),
          }),
          deadline,
        );
        for (const n of r.InstanceInformationList ?? [])
          if (n.InstanceId)
            out[n.InstanceId] = {
              pingStatus: n.PingStatus ?? "unknown",
              agentVersion: n.AgentVersion ?? "0",
              platformType: n.PlatformType ?? "unknown",
            };
        token = r.NextToken;
      } while (token);
    }
    const ec2Ids = Object.keys(out).filter((id) => id.startsWith("i-"));
    if (ec2Ids.length > 0) {
      const r = await sendBy<DescribeInstancesCommandOutput>(
        this.c.ec2,
        new DescribeInstancesCommand({ InstanceIds: ec2Ids }),
        deadline,
      );
      for (const inst of (r.Reservations ?? []).flatMap((x) => x.Instances ?? []))
        if (inst.InstanceId && out[inst.InstanceId])
          (out[inst.InstanceId] as NodeFacts).securityGroupIds = (inst.SecurityGroups ?? []).flatMap((g) =>
            g.GroupId ? [g.GroupId] : [],
          );
    }
    return out;
  }

  private async vpc(plan: PreflightPlan, deadline: Deadline) {
    const attr = (Attribute: "enableDnsSupport" | "enableDnsHostnames") =>
      sendBy<DescribeVpcAttributeCommandOutput>(
        this.c.ec2,
        new DescribeVpcAttributeCommand({ VpcId: plan.vpcId, Attribute }),
        deadline,
      );
    const [support, hostnames, endpoints, tables] = await Promise.all([
      attr("enableDnsSupport"),
      attr("enableDnsHostnames"),
      sendBy<DescribeVpcEndpointsCommandOutput>(
        this.c.ec2,
        new DescribeVpcEndpointsCommand({ Filters: [{ Name: "vpc-id", Values: [plan.vpcId] }] }),
        deadline,
      ),
      sendBy<DescribeRouteTablesCommandOutput>(
        this.c.ec2,
        new DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [plan.vpcId] }] }),
        deadline,
      ),
    ]);
    const prefix = `com.amazonaws.${plan.region}.`;
    const routeTables = tables.RouteTables ?? [];
    const tableOf = (subnet: string) =>
      routeTables.find((t) => (t.Associations ?? []).some((a) => a.SubnetId === subnet)) ??
      routeTables.find((t) => (t.Associations ?? []).some((a) => a.Main));
    const hasNat = (subnet: string) =>
      (tableOf(subnet)?.Routes ?? []).some(
        (r) =>
          r.DestinationCidrBlock === "0.0.0.0/0" &&
          (r.NatGatewayId || r.InstanceId) &&
          r.State !== "blackhole",
      );
    return {
      dnsSupport: support.EnableDnsSupport?.Value === true,
      dnsHostnames: hostnames.EnableDnsHostnames?.Value === true,
      endpoints: (endpoints.VpcEndpoints ?? [])
        // (the API reference spells the states Deleted, Failed...; answers are often lower case)
        .filter(
          (e) =>
            !["deleted", "deleting", "failed", "rejected", "expired"].includes(
              String(e.State ?? "").toLowerCase(),
            ),
        )
        .filter((e) => e.ServiceName?.startsWith(prefix))
        .map((e) => ({
          service: (e.ServiceName ?? "").slice(prefix.length),
          type: e.VpcEndpointType === "Gateway" ? ("Gateway" as const) : ("Interface" as const),
          privateDns: e.PrivateDnsEnabled === true,
        })),
      natInEverySubnet: plan.subnetIds.every(hasNat),
    };
  }

  private async secrets(plan: PreflightPlan, deadline: Deadline) {
    const out: PreflightFacts["secrets"] = {};
    for (const arn of plan.secretArns)
      out[arn] = await read(async () => {
        const [d, v] = await Promise.all([
          sendBy<DescribeSecretCommandOutput>(
            this.c.secrets,
            new DescribeSecretCommand({ SecretId: arn }),
            deadline,
          ),
          sendBy<GetSecretValueCommandOutput>(
            this.c.secrets,
            new GetSecretValueCommand({ SecretId: arn }),
            deadline,
          ),
        ]);
        const s = v.SecretString;
        if (s === undefined) return { plainString: false, ...(d.KmsKeyId ? { kmsKeyId: d.KmsKeyId } : {}) };
        let json = false;
        try {
          const parsed: unknown = JSON.parse(s);
          json = typeof parsed === "object" && parsed !== null;
        } catch {}
        return { plainString: !json, ...(d.KmsKeyId ? { kmsKeyId: d.KmsKeyId } : {}) };
      });
    return out;
  }

  private async securityGroups(nodes: Record<string, NodeFacts>, deadline: Deadline) {
    const ids = [...new Set(Object.values(nodes).flatMap((n) => n.securityGroupIds ?? []))];
    const out: Record<string, IngressRule[]> = {};
    if (ids.length === 0) return out;
    const r = await sendBy<DescribeSecurityGroupsCommandOutput>(
      this.c.ec2,
      new DescribeSecurityGroupsCommand({ GroupIds: ids }),
      deadline,
    );
    for (const g of r.SecurityGroups ?? [])
      if (g.GroupId)
        out[g.GroupId] = (g.IpPermissions ?? []).map((p) => ({
          protocol: p.IpProtocol ?? "-1",
          fromPort: p.FromPort ?? 0,
          toPort: p.ToPort ?? 65535,
          groupIds: (p.UserIdGroupPairs ?? []).flatMap((x) => (x.GroupId ? [x.GroupId] : [])),
        }));
    return out;
  }

  private async deployed(o: DeployedOptions, deadline: Deadline) {
    const { cloudformation, dynamodb, cloudwatch } = this.c;
    if (!cloudformation || !dynamodb || !cloudwatch)
      throw new Error("no CloudFormation, DynamoDB or CloudWatch client");
    const stacks = await sendBy<DescribeStacksCommandOutput>(
      cloudformation,
      new DescribeStacksCommand({ StackName: o.stackName }),
      deadline,
    );
    const outputs: Record<string, string> = {};
    for (const x of stacks.Stacks?.[0]?.Outputs ?? [])
      if (x.OutputKey) outputs[x.OutputKey] = x.OutputValue ?? "";
    const output = (name: string) => Object.entries(outputs).find(([k]) => k.includes(name))?.[1];
    const table = output("TableName");
    if (!table) throw new Error(`stack ${o.stackName} has no TableName output`);
    const pairs: Record<string, Read<{ status: string; probedAt: number } | null>> = {};
    for (const pair of o.pairs)
      pairs[pair] = await read(async () => {
        const r = await sendBy<GetItemCommandOutput>(
          dynamodb,
          new GetItemCommand({
            TableName: table,
            Key: { pk: { S: `cluster#${pair}` }, sk: { S: "current" } },
            ConsistentRead: true,
          }),
          deadline,
        );
        if (!r.Item) return null;
        return { status: r.Item.status?.S ?? "?", probedAt: Date.parse(r.Item.observedAt?.S ?? "") || 0 };
      });
    const alarmTests = o.testAlarm
      ? [await this.testAlarm(cloudwatch, o.testAlarm, o.testWaitMs ?? 30_000, deadline)]
      : [];
    return { outputs, pairs, alarmTests };
  }

  /** set-alarm-state ALARM on the alarm, then its action history: delivered to SNS, or why not. */
  private async testAlarm(cw: CloudWatchClient, alarm: string, waitMs: number, deadline: Deadline) {
    const since = new Date(Date.now() - 1000);
    await sendBy(
      cw,
      new SetAlarmStateCommand({
        AlarmName: alarm,
        StateValue: "ALARM",
        StateReason:
          "mysql-ha-prober preflight: a test of the alarm path (it returns to its real state at its next evaluation)",
      }),
      deadline,
    );
    const until = Date.now() + waitMs;
    while (Date.now() < until) {
      const h = await sendBy<DescribeAlarmHistoryCommandOutput>(
        cw,
        new DescribeAlarmHistoryCommand({ AlarmName: alarm, HistoryItemType: "Action", StartDate: since }),
        deadline,
      );
      const item = (h.AlarmHistoryItems ?? [])[0];
      if (item?.HistorySummary) {
        const ok = item.HistorySummary.startsWith("Successfully executed action");
        return {
          alarm,
          outcome: ok ? ("delivered" as const) : ("failed" as const),
          detail: item.HistorySummary,
        };
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    return {
      alarm,
      outcome: "no-action" as const,
      detail: `no action in the alarm's history within ${waitMs / 1000} s`,
    };
  }
}
