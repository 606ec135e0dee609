/**
 * The CDK app: `npx cdk deploy -c config=deploy.yaml`. One stack; one MysqlHaProber (function,
 * schedule, table, document, dashboard, alarms) per cluster in the file. cdk-nag's AwsSolutions
 * checks run at synth.
 */
import { App, Duration, Stack, Validations } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { AwsSolutionsChecks } from "cdk-nag";
import { loadDeployConfig } from "./deploy-config.ts";
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
  });
  Validations.of(vpc).acknowledge({
    id: "Annotation::@aws-cdk/aws-ec2:noSubnetRouteTableId",
    reason: "The VPC is imported for placing the function only; its route tables are not used.",
  });
  const securityGroups = d.securityGroupIds.map((id, i) =>
    ec2.SecurityGroup.fromSecurityGroupId(stack, `Sg${i}`, id),
  );
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, "PasswordSecret", d.passwordSecretArn);
  for (const c of cfg.clusters) {
    new MysqlHaProber(stack, `Cluster-${c.name}`, {
      cluster: c,
      vpc,
      ...(securityGroups.length ? { securityGroups } : {}),
      passwordSecret: secret,
      mailFrom: d.mailFrom,
      mailTo: d.mailTo,
      alarmEmail: d.alarmEmail,
      scheduleRate: Duration.minutes(d.scheduleRateMinutes),
      subMinuteIntervalSeconds: d.subMinuteIntervalSeconds,
      createVpcEndpoints: d.createVpcEndpoints,
    });
  }
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop() ?? "")) {
  const app = new App();
  const file = (app.node.tryGetContext("config") as string | undefined) ?? "infra/deploy.example.yaml";
  buildApp(file, app);
  app.synth();
}
