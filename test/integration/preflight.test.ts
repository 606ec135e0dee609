/**
 * `preflight` against the account stand-in (rehearsal/account.ts): every check passes on a good
 * account, and each broken prerequisite gives its own line and exit 1. After deploy, the alarm path is
 * tried with set-alarm-state: the stand-in runs the alarm's action through the topic and key policies of
 * the synthesized template, so a topic under alias/aws/sns fails the check as it fails in AWS.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { buildApp } from "../../infra/app.ts";
import { type AccountModel, LocalAccount } from "../../rehearsal/account.ts";
import { LocalSns, readAlarmDelivery, type TopicSpec } from "../../rehearsal/sns.ts";
import { DeployedTemplate } from "../../rehearsal/template.ts";
import { cli } from "../helpers/cli.ts";

const EXAMPLE = fileURLToPath(new URL("../../infra/deploy.example.yaml", import.meta.url));
const ENV = { region: "eu-west-1", account: "123456789012" };
const NODE_A = "i-0123456789abcdef0";
const NODE_B = "i-0fedcba9876543210";
const SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mysql-ha-prober/prod-db-AbCdEf";
const dir = mkdtempSync(join(tmpdir(), "mhp-preflight-"));

/** The example deployment file with `edit` applied to its deploy block. */
function deployment(edit: (d: Record<string, unknown>) => void = () => {}): string {
  const doc = parse(readFileSync(EXAMPLE, "utf8")) as { deploy: Record<string, unknown> };
  doc.deploy.mysqlSecurityGroupIds = ["sg-0db00000000000001"];
  edit(doc.deploy);
  const file = join(dir, `deploy-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(doc));
  return file;
}

function goodAccount(alarms: AccountModel["alarms"]): AccountModel {
  return {
    region: ENV.region,
    ses: {
      productionAccess: false,
      identities: { "prober@example.com": { verified: true }, "dba-oncall@example.com": { verified: true } },
    },
    managedNodes: {
      [NODE_A]: {
        pingStatus: "Online",
        agentVersion: "3.3.4364.0",
        platformType: "Linux",
        securityGroupIds: ["sg-0db00000000000001"],
      },
      [NODE_B]: {
        pingStatus: "Online",
        agentVersion: "3.3.4364.0",
        platformType: "Linux",
        securityGroupIds: ["sg-0db00000000000001"],
      },
    },
    vpcs: {
      "vpc-0123456789abcdef0": {
        dnsSupport: true,
        dnsHostnames: true,
        endpoints: [],
        routeTables: [
          {
            id: "rtb-1",
            main: true,
            subnets: [],
            routes: [{ cidr: "0.0.0.0/0", natGatewayId: "nat-0123456789abcdef0" }],
          },
        ],
      },
    },
    securityGroups: { "sg-0db00000000000001": [] },
    secrets: { [SECRET]: { value: "s3cret" } },
    stacks: { MysqlHaProber: { outputs: { ProberTableName1A2B3C4D: "mhp-state" } } },
    items: {
      "mhp-state": {
        "cluster#prod-db|current": { status: { S: "HEALTHY" }, observedAt: { S: new Date().toISOString() } },
      },
    },
    alarms,
  };
}

let topics: TopicSpec[];
let alarms: AccountModel["alarms"];
beforeAll(() => {
  const { app } = buildApp(deployment(), new App({ outdir: join(dir, "out") }));
  app.synth();
  ({ topics, actions: alarms } = readAlarmDelivery(new DeployedTemplate(join(dir, "out"), ENV)));
}, 120_000);

let account: LocalAccount | undefined;
const saved = { ...process.env };
afterEach(async () => {
  await account?.stop();
  account = undefined;
  process.env = { ...saved };
});

async function preflight(
  edit: (m: AccountModel) => void,
  args: string[] = [],
  file = deployment(),
  topicsOf: (t: TopicSpec[]) => TopicSpec[] = (t) => t,
) {
  const model = goodAccount(alarms);
  edit(model);
  account = new LocalAccount(model, new LocalSns(topicsOf(topics), ENV, async () => {}));
  await account.start();
  Object.assign(process.env, account.env, {
    AWS_ACCESS_KEY_ID: "operator",
    AWS_SECRET_ACCESS_KEY: "operator",
    AWS_REGION: ENV.region,
  });
  delete process.env.AWS_PROFILE;
  return cli("preflight", "-d", file, "--timeout", "20s", ...args);
}

describe("preflight, before deploy", () => {
  it("a good account: every check ok, exit 0, and only read calls", async () => {
    const r = await preflight(() => {});
    expect(r.err).toBe("");
    expect(r.out).not.toMatch(/^FAIL/m);
    expect(r.out).toMatch(/^all \d+ checks passed$/m);
    expect(r.out).toMatch(
      /^ok {3}prod-db node a \(i-0123456789abcdef0\): online, Linux, SSM Agent 3\.3\.4364\.0$/m,
    );
    expect(r.code).toBe(0);
    expect(account?.calls.filter((c) => !/:(Get|Describe)/.test(c))).toEqual([]);
  });

  it.each<[string, (m: AccountModel) => void, RegExp]>([
    [
      "the sender unverified",
      (m) => (m.ses.identities["prober@example.com"] = { verified: false }),
      /^FAIL SES sender: neither prober@example\.com nor example\.com is a verified identity/m,
    ],
    [
      "a recipient unverified in the sandbox",
      (m) => delete m.ses.identities["dba-oncall@example.com"],
      /^FAIL SES recipient dba-oncall@example\.com: not verified, and the account is in the SES sandbox/m,
    ],
    [
      "a default configuration set the file does not name",
      (m) =>
        ((
          m.ses.identities["prober@example.com"] as { defaultConfigurationSet?: string }
        ).defaultConfigurationSet = "ops-mail"),
      /^FAIL SES configuration set: .*default configuration set ops-mail[\s\S]*fix: set deploy\.sesConfigurationSet: ops-mail/m,
    ],
    [
      "a node not managed by SSM",
      (m) => delete m.managedNodes[NODE_B],
      /^FAIL prod-db node b \(i-0fedcba9876543210\): not a managed node of SSM/m,
    ],
    [
      "a node's agent offline",
      (m) => ((m.managedNodes[NODE_A] as { pingStatus: string }).pingStatus = "ConnectionLost"),
      /^FAIL prod-db node a .*: SSM agent ConnectionLost/m,
    ],
    [
      "an agent too old for ENV_VAR",
      (m) => ((m.managedNodes[NODE_A] as { agentVersion: string }).agentVersion = "3.2.1630.0"),
      /^FAIL prod-db node a .*: SSM Agent 3\.2\.1630\.0 exports no SSM_\* variable/m,
    ],
    [
      "no NAT and no endpoints",
      (m) => ((m.vpcs["vpc-0123456789abcdef0"] as { routeTables: unknown[] }).routeTables = []),
      /^FAIL path to the AWS APIs: no NAT route in every function subnet, and no endpoint for dynamodb, ssm, secretsmanager, email/m,
    ],
    [
      "a secret holding JSON",
      (m) => ((m.secrets[SECRET] as { value: string }).value = '{"password":"x"}'),
      /^FAIL secret mysql-ha-prober\/prod-db-AbCdEf: holds JSON key\/value pairs/m,
    ],
    [
      "a secret under a customer managed key not listed",
      (m) =>
        ((m.secrets[SECRET] as { kmsKeyId?: string }).kmsKeyId =
          "arn:aws:kms:eu-west-1:123456789012:key/k-1"),
      /^FAIL secret .*: encrypted with the customer managed key .*k-1: the function needs kms:Decrypt/m,
    ],
    [
      "a secret that does not exist",
      (m) => delete m.secrets[SECRET],
      /^FAIL secret .*: could not be read: ResourceNotFoundException/m,
    ],
  ])("%s: its line and exit 1", async (_name, edit, line) => {
    const r = await preflight(edit);
    expect(r.out).toMatch(line);
    expect(r.out).toMatch(/^1 of \d+ checks failed$/m);
    expect(r.code).toBe(1);
  });

  it("an ssm endpoint with private DNS already in the VPC, and createVpcEndpoints asks for one: refused", async () => {
    const file = deployment((d) => {
      d.createVpcEndpoints = true;
      (d.vpc as Record<string, unknown>).privateSubnetRouteTableIds = [
        "rtb-0123456789abcdef0",
        "rtb-0fedcba9876543210",
      ];
    });
    const r = await preflight(
      (m) =>
        (m.vpcs["vpc-0123456789abcdef0"] as { endpoints: unknown[] }).endpoints.push({
          service: "ssm",
          type: "Interface",
          privateDns: true,
        }),
      [],
      file,
    );
    expect(r.out).toMatch(
      /^FAIL VPC endpoint ssm: the VPC already has one with private DNS: a second fails[\s\S]*fix: leave ssm out of createVpcEndpoints/m,
    );
    expect(r.code).toBe(1);
  });

  it("push on in an account whose concurrency quota is 10: the reserved concurrency is refused before deploy, with the fix; 1,000: ok", async () => {
    const file = deployment((d) => (d.push = true));
    const small = await preflight(
      (m) => (m.lambda = { concurrentExecutions: 10, unreservedConcurrentExecutions: 10 }),
      [],
      file,
    );
    expect(small.out).toMatch(
      /^FAIL Lambda concurrency: 2 reserved for the push function: 10 unreserved of 10: reserving 2 would leave 8, under Lambda's floor of 10/m,
    );
    expect(small.out).toMatch(/pushReservedConcurrency: 0/);
    expect(small.code).toBe(1);
    const big = await preflight(() => {}, [], file);
    expect(big.out).toMatch(
      /^ok {3}Lambda concurrency: 2 reserved for the push function: 1000 unreserved of 1000/m,
    );
    expect(account?.calls).toContain("lambda:GetAccountSettings");
  });

  it("private DNS without the VPC's DNS hostnames: refused", async () => {
    const file = deployment((d) => (d.createVpcEndpoints = ["secretsmanager", "email"]));
    const r = await preflight(
      (m) => ((m.vpcs["vpc-0123456789abcdef0"] as { dnsHostnames: boolean }).dnsHostnames = false),
      [],
      file,
    );
    expect(r.out).toMatch(
      /^FAIL VPC DNS: private DNS of interface endpoints needs enableDnsSupport and enableDnsHostnames/m,
    );
    expect(r.code).toBe(1);
  });

  it("the nodes' group not in mysqlSecurityGroupIds and the function's group made by the stack: refused", async () => {
    const r = await preflight(
      () => {},
      [],
      deployment((d) => (d.mysqlSecurityGroupIds = [])),
    );
    expect(r.out).toMatch(
      /^FAIL MySQL to prod-db node a: the stack makes the function's security group[\s\S]*fix: deploy\.mysqlSecurityGroupIds: \[sg-0db00000000000001\]/m,
    );
    expect(r.code).toBe(1);
  });

  it("the function's own group named, and the nodes' group allowing MySQL from it: ok; not allowing: refused", async () => {
    const file = deployment((d) => {
      d.mysqlSecurityGroupIds = [];
      d.securityGroupIds = ["sg-0fn00000000000001"];
    });
    const allowed = await preflight(
      (m) => {
        m.securityGroups["sg-0db00000000000001"] = [
          { protocol: "tcp", from: 3306, to: 3306, groupIds: ["sg-0fn00000000000001"] },
        ];
      },
      [],
      file,
    );
    expect(allowed.out).toMatch(
      /^ok {3}MySQL to prod-db node a: port 3306 allowed from sg-0fn00000000000001$/m,
    );
    await account?.stop();
    account = undefined;
    const closed = await preflight(() => {}, [], file);
    expect(closed.out).toMatch(
      /^FAIL MySQL to prod-db node a: no rule of sg-0db00000000000001 allows port 3306 from sg-0fn00000000000001/m,
    );
    expect(closed.code).toBe(1);
  });
});

describe("preflight --deployed", () => {
  it("after deploy: the pair probed, and the alarm path delivered (set-alarm-state, then the alarm's action history)", async () => {
    const r = await preflight(() => {}, ["--deployed", "--test-alarm"]);
    expect(r.out).toMatch(/^ok {3}prod-db: the function's probes: probed \d+ s ago, HEALTHY$/m);
    expect(r.out).toMatch(
      /^ok {3}alarm path mysql-ha-prober-fleet-FailureQueue: Successfully executed action arn:aws:sns:/m,
    );
    expect(r.code).toBe(0);
    expect(account?.calls).toContain("cloudwatch:SetAlarmState");
  });

  it("a topic under alias/aws/sns: the alarm path fails, as CloudWatch's history says", async () => {
    const r = await preflight(
      () => {},
      ["--deployed", "--test-alarm"],
      deployment(),
      (t) => t.map((x) => ({ ...x, key: { kind: "aws-managed", alias: "alias/aws/sns" } })),
    );
    expect(r.out).toMatch(
      /^FAIL alarm path mysql-ha-prober-fleet-FailureQueue: Failed to execute action arn:aws:sns:.*KMS\.AccessDeniedException/m,
    );
    expect(r.code).toBe(1);
  });

  it("a pair never probed, and a stack that does not exist", async () => {
    const never = await preflight((m) => (m.items["mhp-state"] = {}), ["--deployed"]);
    expect(never.out).toMatch(/^FAIL prod-db: the function's probes: never probed/m);
    expect(never.code).toBe(1);
    await account?.stop();
    account = undefined;
    const none = await preflight(() => {}, ["--deployed", "--stack", "Nope"]);
    expect(none.out).toMatch(
      /^FAIL the deployed stack: could not be read: .*Stack with id Nope does not exist/m,
    );
    expect(none.code).toBe(1);
  });
});
