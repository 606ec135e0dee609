/**
 * The construct used as a library (not through the deployment file): props it cannot deploy are a
 * ConfigError naming the field, like every other configuration the project reads.
 */
import { App, Duration, Stack } from "aws-cdk-lib";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { describe, expect, it } from "vitest";
import { loadDeployConfig } from "../../infra/deploy-config.ts";
import { MysqlHaProber, type MysqlHaProberProps } from "../../infra/mysql-ha-prober.ts";
import type { ClusterConfig } from "../../shared/config.ts";
import { ConfigError } from "../../shared/domain/errors.ts";

const example = loadDeployConfig(new URL("../../infra/deploy.example.yaml", import.meta.url).pathname);

/** Builds the construct with the example's pair and `edit` applied to the props; returns what it threw. */
function build(edit: (p: { -readonly [K in keyof MysqlHaProberProps]: MysqlHaProberProps[K] }) => void) {
  const stack = new Stack(new App(), "Props", { env: { region: "eu-west-1", account: "123456789012" } });
  const props = {
    clusters: example.clusters,
    vpc: ec2.Vpc.fromVpcAttributes(stack, "Vpc", {
      vpcId: "vpc-0123456789abcdef0",
      availabilityZones: ["eu-west-1a"],
      privateSubnetIds: ["subnet-0123456789abcdef0"],
    }),
    passwordSecret: secretsmanager.Secret.fromSecretCompleteArn(stack, "S", example.deploy.passwordSecretArn),
    mailFrom: "prober@example.com",
    mailTo: ["dba@example.com"],
    alarmEmail: "dba@example.com",
  };
  edit(props);
  try {
    new MysqlHaProber(stack, "Prober", props);
  } catch (e) {
    return e;
  }
  return undefined;
}

describe("the construct's props", () => {
  const pair = example.clusters[0] as ClusterConfig;
  it.each([
    [
      "no pair",
      (p: MysqlHaProberProps & { clusters: unknown }) => (p.clusters = []),
      /clusters: give at least one cluster/,
    ],
    [
      "a name used twice",
      (p: { clusters: unknown }) => (p.clusters = [pair, pair]),
      /clusters: the name "prod-db" is used twice/,
    ],
    [
      "a runner that is not ssm",
      (p: { clusters: unknown }) =>
        (p.clusters = [
          { ...pair, nodes: { ...pair.nodes, b: { ...pair.nodes.b, runner: { type: "local" } } } },
        ]),
      /clusters\[prod-db\]\.nodes\.b\.runner: must be ssm in AWS \(got local\)/,
    ],
    [
      "pairsPerSchedule 51",
      (p: { pairsPerSchedule?: number }) => (p.pairsPerSchedule = 51),
      /pairsPerSchedule: must be an integer from 1 to 50 \(got 51\)/,
    ],
    [
      "pairsPerStack 0",
      (p: { pairsPerStack?: number }) => (p.pairsPerStack = 0),
      /pairsPerStack: must be a positive integer \(got 0\)/,
    ],
    [
      "a sub-minute timeout shorter than the rate",
      (p: { subMinuteIntervalSeconds?: number; timeout?: Duration }) => {
        p.subMinuteIntervalSeconds = 15;
        p.timeout = Duration.seconds(30);
      },
      /timeout: in sub-minute mode the timeout \(30 s\) must exceed the schedule's rate \(60 s\)/,
    ],
  ])("%s: a ConfigError naming the field", (_name, edit, message) => {
    // Act
    const error = build(edit as never);
    // Assess
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
  });

  it("the example's props build (the cases above fail for their own reason)", () => {
    expect(build(() => {})).toBeUndefined();
  });
});
