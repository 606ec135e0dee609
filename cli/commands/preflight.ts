/**
 * `preflight -d deploy.yaml [--deployed] [--test-alarm]`: what only the account can answer, read-only with
 * the operator's credentials (the AWS SDK's default chain, the deployment file's region), one line per
 * check with its fix; exit 0 only when every check passes. Wiring only: the facts are read by
 * shared/adapters/aws-account.ts and judged by shared/domain/preflight.ts.
 */
import { Command, Option } from "commander";
import type { DeployConfig } from "../../infra/deploy-config.ts";
import type { Check, PreflightPlan } from "../../shared/domain/preflight.ts";
import { deadlineIn } from "../../shared/domain/types.ts";
import { type Io, parseDuration } from "../common.ts";

/** The APIs the function calls from its subnets, by VPC endpoint service name. */
const NEEDED_SERVICES = ["dynamodb", "ssm", "secretsmanager", "email"] as const;

export async function preflightPlanOf(cfg: DeployConfig): Promise<PreflightPlan> {
  const { endpointServices } = await import("../../infra/deploy-config.ts");
  const d = cfg.deploy;
  const ec2View = cfg.clusters.some((c) => c.ec2);
  return {
    region: d.region,
    mailFrom: d.mailFrom,
    mailTo: d.mailTo,
    ...(d.sesConfigurationSet ? { sesConfigurationSet: d.sesConfigurationSet } : {}),
    alarmEmail: d.alarmEmail,
    nodes: cfg.clusters.flatMap((c) =>
      [
        ["a", c.nodes.a.runner],
        ["b", c.nodes.b.runner],
        ...c.witnesses.map((w) => [w.name, w.runner] as const),
      ].flatMap(([node, r]) =>
        typeof r === "object" && r.type === "ssm"
          ? [{ pair: c.name, node: String(node), instanceId: r.instanceId }]
          : [],
      ),
    ),
    vpcId: d.vpc.vpcId,
    subnetIds: d.vpc.privateSubnetIds,
    createEndpoints: endpointServices(d.createVpcEndpoints),
    neededServices: [...NEEDED_SERVICES, ...(ec2View ? ["ec2"] : [])],
    secretArns: [
      d.passwordSecretArn,
      ...(d.heartbeatPasswordSecretArn ? [d.heartbeatPasswordSecretArn] : []),
    ],
    secretsKmsKeyArns: d.secretsKmsKeyArns,
    functionSecurityGroupIds: d.securityGroupIds,
    mysqlSecurityGroupIds: d.mysqlSecurityGroupIds,
    mysqlPorts: [...new Set(cfg.clusters.flatMap((c) => [c.vip.port, c.nodes.a.port, c.nodes.b.port]))].sort(
      (a, b) => a - b,
    ),
    scheduleRateMinutes: d.scheduleRateMinutes,
    pushReservedConcurrency: d.push ? d.pushReservedConcurrency : 0,
  };
}

export function renderCheck(c: Check): string {
  return `${c.ok ? "ok  " : "FAIL"} ${c.what}: ${c.detail}${c.fix ? `\n     fix: ${c.fix}` : ""}`;
}

export function preflightCommand(io: Io): Command {
  return new Command("preflight")
    .description(
      "before and after `cdk deploy`: what only the AWS account can answer (SES identities and sandbox, the nodes as SSM managed nodes and their agent, VPC endpoints and DNS, the password secrets, MySQL reachable from the function; after deploy, each pair probed and the alarm path), read-only with your credentials. Exit 0: every check passed; 1: a check failed; 3: bad usage or deployment file",
    )
    .addOption(
      new Option("-d, --deployment <file>", "the deployment file given to cdk deploy").makeOptionMandatory(),
    )
    .option("--deployed", "also check the deployed stack: its outputs, each pair's last probe")
    .option("--stack <name>", "the deployed stack's name", "MysqlHaProber")
    .option(
      "--test-alarm",
      "with --deployed: set the fleet's FailureQueue alarm to ALARM once and read its action history (the alarm address gets a test mail)",
    )
    .option("--timeout <duration>", "deadline for all the reads (e.g. 60s)", "60s")
    .action(
      async (o: {
        deployment: string;
        deployed?: boolean;
        stack: string;
        testAlarm?: boolean;
        timeout: string;
      }) => {
        const { loadDeployConfig } = await import("../../infra/deploy-config.ts");
        const cfg = loadDeployConfig(o.deployment);
        const plan = await preflightPlanOf(cfg);
        const reader = await accountReader(cfg.deploy.region, o.deployed === true);
        const fleet = cfg.deploy.fleetName ?? "fleet";
        const facts = await reader.gather(
          plan,
          deadlineIn(parseDuration(o.timeout)),
          o.deployed
            ? {
                stackName: o.stack,
                pairs: cfg.clusters.map((c) => c.name),
                ...(o.testAlarm ? { testAlarm: `mysql-ha-prober-${fleet}-FailureQueue` } : {}),
              }
            : undefined,
        );
        const { preflightChecks } = await import("../../shared/domain/preflight.ts");
        const checks = preflightChecks(plan, facts);
        for (const c of checks) io.out(renderCheck(c));
        const failed = checks.filter((c) => !c.ok).length;
        io.out(
          failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks failed`,
        );
        io.setExitCode(failed === 0 ? 0 : 1);
      },
    );
}

async function accountReader(region: string, deployed: boolean) {
  const [{ AwsAccountReader }, sesv2, ssm, ec2, sm, cfn, ddb, cw, lambda] = await Promise.all([
    import("../../shared/adapters/aws-account.ts"),
    import("@aws-sdk/client-sesv2"),
    import("@aws-sdk/client-ssm"),
    import("@aws-sdk/client-ec2"),
    import("@aws-sdk/client-secrets-manager"),
    import("@aws-sdk/client-cloudformation"),
    import("@aws-sdk/client-dynamodb"),
    import("@aws-sdk/client-cloudwatch"),
    import("@aws-sdk/client-lambda"),
  ]);
  const o = { region, maxAttempts: 3 };
  return new AwsAccountReader({
    sesv2: new sesv2.SESv2Client(o),
    ssm: new ssm.SSMClient(o),
    ec2: new ec2.EC2Client(o),
    secrets: new sm.SecretsManagerClient(o),
    lambda: new lambda.LambdaClient(o),
    ...(deployed
      ? {
          cloudformation: new cfn.CloudFormationClient(o),
          dynamodb: new ddb.DynamoDBClient(o),
          cloudwatch: new cw.CloudWatchClient(o),
        }
      : {}),
  });
}
