/**
 * The account as `preflight` reads it, for the rehearsal and the tests: SES v2 (GetAccount,
 * GetEmailIdentity), SSM (DescribeInstanceInformation), EC2 (DescribeInstances, DescribeVpcAttribute,
 * DescribeVpcEndpoints, DescribeRouteTables, DescribeSecurityGroups), Secrets Manager (DescribeSecret,
 * GetSecretValue), CloudFormation (DescribeStacks), DynamoDB (GetItem) and CloudWatch (SetAlarmState,
 * DescribeAlarmHistory) and Lambda (GetAccountSettings), each on its own loopback endpoint in the service's own protocol (REST JSON, JSON
 * 1.0/1.1, EC2 and AWS Query XML), answered from an AccountModel. SetAlarmState runs the alarm's actions
 * through LocalSns (the topic and key policies from the template), and the alarm's history says what CloudWatch
 * says: "Successfully executed action <topic>" or "Failed to execute action <topic>. Received error: ...".
 * Not emulated: pagination beyond one page, filters other than the ones preflight sends.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type LoopbackEndpoints, serveOnLoopback } from "./loopback.ts";
import type { AlarmActions, LocalSns } from "./sns.ts";

export interface AccountModel {
  region: string;
  ses: {
    productionAccess: boolean;
    identities: Record<string, { verified: boolean; defaultConfigurationSet?: string }>;
  };
  managedNodes: Record<
    string,
    { pingStatus: string; agentVersion: string; platformType: string; securityGroupIds?: string[] }
  >;
  vpcs: Record<
    string,
    {
      dnsSupport: boolean;
      dnsHostnames: boolean;
      endpoints: { service: string; type: "Interface" | "Gateway"; privateDns: boolean; state?: string }[];
      routeTables: {
        id: string;
        main: boolean;
        subnets: string[];
        routes: { cidr: string; natGatewayId?: string; gatewayId?: string }[];
      }[];
    }
  >;
  securityGroups: Record<string, { protocol: string; from: number; to: number; groupIds: string[] }[]>;
  secrets: Record<string, { value: string; kmsKeyId?: string }>;
  stacks: Record<string, { outputs: Record<string, string> }>;
  /** DynamoDB items by table, then by `pk|sk`. */
  items: Record<string, Record<string, Record<string, { S: string }>>>;
  /** The template's alarms and where they notify. */
  alarms: AlarmActions[];
  /** Lambda's AccountLimit: the concurrency quota and what is left unreserved. @default 1000 and 1000 */
  lambda?: { concurrentExecutions: number; unreservedConcurrentExecutions: number };
}

type Reply = { status: number; headers: Record<string, string>; body: string };
type Handler = (req: {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}) => Reply;

const EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/";
const CFN_NS = "http://cloudformation.amazonaws.com/doc/2010-05-15/";
const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const json = (body: unknown, type = "application/x-amz-json-1.1"): Reply => ({
  status: 200,
  headers: { "content-type": type },
  body: JSON.stringify(body),
});
const jsonError = (
  status: number,
  code: string,
  message: string,
  type = "application/x-amz-json-1.1",
): Reply => ({
  status,
  headers: { "content-type": type, "x-amzn-errortype": code },
  body: JSON.stringify({ __type: code, message }),
});
const xml = (body: string): Reply => ({ status: 200, headers: { "content-type": "text/xml" }, body });
const ec2Ok = (root: string, inner: string) =>
  xml(
    `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${EC2_NS}"><requestId>${randomUUID()}</requestId>${inner}</${root}>`,
  );
const ec2Err = (code: string, message: string): Reply => ({
  status: 400,
  headers: { "content-type": "text/xml" },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${esc(message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`,
});
const item = (inner: string) => `<item>${inner}</item>`;
const tag = (name: string, v: string | number | boolean | undefined) =>
  v === undefined ? "" : `<${name}>${esc(String(v))}</${name}>`;

/** EC2 query lists: `Name.N` values. */
function listOf(input: Record<string, string>, name: string): string[] {
  return Object.entries(input)
    .filter(([k]) => new RegExp(`^${name}\\.\\d+$`).test(k))
    .map(([, v]) => v);
}
function filterOf(input: Record<string, string>, name: string): string[] | null {
  for (const [k, v] of Object.entries(input)) {
    const m = /^Filter\.(\d+)\.Name$/.exec(k);
    if (m && v === name) return listOf(input, `Filter.${m[1]}.Value`);
  }
  return null;
}

export class LocalAccount {
  private served: LoopbackEndpoints | undefined;
  /** AWS_ENDPOINT_URL_<SERVICE> -> URL, once started. */
  readonly env: Record<string, string> = {};
  readonly history: { alarm: string; at: number; summary: string }[] = [];
  /** Calls answered, "service:Operation" (a read-only command makes only read calls, and SetAlarmState). */
  readonly calls: string[] = [];
  private readonly pending: Promise<unknown>[] = [];

  constructor(
    readonly model: AccountModel,
    private readonly sns?: LocalSns,
  ) {}

  async start(): Promise<void> {
    const services: [string, Handler][] = [
      ["SESV2", (r) => this.sesv2(r)],
      ["SSM", (r) => this.ssm(r)],
      ["EC2", (r) => this.ec2(r)],
      ["SECRETS_MANAGER", (r) => this.secrets(r)],
      ["CLOUDFORMATION", (r) => this.cloudformation(r)],
      ["DYNAMODB", (r) => this.dynamodb(r)],
      ["CLOUDWATCH", (r) => this.cloudwatch(r)],
      ["LAMBDA", (r) => this.lambda(r)],
    ];
    this.served = await serveOnLoopback(
      services.map(([name, handle]) => [name, (req, res) => void this.serve(handle, req, res)] as const),
    );
    Object.assign(this.env, this.served.env);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.pending);
    await this.served?.stop();
  }

  private async serve(handle: Handler, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let reply: Reply;
    try {
      reply = handle({
        method: req.method ?? "GET",
        path: req.url ?? "/",
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString("utf8"),
      });
    } catch (e) {
      reply = jsonError(500, "InternalFailure", (e as Error).message);
    }
    res.writeHead(reply.status, { "x-amzn-requestid": randomUUID(), ...reply.headers });
    res.end(reply.body);
  }

  private target(r: { headers: Record<string, string>; body: string }, service: string) {
    const op = (r.headers["x-amz-target"] ?? "").split(".").pop() ?? "";
    this.calls.push(`${service}:${op}`);
    return { op, input: (r.body ? JSON.parse(r.body) : {}) as Record<string, unknown> };
  }

  private query(r: { body: string }, service: string) {
    const input = Object.fromEntries(new URLSearchParams(r.body).entries());
    this.calls.push(`${service}:${input.Action}`);
    return { op: input.Action ?? "", input };
  }

  /** Lambda, REST JSON: GET /2016-08-19/account-settings (GetAccountSettings). */
  private lambda(r: { method: string; path: string }): Reply {
    const path = r.path.split("?")[0] ?? "";
    if (r.method !== "GET" || path.replace(/\/$/, "") !== "/2016-08-19/account-settings")
      return jsonError(404, "ResourceNotFoundException", `${r.method} ${path} is not emulated`);
    this.calls.push("lambda:GetAccountSettings");
    const l = this.model.lambda ?? { concurrentExecutions: 1000, unreservedConcurrentExecutions: 1000 };
    return json(
      {
        AccountLimit: {
          ConcurrentExecutions: l.concurrentExecutions,
          UnreservedConcurrentExecutions: l.unreservedConcurrentExecutions,
          CodeSizeUnzipped: 262_144_000,
          CodeSizeZipped: 52_428_800,
          TotalCodeSize: 80_530_636_800,
        },
        AccountUsage: { FunctionCount: 0, TotalCodeSize: 0 },
      },
      "application/json",
    );
  }

  /** SES v2, REST JSON: GET /v2/email/account, GET /v2/email/identities/{identity}. */
  private sesv2(r: { method: string; path: string }): Reply {
    const path = decodeURIComponent(r.path.split("?")[0] ?? "");
    const type = "application/json";
    if (r.method === "GET" && path === "/v2/email/account") {
      this.calls.push("sesv2:GetAccount");
      return json({ ProductionAccessEnabled: this.model.ses.productionAccess, SendingEnabled: true }, type);
    }
    const m = /^\/v2\/email\/identities\/(.+)$/.exec(path);
    if (r.method === "GET" && m) {
      this.calls.push("sesv2:GetEmailIdentity");
      const id = this.model.ses.identities[m[1] as string];
      if (!id) return jsonError(404, "NotFoundException", `Email identity ${m[1]} does not exist.`, type);
      return json(
        {
          IdentityType: (m[1] as string).includes("@") ? "EMAIL_ADDRESS" : "DOMAIN",
          VerifiedForSendingStatus: id.verified,
          VerificationStatus: id.verified ? "SUCCESS" : "PENDING",
          ...(id.defaultConfigurationSet ? { ConfigurationSetName: id.defaultConfigurationSet } : {}),
        },
        type,
      );
    }
    return jsonError(400, "BadRequestException", `${r.method} ${path} is not emulated`, type);
  }

  private ssm(r: { headers: Record<string, string>; body: string }): Reply {
    const { op, input } = this.target(r, "ssm");
    if (op !== "DescribeInstanceInformation")
      return jsonError(400, "UnknownOperationException", `${op} is not emulated`);
    const filter = (input.Filters as { Key: string; Values: string[] }[] | undefined)?.find(
      (f) => f.Key === "InstanceIds",
    );
    const ids = filter?.Values ?? Object.keys(this.model.managedNodes);
    return json({
      InstanceInformationList: ids.flatMap((id) => {
        const n = this.model.managedNodes[id];
        return n
          ? [
              {
                InstanceId: id,
                PingStatus: n.pingStatus,
                AgentVersion: n.agentVersion,
                PlatformType: n.platformType,
              },
            ]
          : [];
      }),
    });
  }

  private ec2(r: { body: string }): Reply {
    const { op, input } = this.query(r, "ec2");
    const vpcOf = (id: string | undefined) => (id ? this.model.vpcs[id] : undefined);
    switch (op) {
      case "DescribeVpcAttribute": {
        const v = vpcOf(input.VpcId);
        if (!v) return ec2Err("InvalidVpcID.NotFound", `The vpc ID '${input.VpcId}' does not exist`);
        const attr = input.Attribute === "enableDnsSupport" ? "enableDnsSupport" : "enableDnsHostnames";
        return ec2Ok(
          "DescribeVpcAttributeResponse",
          `${tag("vpcId", input.VpcId)}<${attr}>${tag("value", attr === "enableDnsSupport" ? v.dnsSupport : v.dnsHostnames)}</${attr}>`,
        );
      }
      case "DescribeVpcEndpoints": {
        const vpc = filterOf(input, "vpc-id")?.[0];
        const v = vpcOf(vpc);
        const items = (v?.endpoints ?? []).map((e, i) =>
          item(
            `${tag("vpcEndpointId", `vpce-${i}`)}${tag("vpcEndpointType", e.type)}${tag("vpcId", vpc)}${tag("serviceName", `com.amazonaws.${this.model.region}.${e.service}`)}${tag("state", e.state ?? "available")}${tag("privateDnsEnabled", e.privateDns)}`,
          ),
        );
        return ec2Ok("DescribeVpcEndpointsResponse", `<vpcEndpointSet>${items.join("")}</vpcEndpointSet>`);
      }
      case "DescribeRouteTables": {
        const vpc = filterOf(input, "vpc-id")?.[0];
        const items = (vpcOf(vpc)?.routeTables ?? []).map((t) => routeTableItem(t, vpc));
        return ec2Ok("DescribeRouteTablesResponse", `<routeTableSet>${items.join("")}</routeTableSet>`);
      }
      case "DescribeInstances": {
        const ids = listOf(input, "InstanceId");
        const unknown = ids.filter((id) => !this.model.managedNodes[id]);
        if (unknown.length)
          return ec2Err(
            "InvalidInstanceID.NotFound",
            `The instance IDs '${unknown.join(", ")}' do not exist`,
          );
        const instances = ids.map((id) =>
          item(
            `${tag("instanceId", id)}<groupSet>${(this.model.managedNodes[id]?.securityGroupIds ?? []).map((g) => item(`${tag("groupId", g)}${tag("groupName", g)}`)).join("")}</groupSet>`,
          ),
        );
        return ec2Ok(
          "DescribeInstancesResponse",
          `<reservationSet>${item(`${tag("reservationId", "r-1")}<instancesSet>${instances.join("")}</instancesSet>`)}</reservationSet>`,
        );
      }
      case "DescribeSecurityGroups": {
        const ids = listOf(input, "GroupId");
        const unknown = ids.filter((id) => !this.model.securityGroups[id]);
        if (unknown.length)
          return ec2Err("InvalidGroup.NotFound", `The security group '${unknown[0]}' does not exist`);
        const groups = ids.map((id) => securityGroupItem(id, this.model.securityGroups[id] ?? []));
        return ec2Ok(
          "DescribeSecurityGroupsResponse",
          `<securityGroupInfo>${groups.join("")}</securityGroupInfo>`,
        );
      }
      default:
        return ec2Err("InvalidAction", `${op} is not emulated`);
    }
  }

  private secrets(r: { headers: Record<string, string>; body: string }): Reply {
    const { op, input } = this.target(r, "secretsmanager");
    const id = String(input.SecretId ?? "");
    const s = this.model.secrets[id];
    if (!s)
      return jsonError(400, "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    if (op === "DescribeSecret")
      return json({ ARN: id, Name: id.split(":")[6], ...(s.kmsKeyId ? { KmsKeyId: s.kmsKeyId } : {}) });
    if (op === "GetSecretValue") return json({ ARN: id, SecretString: s.value, VersionId: "v1" });
    return jsonError(400, "UnknownOperationException", `${op} is not emulated`);
  }

  private cloudformation(r: { body: string }): Reply {
    const { op, input } = this.query(r, "cloudformation");
    if (op !== "DescribeStacks") return jsonError(400, "InvalidAction", `${op} is not emulated`);
    const stack = this.model.stacks[input.StackName ?? ""];
    if (!stack)
      return {
        status: 400,
        headers: { "content-type": "text/xml" },
        body: `<ErrorResponse xmlns="${CFN_NS}"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${esc(input.StackName ?? "")} does not exist</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
      };
    const outputs = Object.entries(stack.outputs)
      .map(([k, v]) => `<member>${tag("OutputKey", k)}${tag("OutputValue", v)}</member>`)
      .join("");
    return xml(
      `<DescribeStacksResponse xmlns="${CFN_NS}"><DescribeStacksResult><Stacks><member>${tag("StackName", input.StackName)}${tag("StackId", `arn:aws:cloudformation:${this.model.region}:123456789012:stack/${input.StackName}/1`)}${tag("StackStatus", "CREATE_COMPLETE")}${tag("CreationTime", new Date().toISOString())}<Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata>${tag("RequestId", randomUUID())}</ResponseMetadata></DescribeStacksResponse>`,
    );
  }

  private dynamodb(r: { headers: Record<string, string>; body: string }): Reply {
    const { op, input } = this.target(r, "dynamodb");
    const type = "application/x-amz-json-1.0";
    if (op !== "GetItem") return jsonError(400, "UnknownOperationException", `${op} is not emulated`, type);
    const table = this.model.items[String(input.TableName)];
    if (!table) return jsonError(400, "ResourceNotFoundException", "Requested resource not found", type);
    const key = input.Key as Record<string, { S: string }>;
    const found = table[`${key.pk?.S}|${key.sk?.S}`];
    return json(found ? { Item: found } : {}, type);
  }

  private cloudwatch(r: { headers: Record<string, string>; body: string }): Reply {
    const { op, input } = this.target(r, "cloudwatch");
    const type = "application/x-amz-json-1.0";
    const name = String(input.AlarmName ?? "");
    const alarm = this.model.alarms.find((a) => a.alarm === name);
    if (op === "SetAlarmState") {
      if (!alarm) return jsonError(404, "ResourceNotFound", `Alarm ${name} not found`, type);
      const state = String(input.StateValue);
      if (this.sns)
        this.pending.push(
          this.sns.publishAlarm(alarm, state, "OK", String(input.StateReason ?? "")).then((ds) => {
            for (const d of ds)
              this.history.push({
                alarm: name,
                at: Date.now(),
                summary: d.delivered
                  ? `Successfully executed action ${d.topic}`
                  : `Failed to execute action ${d.topic}. Received error: "${d.reason}"`,
              });
          }),
        );
      return json({}, type);
    }
    if (op === "DescribeAlarmHistory") {
      const since = Number(input.StartDate ?? 0) * 1000;
      return json(
        {
          AlarmHistoryItems: this.history
            .filter((h) => h.alarm === name && h.at >= since)
            .reverse()
            .map((h) => ({
              AlarmName: h.alarm,
              Timestamp: h.at / 1000,
              HistoryItemType: "Action",
              HistorySummary: h.summary,
            })),
        },
        type,
      );
    }
    return jsonError(400, "UnknownOperationException", `${op} is not emulated`, type);
  }
}

type RouteTable = NonNullable<AccountModel["vpcs"][string]>["routeTables"][number];
type Permission = NonNullable<AccountModel["securityGroups"][string]>[number];

/** One route table of DescribeRouteTables: its routes and its associations (the main one, the subnets). */
function routeTableItem(t: RouteTable, vpc: string | undefined): string {
  return item(
    `${tag("routeTableId", t.id)}${tag("vpcId", vpc)}<routeSet>${t.routes
      .map((x) =>
        item(
          `${tag("destinationCidrBlock", x.cidr)}${tag("natGatewayId", x.natGatewayId)}${tag("gatewayId", x.gatewayId)}${tag("state", "active")}`,
        ),
      )
      .join("")}</routeSet><associationSet>${[
      ...(t.main
        ? [
            item(
              `${tag("routeTableAssociationId", `rtbassoc-${t.id}`)}${tag("routeTableId", t.id)}${tag("main", true)}`,
            ),
          ]
        : []),
      ...t.subnets.map((s) =>
        item(
          `${tag("routeTableAssociationId", `rtbassoc-${s}`)}${tag("routeTableId", t.id)}${tag("subnetId", s)}${tag("main", false)}`,
        ),
      ),
    ].join("")}</associationSet>`,
  );
}

/** One security group of DescribeSecurityGroups, with its ingress permissions. */
function securityGroupItem(id: string, permissions: readonly Permission[]): string {
  return item(
    `${tag("groupId", id)}${tag("groupName", id)}<ipPermissions>${permissions
      .map((p) =>
        item(
          `${tag("ipProtocol", p.protocol)}${tag("fromPort", p.from)}${tag("toPort", p.to)}<groups>${p.groupIds.map((g) => item(tag("groupId", g))).join("")}</groups>`,
        ),
      )
      .join("")}</ipPermissions>`,
  );
}
