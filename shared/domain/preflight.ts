/**
 * `preflight`: what only the account can answer before (and after) `cdk deploy`, decided from facts read
 * with the operator's credentials (shared/adapters/aws-account.ts). Pure: a plan (from the deployment
 * file) and the facts in, one check per line out, each with its fix. A fact that could not be read is a
 * failed check naming why, never a pass.
 */

/** What the deployment file asks for, as the checks need it. */
export interface PreflightPlan {
  readonly region: string;
  readonly mailFrom: string;
  readonly mailTo: readonly string[];
  readonly sesConfigurationSet?: string;
  readonly alarmEmail: string;
  /** Every SSM managed node of every pair and witness. */
  readonly nodes: readonly { pair: string; node: string; instanceId: string }[];
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  /** The VPC endpoints the file asks the stack to create (createVpcEndpoints). */
  readonly createEndpoints: readonly string[];
  /** The APIs the function calls, by endpoint service name (ec2 only with the EC2 view). */
  readonly neededServices: readonly string[];
  readonly secretArns: readonly string[];
  readonly secretsKmsKeyArns: readonly string[];
  /** The function's groups when the file names them (else the stack makes one: known after deploy). */
  readonly functionSecurityGroupIds: readonly string[];
  /** The nodes' groups the stack adds the MySQL rule to. */
  readonly mysqlSecurityGroupIds: readonly string[];
  readonly mysqlPorts: readonly number[];
  /** Minutes between scheduled probes. */
  readonly scheduleRateMinutes: number;
  /** The push function's reserved concurrency (0: push off, or none reserved). */
  readonly pushReservedConcurrency: number;
}

/** A value read from the account, or why it could not be. */
export type Read<T> = { ok: true; value: T } | { ok: false; error: string };

export interface SesIdentityFacts {
  verified: boolean;
  /** The identity's default configuration set (SES v2 GetEmailIdentity). */
  defaultConfigurationSet?: string;
}

export interface NodeFacts {
  /** Online, ConnectionLost, Inactive (DescribeInstanceInformation PingStatus). */
  pingStatus: string;
  agentVersion: string;
  platformType: string;
  /** The security groups of the node's instance (EC2 instances only). */
  securityGroupIds?: string[];
}

export interface IngressRule {
  fromPort: number;
  toPort: number;
  /** "-1" for every protocol. */
  protocol: string;
  groupIds: string[];
}

export interface PreflightFacts {
  ses: Read<{ productionAccess: boolean; identities: Record<string, SesIdentityFacts> }>;
  nodes: Read<Record<string, NodeFacts>>;
  vpc: Read<{
    dnsSupport: boolean;
    dnsHostnames: boolean;
    endpoints: { service: string; type: "Interface" | "Gateway"; privateDns: boolean }[];
    /** A default route (0.0.0.0/0) through a NAT gateway or instance in every function subnet. */
    natInEverySubnet: boolean;
  }>;
  secrets: Record<string, Read<{ plainString: boolean; kmsKeyId?: string }>>;
  /** Ingress rules of every group the nodes are in. */
  securityGroups: Read<Record<string, IngressRule[]>>;
  /** Lambda's account settings (GetAccountSettings AccountLimit). @default not read (older callers) */
  lambda?: Read<{ concurrentExecutions: number; unreservedConcurrentExecutions: number }>;
  /** After deploy. */
  deployed?: Read<{
    outputs: Record<string, string>;
    /** Each pair's stored state: its status and when it was last probed (epoch ms). */
    pairs: Record<string, Read<{ status: string; probedAt: number } | null>>;
    /** Each alarm path tried (set-alarm-state): the alarm's action history after it. */
    alarmTests: { alarm: string; outcome: "delivered" | "failed" | "no-action"; detail: string }[];
  }>;
  now: number;
}

export interface Check {
  ok: boolean;
  what: string;
  detail: string;
  fix?: string;
}

/** SSM Agent versions from this one export ENV_VAR parameters (AWS's parameter troubleshooting page). */
export const MIN_AGENT_VERSION = "3.3.2746.0";

export function versionAtLeast(v: string, min: string): boolean {
  const a = v.split(".").map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

const failedRead = (what: string, error: string, fix: string): Check => ({
  ok: false,
  what,
  detail: `could not be read: ${error}`,
  // no credentials at all: every read fails alike, and the fix is the same for all
  fix: /CredentialsProviderError|Could not load credentials/.test(error)
    ? "give the command AWS credentials of the account (AWS_PROFILE, aws sso login, or an instance role) and its region"
    : fix,
});

const domainOf = (address: string) => address.split("@")[1] ?? address;

/** The identity SES uses for an address: the address when verified, else its domain. */
function identityOf(
  ids: Record<string, SesIdentityFacts>,
  address: string,
): [string, SesIdentityFacts | undefined] {
  if (ids[address]?.verified) return [address, ids[address]];
  return [domainOf(address), ids[domainOf(address)]];
}

export function sesChecks(plan: PreflightPlan, facts: PreflightFacts): Check[] {
  if (!facts.ses.ok)
    return [
      failedRead(
        "SES",
        facts.ses.error,
        "allow ses:GetAccount and ses:GetEmailIdentity to the operator, check the region",
      ),
    ];
  const { identities, productionAccess } = facts.ses.value;
  const [senderId, sender] = identityOf(identities, plan.mailFrom);
  const out: Check[] = [
    sender?.verified
      ? { ok: true, what: "SES sender", detail: `${plan.mailFrom} is verified (identity ${senderId})` }
      : {
          ok: false,
          what: "SES sender",
          detail: `neither ${plan.mailFrom} nor ${domainOf(plan.mailFrom)} is a verified identity in ${plan.region}`,
          fix: `verify it: aws sesv2 create-email-identity --email-identity ${plan.mailFrom} --region ${plan.region}`,
        },
    { ok: true, what: "SES account", detail: productionAccess ? "production access" : "in the sandbox" },
  ];
  if (!productionAccess)
    for (const to of [...new Set([...plan.mailTo])]) {
      const [, r] = identityOf(identities, to);
      out.push(
        r?.verified
          ? { ok: true, what: `SES recipient ${to}`, detail: "verified (the sandbox requires it)" }
          : {
              ok: false,
              what: `SES recipient ${to}`,
              detail: "not verified, and the account is in the SES sandbox: SES rejects every mail to it",
              fix: `verify it, or request production access (aws sesv2 put-account-details)`,
            },
      );
    }
  const set = sender?.defaultConfigurationSet;
  if (set && set !== plan.sesConfigurationSet)
    out.push({
      ok: false,
      what: "SES configuration set",
      detail: `identity ${senderId} has the default configuration set ${set}: SES authorizes every mail on it too, and the role may not use it`,
      fix: `set deploy.sesConfigurationSet: ${set}`,
    });
  else
    out.push({
      ok: true,
      what: "SES configuration set",
      detail: set ? `${set}, named in the deployment file` : "none by default",
    });
  return out;
}

export function nodeChecks(plan: PreflightPlan, facts: PreflightFacts): Check[] {
  if (!facts.nodes.ok)
    return [
      failedRead(
        "SSM managed nodes",
        facts.nodes.error,
        "allow ssm:DescribeInstanceInformation to the operator",
      ),
    ];
  return plan.nodes.map(({ pair, node, instanceId }) => {
    const what = `${pair} node ${node} (${instanceId})`;
    const n = facts.nodes.ok ? facts.nodes.value[instanceId] : undefined;
    if (!n)
      return {
        ok: false,
        what,
        detail: "not a managed node of SSM in this region",
        fix: "install and register the SSM Agent (an instance profile allowing SSM, or a hybrid activation)",
      };
    if (n.pingStatus !== "Online")
      return {
        ok: false,
        what,
        detail: `SSM agent ${n.pingStatus}`,
        fix: "start the SSM Agent on the node and check its path to SSM",
      };
    if (n.platformType !== "Linux")
      return {
        ok: false,
        what,
        detail: `platform ${n.platformType}`,
        fix: "the node check runs on Linux only",
      };
    if (!versionAtLeast(n.agentVersion, MIN_AGENT_VERSION))
      return {
        ok: false,
        what,
        detail: `SSM Agent ${n.agentVersion} exports no SSM_* variable (interpolationType ENV_VAR needs ${MIN_AGENT_VERSION}): every node check would fail`,
        fix: "update the agent: aws ssm send-command --document-name AWS-UpdateSSMAgent",
      };
    return { ok: true, what, detail: `online, Linux, SSM Agent ${n.agentVersion}` };
  });
}

export function vpcChecks(plan: PreflightPlan, facts: PreflightFacts): Check[] {
  if (!facts.vpc.ok)
    return [
      failedRead(
        `VPC ${plan.vpcId}`,
        facts.vpc.error,
        "allow ec2:DescribeVpcEndpoints, ec2:DescribeVpcAttribute and ec2:DescribeRouteTables to the operator",
      ),
    ];
  const v = facts.vpc.value;
  const out: Check[] = [];
  const existing = (s: string) => v.endpoints.find((e) => e.service === s);
  for (const s of plan.createEndpoints) {
    const e = existing(s);
    if (e && (e.type === "Gateway" || e.privateDns))
      out.push({
        ok: false,
        what: `VPC endpoint ${s}`,
        detail: `the VPC already has one${e.privateDns ? " with private DNS" : ""}: a second fails (conflicting DNS domain)`,
        fix: `leave ${s} out of createVpcEndpoints (list only the missing ones)`,
      });
  }
  const interfaces = plan.createEndpoints.filter((s) => s !== "dynamodb").length;
  const privateDnsUsed = interfaces > 0 || v.endpoints.some((e) => e.privateDns);
  if (privateDnsUsed && !(v.dnsSupport && v.dnsHostnames))
    out.push({
      ok: false,
      what: "VPC DNS",
      detail: `private DNS of interface endpoints needs enableDnsSupport and enableDnsHostnames (support ${v.dnsSupport}, hostnames ${v.dnsHostnames})`,
      fix: `aws ec2 modify-vpc-attribute --vpc-id ${plan.vpcId} --enable-dns-hostnames`,
    });
  if (!v.natInEverySubnet) {
    const missing = plan.neededServices.filter((s) => !existing(s) && !plan.createEndpoints.includes(s));
    out.push(
      missing.length > 0
        ? {
            ok: false,
            what: "path to the AWS APIs",
            detail: `no NAT route in every function subnet, and no endpoint for ${missing.join(", ")}`,
            fix: `createVpcEndpoints: [${missing.join(", ")}], or a NAT gateway`,
          }
        : { ok: true, what: "path to the AWS APIs", detail: "every API the function calls has an endpoint" },
    );
  } else out.push({ ok: true, what: "path to the AWS APIs", detail: "a NAT route in every function subnet" });
  return out;
}

export function secretChecks(plan: PreflightPlan, facts: PreflightFacts): Check[] {
  return plan.secretArns.map((arn) => {
    const what = `secret ${arn.split(":").slice(6).join(":")}`;
    const r = facts.secrets[arn];
    if (!r?.ok)
      return failedRead(
        what,
        r?.error ?? "not read",
        "check the ARN (the full ARN, with its suffix) and the operator's secretsmanager:GetSecretValue",
      );
    if (!r.value.plainString)
      return {
        ok: false,
        what,
        detail: "holds JSON key/value pairs, not the password as a plain string",
        fix: "store the password alone, as plain text",
      };
    const key = r.value.kmsKeyId;
    if (
      key &&
      !key.includes("alias/aws/secretsmanager") &&
      !plan.secretsKmsKeyArns.some((k) => k === key || k.endsWith(key))
    )
      return {
        ok: false,
        what,
        detail: `encrypted with the customer managed key ${key}: the function needs kms:Decrypt on it`,
        fix: `add it to deploy.secretsKmsKeyArns, and allow the function's role in the key policy`,
      };
    return { ok: true, what, detail: "readable, a plain string" };
  });
}

/** The nodes' groups let the function's groups reach every MySQL port. */
export function networkChecks(plan: PreflightPlan, facts: PreflightFacts): Check[] {
  if (!facts.securityGroups.ok || !facts.nodes.ok)
    return [
      failedRead(
        "MySQL from the function",
        !facts.securityGroups.ok ? facts.securityGroups.error : "the nodes could not be read",
        "allow ec2:DescribeInstances and ec2:DescribeSecurityGroups to the operator",
      ),
    ];
  const groups = facts.securityGroups.value;
  const fnGroups = [...plan.functionSecurityGroupIds];
  const nodeFacts = facts.nodes.value;
  const out: Check[] = [];
  for (const { pair, node, instanceId } of plan.nodes) {
    const what = `MySQL to ${pair} node ${node}`;
    const sgs = nodeFacts[instanceId]?.securityGroupIds;
    if (!sgs) {
      out.push({ ok: true, what, detail: "not an EC2 instance: its firewall is not checked here" });
      continue;
    }
    if (sgs.some((g) => plan.mysqlSecurityGroupIds.includes(g))) {
      out.push({ ok: true, what, detail: "the stack adds the rule (mysqlSecurityGroupIds)" });
      continue;
    }
    if (fnGroups.length === 0) {
      out.push({
        ok: false,
        what,
        detail:
          "the stack makes the function's security group, and no group of this node is in mysqlSecurityGroupIds: the first probes fail",
        fix: `deploy.mysqlSecurityGroupIds: [${sgs[0] ?? "sg-..."}]`,
      });
      continue;
    }
    const allows = (port: number) =>
      sgs.some((g) =>
        (groups[g] ?? []).some(
          (r) =>
            (r.protocol === "-1" || (r.protocol === "tcp" && r.fromPort <= port && port <= r.toPort)) &&
            r.groupIds.some((id) => fnGroups.includes(id)),
        ),
      );
    const closed = plan.mysqlPorts.filter((p) => !allows(p));
    out.push(
      closed.length === 0
        ? { ok: true, what, detail: `port ${plan.mysqlPorts.join(", ")} allowed from ${fnGroups.join(", ")}` }
        : {
            ok: false,
            what,
            detail: `no rule of ${sgs.join(", ")} allows port ${closed.join(", ")} from ${fnGroups.join(", ")}`,
            fix: `deploy.mysqlSecurityGroupIds: [${sgs[0]}], or aws ec2 authorize-security-group-ingress --group-id ${sgs[0]} --protocol tcp --port ${closed[0]} --source-group ${fnGroups[0]}`,
          },
    );
  }
  return out;
}

export function deployedChecks(plan: PreflightPlan, facts: PreflightFacts): Check[] {
  if (!facts.deployed) return [];
  if (!facts.deployed.ok)
    return [
      failedRead(
        "the deployed stack",
        facts.deployed.error,
        "deploy it (npx cdk deploy -c config=...), or name it with --stack",
      ),
    ];
  const d = facts.deployed.value;
  const out: Check[] = [];
  const staleAfter = Math.max(3, 3 * plan.scheduleRateMinutes) * 60_000;
  for (const [pair, r] of Object.entries(d.pairs)) {
    const what = `${pair}: the function's probes`;
    if (!r.ok)
      out.push(failedRead(what, r.error, "allow dynamodb:GetItem on the state table to the operator"));
    else if (!r.value)
      out.push({
        ok: false,
        what,
        detail: "never probed",
        fix: "see the function's log group and the failure queue",
      });
    else if (facts.now - r.value.probedAt > staleAfter)
      out.push({
        ok: false,
        what,
        detail: `last probed ${Math.round((facts.now - r.value.probedAt) / 60_000)} minutes ago (status ${r.value.status})`,
        fix: "see the function's log group and the failure queue",
      });
    else
      out.push({
        ok: true,
        what,
        detail: `probed ${Math.round((facts.now - r.value.probedAt) / 1000)} s ago, ${r.value.status}`,
      });
  }
  for (const t of d.alarmTests)
    out.push(
      t.outcome === "delivered"
        ? { ok: true, what: `alarm path ${t.alarm}`, detail: t.detail }
        : {
            ok: false,
            what: `alarm path ${t.alarm}`,
            detail: t.detail,
            fix:
              t.outcome === "no-action"
                ? "the alarm ran no action: check its actions"
                : "the topic's key policy must allow cloudwatch.amazonaws.com, and its topic policy must allow it to publish",
          },
    );
  return out;
}

/**
 * Reserved concurrency for the push function: Lambda lets a function reserve only what leaves the
 * account's unreserved concurrency at 100 or more ("You can reserve up to the Unreserved account
 * concurrency value minus 100", Lambda developer guide, configuration-concurrency), the whole quota below
 * 100 (the error then names [10], [50]): a new account's quota of 10 cannot reserve any, and the
 * deployment fails on the function.
 */
export function lambdaChecks(plan: PreflightPlan, facts: PreflightFacts): Check[] {
  const reserve = plan.pushReservedConcurrency;
  if (reserve === 0 || !facts.lambda) return [];
  const what = `Lambda concurrency: ${reserve} reserved for the push function`;
  if (!facts.lambda.ok)
    return [failedRead(what, facts.lambda.error, "allow the command lambda:GetAccountSettings")];
  const { concurrentExecutions: quota, unreservedConcurrentExecutions: free } = facts.lambda.value;
  const floor = Math.min(100, quota);
  const left = free - reserve;
  return [
    left >= floor
      ? { ok: true, what, detail: `${free} unreserved of ${quota}: ${left} left for the other functions` }
      : {
          ok: false,
          what,
          detail: `${free} unreserved of ${quota}: reserving ${reserve} would leave ${left}, under Lambda's floor of ${floor}; the deployment would fail on the push function`,
          fix: "set pushReservedConcurrency: 0 in the deployment file (push then shares the account's pool), or request a higher 'Concurrent executions' quota (Service Quotas, AWS Lambda)",
        },
  ];
}

/** Every check, in the order an operator fixes things. */
export function preflightChecks(plan: PreflightPlan, facts: PreflightFacts): Check[] {
  return [
    ...sesChecks(plan, facts),
    ...nodeChecks(plan, facts),
    ...vpcChecks(plan, facts),
    ...secretChecks(plan, facts),
    ...lambdaChecks(plan, facts),
    ...networkChecks(plan, facts),
    ...deployedChecks(plan, facts),
  ];
}
