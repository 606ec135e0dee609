/** The synthesized template: the construct's promises, asserted with aws-cdk-lib/assertions. */
import { fileURLToPath } from "node:url";
import { App, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../infra/app.ts";
import { DASHBOARD_METRICS } from "../../infra/dashboard.ts";
import { ALARM_METRICS } from "../../infra/mysql-ha-prober.ts";
import { nodeCheckDocument } from "../../shared/node-check/document.ts";

const EXAMPLE = fileURLToPath(new URL("../../infra/deploy.example.yaml", import.meta.url));
let template: Template;
let stack: Stack;

beforeAll(() => {
  const built = buildApp(
    EXAMPLE,
    new App({ outdir: fileURLToPath(new URL("../../cdk.out/test", import.meta.url)) }),
  );
  stack = built.stack;
  template = Template.fromStack(stack);
});

const statements = () =>
  Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
    (p) =>
      (
        p as {
          Properties: {
            PolicyDocument: {
              Statement: {
                Sid?: string;
                Action: string | string[];
                Resource: unknown;
                Condition?: unknown;
              }[];
            };
          };
        }
      ).Properties.PolicyDocument.Statement,
  );

describe("MysqlHaProber template", () => {
  it("runs the function on Node 24, ARM64, 512 MB, 50 s, in the configured VPC subnets", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Runtime: "nodejs24.x",
      Architectures: ["arm64"],
      MemorySize: 512,
      Timeout: 50,
      TracingConfig: { Mode: "Active" },
      VpcConfig: {
        SubnetIds: ["subnet-0123456789abcdef0", "subnet-0fedcba9876543210"],
        SecurityGroupIds: Match.anyValue(),
      },
      Environment: {
        Variables: Match.objectLike({ SUBMINUTE_INTERVAL_SECONDS: "0", MAIL_TO: "dba-oncall@example.com" }),
      },
    });
  });

  it("schedules it every minute with no retries, a short event age and a failure queue", () => {
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "rate(1 minute)",
      Target: {
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      },
    });
  });

  it("keeps state in an on-demand, encrypted table with point-in-time recovery and TTL", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      SSESpecification: { SSEEnabled: true, SSEType: "KMS" },
    });
  });

  it("deploys the node-check document built from the script", () => {
    template.hasResourceProperties("AWS::SSM::Document", {
      DocumentType: "Command",
      Name: "mysql-ha-prober-node-check-prod-db",
      Content: nodeCheckDocument(),
    });
  });

  it("allows ssm:SendCommand only with that document and only on the two configured instances", () => {
    const send = statements().filter((s) => [s.Action].flat().includes("ssm:SendCommand"));
    expect(send).toHaveLength(1);
    expect([send[0]?.Action].flat()).toEqual(["ssm:SendCommand"]);
    const resources = JSON.stringify(send[0]?.Resource);
    expect(resources).toContain(":document/mysql-ha-prober-node-check-prod-db");
    expect(resources).toContain(":instance/i-0123456789abcdef0");
    expect(resources).toContain(":instance/i-0fedcba9876543210");
    expect(send[0]?.Resource as unknown[]).toHaveLength(3);
    expect(resources).not.toMatch(/"\*"|instance\/\*|document\/\*/);
  });

  it("allows ses:SendEmail only from the configured identity, and reads only the one secret", () => {
    const ses = statements().filter((s) => [s.Action].flat().some((a) => a.startsWith("ses:")));
    expect(ses).toHaveLength(1);
    expect([ses[0]?.Action].flat()).toEqual(["ses:SendEmail"]);
    expect(JSON.stringify(ses[0]?.Resource)).toContain(":identity/example.com");
    expect(ses[0]?.Condition).toEqual({ StringEquals: { "ses:FromAddress": "prober@example.com" } });
    const secrets = statements().filter((s) =>
      [s.Action].flat().some((a) => a.startsWith("secretsmanager:")),
    );
    expect(secrets).toHaveLength(1);
    expect(JSON.stringify(secrets[0]?.Resource)).toContain("secret:mysql-ha-prober/prod-db-AbCdEf");
    const wildcardActions = statements()
      .flatMap((s) => [s.Action].flat())
      .filter((a) => a.endsWith(":*") || a === "*");
    expect(wildcardActions).toEqual([]);
  });

  it("alarms on split brain, cluster down, prober errors, and a dead man's switch that treats missing data as breaching", () => {
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")).map(
      (a) => (a as { Properties: Record<string, unknown> }).Properties,
    );
    const byMetric = (name: string) => alarms.find((a) => a.MetricName === name);
    expect(byMetric("SplitBrain")).toMatchObject({
      Namespace: "MysqlHaProber",
      Threshold: 1,
      TreatMissingData: "notBreaching",
    });
    expect(byMetric("ClusterDown")).toMatchObject({ Threshold: 1 });
    expect(byMetric("Errors")).toMatchObject({ Namespace: "AWS/Lambda" });
    expect(byMetric("ProbeCompleted")).toMatchObject({
      TreatMissingData: "breaching",
      ComparisonOperator: "LessThanThreshold",
      EvaluationPeriods: 5,
    });
    for (const a of alarms) expect(a.AlarmActions).toHaveLength(1);
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "dba-oncall@example.com",
    });
    expect(ALARM_METRICS.every((m) => alarms.some((a) => a.MetricName === m))).toBe(true);
  });

  it("has a dashboard plotting every dashboard metric", () => {
    const body = JSON.stringify(template.findResources("AWS::CloudWatch::Dashboard"));
    for (const m of DASHBOARD_METRICS) expect(body).toContain(`\\"${m}\\"`);
  });
});

describe("cdk-nag", () => {
  it("the app synthesizes with AwsSolutions checks and no unacknowledged finding", () => {
    const { app } = buildApp(
      EXAMPLE,
      new App({ outdir: fileURLToPath(new URL("../../cdk.out/test-nag", import.meta.url)) }),
    );
    expect(() => app.synth()).not.toThrow();
  });

  it("is really active: an unacknowledged wildcard policy fails the synth", () => {
    const { app, stack: s } = buildApp(
      EXAMPLE,
      new App({ outdir: fileURLToPath(new URL("../../cdk.out/test-nag2", import.meta.url)) }),
    );
    const role = new iam.Role(s, "Careless", { assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com") });
    role.addToPolicy(new iam.PolicyStatement({ actions: ["s3:*"], resources: ["*"] }));
    expect(() => app.synth()).toThrow();
  });
});

describe("npx cdk synth", () => {
  it("succeeds offline with the example deployment (cdk-nag clean), from the command line", async () => {
    const { run } = await import("../../shared/util/exec.ts");
    const out = fileURLToPath(new URL("../../cdk.out/test-cli", import.meta.url));
    const { rmSync } = await import("node:fs");
    rmSync(out, { recursive: true, force: true }); // no asset left from an earlier synth
    const r = await run("npx", ["cdk", "synth", "--quiet", "--output", out], {
      timeoutMs: 110_000,
      allowFailure: true,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1", CDK_CLI_NOTICES: "false" },
    });
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    expect(r.stderr).not.toMatch(/ERROR/);
  });

  it("bundles a function that runs on its own: no node_modules, the AWS SDK inside, the stand-ins wired", async () => {
    // Prepare: the synthesized asset, copied where no node_modules can be found (as in Lambda)
    const { readdirSync, copyFileSync, mkdtempSync, readFileSync, statSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { run } = await import("../../shared/util/exec.ts");
    const out = fileURLToPath(new URL("../../cdk.out/test-cli", import.meta.url));
    const asset = readdirSync(out).find(
      (d) =>
        d.startsWith("asset.") &&
        statSync(`${out}/${d}`).isDirectory() &&
        readdirSync(`${out}/${d}`).includes("index.mjs"),
    );
    expect(asset).toBeDefined();
    const dir = mkdtempSync(`${tmpdir()}/mhp-bundle-`);
    copyFileSync(`${out}/${asset}/index.mjs`, `${dir}/index.mjs`);
    const code = readFileSync(`${dir}/index.mjs`, "utf8");
    // iconv-lite's CJK tables are left out, the RDS CA bundle replaced by its stand-in
    expect(code).toContain('"./tables/cp936.json"');
    expect(code).toContain("no named SSL profiles");
    expect(code).not.toContain("-----BEGIN CERTIFICATE-----");
    // Act: import it and call the handler without its configuration
    const script = `import(${JSON.stringify(`${dir}/index.mjs`)}).then((m) => m.handler({}, { getRemainingTimeInMillis: () => 50000, functionName: "f", awsRequestId: "r" })).then(() => console.log("RESULT no error"), (e) => console.log("RESULT " + e.message))`;
    const r = await run(process.execPath, ["-e", script], {
      timeoutMs: 30_000,
      allowFailure: true,
      env: { PATH: process.env.PATH, AWS_REGION: "eu-west-1" },
    });
    // Assess: it loaded (no missing module) and the handler's environment check names the variable
    expect(r.stderr).not.toMatch(/Cannot find (module|package)/);
    expect(r.stdout).toMatch(
      /RESULT invalid configuration in the function.s environment[\s\S]*CLUSTER_CONFIG/,
    );
  });
});

describe("VPC endpoints", () => {
  it("are created on request: a DynamoDB gateway and SSM, Secrets Manager, SES and X-Ray interfaces", async () => {
    const { MysqlHaProber } = await import("../../infra/mysql-ha-prober.ts");
    const ec2 = await import("aws-cdk-lib/aws-ec2");
    const sm = await import("aws-cdk-lib/aws-secretsmanager");
    const { parseConfig } = await import("../../shared/config.ts");
    const { loadDeployConfig } = await import("../../infra/deploy-config.ts");
    const cfg = loadDeployConfig(EXAMPLE);
    const app = new App({ outdir: fileURLToPath(new URL("../../cdk.out/test-vpce", import.meta.url)) });
    const s = new Stack(app, "Vpce", { env: { region: "eu-west-1", account: "123456789012" } });
    const vpc = new ec2.Vpc(s, "Vpc", {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: "iso", subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const cluster = parseConfig({ clusters: cfg.clusters }).clusters[0];
    if (!cluster) throw new Error("no cluster");
    new MysqlHaProber(s, "P", {
      cluster,
      vpc,
      passwordSecret: sm.Secret.fromSecretCompleteArn(s, "S", cfg.deploy.passwordSecretArn),
      mailFrom: "prober@example.com",
      mailTo: ["ops@example.com"],
      alarmEmail: "ops@example.com",
      createVpcEndpoints: true,
    });
    const t = Template.fromStack(s);
    const endpoints = Object.values(t.findResources("AWS::EC2::VPCEndpoint")).map((r) =>
      JSON.stringify((r as { Properties: { ServiceName: unknown } }).Properties.ServiceName),
    );
    for (const svc of ["dynamodb", "ssm", "secretsmanager", "email", "xray"]) {
      expect(
        endpoints.some((e) => e.includes(`.${svc}`)),
        svc,
      ).toBe(true);
    }
  });
});
