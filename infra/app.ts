/**
 * The CDK app: `npx cdk deploy -c config=deploy.yaml`. One MysqlHaProber for every pair in the file
 * (the shared core in stack MysqlHaProber, each pair's schedule and alarms there too up to
 * `pairsPerStack`, then in MysqlHaProber-Pairs2...); VPC endpoints once, on request. cdk-nag's
 * AwsSolutions checks run at synth.
 */
import { readFileSync } from "node:fs";
import { App, Duration, Stack, Validations } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { AwsSolutionsChecks } from "cdk-nag";
import { ConfigError } from "../shared/domain/errors.ts";
import { ProberVpcEndpoints } from "./constructs/vpc-endpoints.ts";
import { type DeployConfig, endpointServices, loadDeployConfig } from "./deploy-config.ts";
import { MysqlHaProber } from "./mysql-ha-prober.ts";

export function buildApp(configFile: string, app = new App()): { app: App; stack: Stack } {
  const cfg = loadDeployConfig(configFile);
  const d = cfg.deploy;
  const stack = new Stack(app, "MysqlHaProber", {
    env: { region: d.region, ...(d.account ? { account: d.account } : {}) },
    description: "mysql-ha-prober: health prober for keepalived + MySQL dual-master pairs",
  });
  const vpc = ec2.Vpc.fromVpcAttributes(stack, "Vpc", {
    vpcId: d.vpc.vpcId,
    availabilityZones: d.vpc.availabilityZones,
    privateSubnetIds: d.vpc.privateSubnetIds,
    ...(d.vpc.privateSubnetRouteTableIds
      ? { privateSubnetRouteTableIds: d.vpc.privateSubnetRouteTableIds }
      : {}),
  });
  if (!d.vpc.privateSubnetRouteTableIds) {
    Validations.of(vpc).acknowledge({
      id: "Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId",
      reason: "The VPC is imported for placing the function only; its route tables are not used.",
    });
  }
  const subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
  const securityGroups = functionSecurityGroups(stack, vpc, d.securityGroupIds);
  addVpcEndpoints(stack, vpc, subnets, securityGroups, cfg);
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, "PasswordSecret", d.passwordSecretArn);
  const heartbeatSecret = d.heartbeatPasswordSecretArn
    ? secretsmanager.Secret.fromSecretCompleteArn(
        stack,
        "HeartbeatPasswordSecret",
        d.heartbeatPasswordSecretArn,
      )
    : undefined;
  new MysqlHaProber(stack, "Prober", {
    clusters: cfg.clusters.map(withCaInline),
    ...(d.fleetName ? { fleetName: d.fleetName } : {}),
    pairsPerStack: d.pairsPerStack,
    pairsPerSchedule: d.pairsPerSchedule,
    detailedMetrics: d.detailedMetrics,
    dashboard: d.dashboard,
    tableCustomerManagedKey: d.tableCustomerManagedKey,
    vpc,
    vpcSubnets: subnets,
    securityGroups,
    passwordSecret: secret,
    ...(heartbeatSecret ? { heartbeatPasswordSecret: heartbeatSecret } : {}),
    mailFrom: d.mailFrom,
    mailTo: d.mailTo,
    ...(d.sesIdentityArns ? { sesIdentityArns: d.sesIdentityArns } : {}),
    ...(d.sesConfigurationSet ? { sesConfigurationSet: d.sesConfigurationSet } : {}),
    ...(d.secretsKmsKeyArns.length ? { secretsKmsKeyArns: d.secretsKmsKeyArns } : {}),
    ...(d.nodeTag ? { nodeTag: d.nodeTag } : {}),
    ...(d.mysqlSecurityGroupIds.length
      ? {
          mysqlSecurityGroups: d.mysqlSecurityGroupIds.map((id, i) =>
            ec2.SecurityGroup.fromSecurityGroupId(stack, `MysqlSg${i}`, id, { mutable: true }),
          ),
        }
      : {}),
    alarmEmail: d.alarmEmail,
    scheduleRate: Duration.minutes(d.scheduleRateMinutes),
    subMinuteIntervalSeconds: d.subMinuteIntervalSeconds,
    historyTtlDays: d.historyTtlDays,
    push: d.push,
    pushReservedConcurrency: d.pushReservedConcurrency,
    ...(d.deadMansSwitchMinutes !== undefined ? { deadMansSwitchMinutes: d.deadMansSwitchMinutes } : {}),
    ...(d.memorySize !== undefined ? { memorySize: d.memorySize } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  const app = new App();
  const file = app.node.tryGetContext("config") as string | undefined;
  if (!file) {
    console.error(
      "Name your deployment file: npx cdk deploy -c config=deploy.yaml (infra/deploy.example.yaml shows every field).",
    );
    process.exit(1);
  }
  try {
    buildApp(file, app);
    app.synth();
  } catch (e) {
    // a deployment file's problems as one line each, with their path: never a stack trace
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(1);
    }
    throw e;
  }
}

/**
 * The function has no file system of the deployer's: a CA given as a file in the deployment file is
 * read at synth and travels inline (PEM) in the function's cluster configuration.
 */
export function withCaInline<C extends { mysql: { tls: { mode: string; ca?: string; caFile?: string } } }>(
  c: C,
): C {
  const t = c.mysql.tls;
  if (!t.caFile) return c;
  const { caFile, ...rest } = t;
  return { ...c, mysql: { ...c.mysql, tls: { ...rest, ca: t.ca ?? readFileSync(caFile, "utf8") } } };
}

/** One security group for every probe function, unless the file names its own. */
function functionSecurityGroups(stack: Stack, vpc: ec2.IVpc, ids: readonly string[]): ec2.ISecurityGroup[] {
  return ids.length
    ? ids.map((id, i) => ec2.SecurityGroup.fromSecurityGroupId(stack, `Sg${i}`, id))
    : [
        new ec2.SecurityGroup(stack, "ProberFunctions", {
          vpc,
          description: "mysql-ha-prober functions: egress to MySQL and the AWS APIs",
          allowAllOutbound: true,
        }),
      ];
}

/** The VPC endpoints the deployment file asks for (createVpcEndpoints), HTTPS from the functions only. */
function addVpcEndpoints(
  stack: Stack,
  vpc: ec2.IVpc,
  subnets: ec2.SubnetSelection,
  securityGroups: readonly ec2.ISecurityGroup[],
  cfg: DeployConfig,
): void {
  const d = cfg.deploy;
  const endpoints = endpointServices(d.createVpcEndpoints);
  if (endpoints.length === 0) return;
  const endpointSg = new ec2.SecurityGroup(stack, "ProberEndpoints", {
    vpc,
    description: "mysql-ha-prober VPC endpoints: HTTPS from the probe functions",
    allowAllOutbound: false,
  });
  for (const sg of securityGroups)
    endpointSg.addIngressRule(sg, ec2.Port.tcp(443), "HTTPS from the probe functions");
  new ProberVpcEndpoints(stack, "Endpoints", {
    vpc,
    subnets,
    securityGroups: [endpointSg],
    services:
      d.createVpcEndpoints === true && cfg.clusters.some((c) => c.ec2) ? [...endpoints, "ec2"] : endpoints,
  });
}
