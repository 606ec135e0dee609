/** The synthesized template: the construct's promises, asserted with aws-cdk-lib/assertions. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App, type Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { buildApp } from "../../infra/app.ts";
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

  it("schedules the pair every minute, naming it, with no retries, a short event age and a failure queue", () => {
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      ScheduleExpression: "rate(1 minute)",
      Target: {
        Input: JSON.stringify({ clusters: ["prod-db"] }),
        RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      },
    });
  });

  it("invokes asynchronously without Lambda's own retries (2) and 6 h event age: 0 retries, 60 s, failures to the queue", () => {
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it("reserves no concurrency (a fresh account's default quota has none to reserve)", () => {
    for (const fn of Object.values(template.findResources("AWS::Lambda::Function")))
      expect(
        (fn as { Properties: Record<string, unknown> }).Properties.ReservedConcurrentExecutions,
      ).toBeUndefined();
  });

  it("passes the history TTL and the schedule's rate to the function", () => {
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: Match.objectLike({ HISTORY_TTL_DAYS: "90", SCHEDULE_RATE_SECONDS: "60" }) },
    });
  });

  it("outputs the table, the function, its log group, the alarm topic and the dashboard URL", () => {
    const outputs = Object.keys(template.findOutputs("*"));
    for (const o of ["TableName", "FunctionName", "LogGroupName", "AlarmTopicArn", "DashboardUrl"])
      expect(
        outputs.some((k) => k.includes(o)),
        o,
      ).toBe(true);
  });

  it("keeps state in one on-demand table, encrypted with the AWS managed key (no key to pay for), with point-in-time recovery and TTL", () => {
    template.hasResourceProperties("AWS::DynamoDB::Table", {
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    const table = Object.values(template.findResources("AWS::DynamoDB::Table"))[0] as {
      Properties: { SSESpecification: Record<string, unknown> };
    };
    expect(table.Properties.SSESpecification.KMSMasterKeyId).toBeUndefined();
    // the only key is the alarm topic's (CloudWatch may not use alias/aws/sns)
    expect(Object.keys(template.findResources("AWS::KMS::Key"))).toEqual([
      expect.stringMatching(/^ProberAlarmsTopicKey/),
    ]);
  });

  it("the function may make exactly the store's DynamoDB calls: no Scan, no batch, no streams", () => {
    const dynamo = statements()
      .flatMap((s) => [s.Action].flat())
      .filter((a) => a.startsWith("dynamodb:"))
      .sort();
    expect(dynamo).toEqual([
      "dynamodb:DeleteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]);
  });

  it("outputs the function's security groups (the nodes' groups must allow MySQL from them)", () => {
    const outputs = Object.keys(template.findOutputs("*"));
    expect(outputs.some((k) => k.includes("FunctionSecurityGroupIds"))).toBe(true);
  });

  it("deploys the node-check document built from the script", () => {
    template.hasResourceProperties("AWS::SSM::Document", {
      DocumentType: "Command",
      Name: "mysql-ha-prober-node-check-fleet",
      Content: nodeCheckDocument(),
    });
  });

  it("the deployed document runs node-check.sh as the file on disk says, byte for byte, with its parameters", () => {
    // from the template's side and the file's side, not through the function that builds the document
    const [doc] = Object.values(template.findResources("AWS::SSM::Document")) as {
      Properties: {
        Content: { parameters: Record<string, unknown>; mainSteps: { inputs: { runCommand: string[] } }[] };
      };
    }[];
    const lines = doc?.Properties.Content.mainSteps[0]?.inputs.runCommand ?? [];
    const start = lines.findIndex((l) => /<<'[A-Z_]+'$/.test(l));
    const marker = /<<'([A-Z_]+)'$/.exec(lines[start] ?? "")?.[1] ?? "";
    const end = lines.lastIndexOf(marker);
    const onDisk = readFileSync(
      fileURLToPath(new URL("../../shared/node-check/node-check.sh", import.meta.url)),
      "utf8",
    );
    expect(`${lines.slice(start + 1, end).join("\n")}\n`).toBe(onDisk);
    const declared = [...onDisk.matchAll(/^# @param (\w+) \|/gm)].map((m) => m[1]).sort();
    expect(Object.keys(doc?.Properties.Content.parameters ?? {}).sort()).toEqual(declared);
  });

  it("allows ssm:SendCommand only with that document and only on the two configured instances", () => {
    const send = statements().filter((s) => [s.Action].flat().includes("ssm:SendCommand"));
    expect(send).toHaveLength(1);
    expect([send[0]?.Action].flat()).toEqual(["ssm:SendCommand"]);
    const resources = JSON.stringify(send[0]?.Resource);
    expect(resources).toContain(":document/mysql-ha-prober-node-check-fleet");
    expect(resources).toContain(":instance/i-0123456789abcdef0");
    expect(resources).toContain(":instance/i-0fedcba9876543210");
    expect(send[0]?.Resource as unknown[]).toHaveLength(3);
    expect(resources).not.toMatch(/"\*"|instance\/\*|document\/\*/);
  });

  it("allows ses:SendEmail only from the configured sender, on the identities SES authorizes, and reads only the one secret", () => {
    const ses = statements().filter((s) => [s.Action].flat().some((a) => a.startsWith("ses:")));
    expect(ses).toHaveLength(1);
    expect([ses[0]?.Action].flat()).toEqual(["ses:SendEmail"]);
    const identities = JSON.stringify(ses[0]?.Resource);
    // the domain, the sender's address (SES uses it when it is verified) and, for the sandbox, the recipient
    expect(identities).toContain(":identity/example.com");
    expect(identities).toContain(":identity/prober@example.com");
    expect(identities).toContain(":identity/dba-oncall@example.com");
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

  it("alarms per pair on DOWN or split brain (kept while the prober is silent) and its dead man's switch; for the fleet on errors, throttles and the failure queue", () => {
    const alarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")).map(
      (a) => (a as { Properties: Record<string, unknown> }).Properties,
    );
    const byName = (name: string) => alarms.find((a) => a.AlarmName === name);
    expect(alarms).toHaveLength(6);
    expect(byName("mysql-ha-prober-prod-db-DownOrSplitBrain")).toMatchObject({
      Namespace: "MysqlHaProber",
      MetricName: "ClusterStatus",
      Statistic: "Maximum",
      // 3 DOWN, 4 SPLIT_BRAIN
      Threshold: 3,
      ComparisonOperator: "GreaterThanOrEqualToThreshold",
      Dimensions: [{ Name: "Cluster", Value: "prod-db" }],
      TreatMissingData: "ignore",
    });
    expect(byName("mysql-ha-prober-prod-db-DeadMansSwitch")).toMatchObject({
      MetricName: "ClusterStatus",
      Statistic: "SampleCount",
      Dimensions: [{ Name: "Cluster", Value: "prod-db" }],
      TreatMissingData: "breaching",
      ComparisonOperator: "LessThanThreshold",
      Period: 60,
      EvaluationPeriods: 5,
    });
    expect(byName("mysql-ha-prober-fleet-ProberErrors")).toMatchObject({
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
    });
    expect(byName("mysql-ha-prober-fleet-ProberThrottles")).toMatchObject({
      Namespace: "AWS/Lambda",
      MetricName: "Throttles",
    });
    expect(byName("mysql-ha-prober-fleet-FailureQueue")).toMatchObject({
      Namespace: "AWS/SQS",
      MetricName: "ApproximateNumberOfMessagesVisible",
      Threshold: 1,
    });
    expect(byName("mysql-ha-prober-fleet-UnsentMail")).toMatchObject({
      Namespace: "MysqlHaProber",
      MetricName: "AlertsUnsent",
      Statistic: "Maximum",
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: "notBreaching",
    });
    template.hasResourceProperties("AWS::Logs::MetricFilter", {
      FilterPattern: '{ ($.message = "probe") && ($.mailsPending > 0) }',
      MetricTransformations: [
        { MetricNamespace: "MysqlHaProber", MetricName: "AlertsUnsent", MetricValue: "$.mailsPending" },
      ],
    });
    for (const a of alarms) expect(a.AlarmActions).toHaveLength(1);
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "dba-oncall@example.com",
    });
  });
});

describe("variants of the deployment file", () => {
  const synth = (edit: (d: Record<string, unknown>) => void, name: string) => {
    const doc = parseYaml(readFileSync(EXAMPLE, "utf8")) as Record<string, unknown>;
    edit(doc);
    const dir = mkdtempSync(join(tmpdir(), "mhp-deploy-"));
    const file = join(dir, "deploy.yaml");
    writeFileSync(file, stringifyYaml(doc));
    const built = buildApp(
      file,
      new App({ outdir: fileURLToPath(new URL(`../../cdk.out/${name}`, import.meta.url)) }),
    );
    return Template.fromStack(built.stack);
  };
  const deploy = (d: Record<string, unknown>) => d.deploy as Record<string, unknown>;
  /** The one policy statement of a template that names the action. */
  const statementWith = (t: Template, action: string) =>
    Object.values(t.findResources("AWS::IAM::Policy"))
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
            .Properties.PolicyDocument.Statement,
      )
      .find((s) => JSON.stringify(s.Action).includes(action));

  it("a 5-minute schedule: the dead man's switch counts 5-minute periods (3 of them), not 1-minute ones", () => {
    const t = synth((d) => (deploy(d).scheduleRateMinutes = 5), "test-rate5");
    t.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ClusterStatus",
      Statistic: "SampleCount",
      Period: 300,
      EvaluationPeriods: 3,
    });
  });

  it("sub-minute mode: the function's timeout covers the whole schedule window", () => {
    const t = synth((d) => (deploy(d).subMinuteIntervalSeconds = 10), "test-submin");
    t.hasResourceProperties("AWS::Lambda::Function", {
      Timeout: 75,
      Environment: {
        Variables: Match.objectLike({ SUBMINUTE_INTERVAL_SECONDS: "10", SCHEDULE_RATE_SECONDS: "60" }),
      },
    });
  });

  it("sesIdentityArns from the file replace the default identities", () => {
    const arn = "arn:aws:ses:eu-west-1:123456789012:identity/mail.example.com";
    const t = synth((d) => (deploy(d).sesIdentityArns = [arn]), "test-sesid");
    const ses = statementWith(t, "ses:SendEmail");
    expect(ses?.Resource).toEqual(arn);
  });

  it("push: its own function (reserved concurrency), one alias per node, each node bound to its own alias by its instance identity", () => {
    expect(Object.keys(template.findResources("AWS::IAM::ManagedPolicy"))).toEqual([]); // off by default
    const t = synth((d) => (deploy(d).push = true), "test-push");
    const fns = Object.values(t.findResources("AWS::Lambda::Function")).map(
      (f) => (f as { Properties: Record<string, unknown> }).Properties,
    );
    const push = fns.find((f) => f.Handler === "index.pushHandler");
    const probe = fns.find((f) => f.Handler === "index.handler");
    expect(push).toMatchObject({
      ReservedConcurrentExecutions: 2,
      Role: probe?.Role,
      Environment: probe?.Environment,
    });
    expect(probe?.ReservedConcurrentExecutions).toBeUndefined();
    const instances = ["i-0123456789abcdef0", "i-0fedcba9876543210"]; // the example's two nodes
    const aliases = Object.values(t.findResources("AWS::Lambda::Alias")).map(
      (a) => (a as { Properties: { Name: string } }).Properties.Name,
    );
    expect(aliases.sort()).toEqual(instances.map((i) => `n-${i}`).sort());
    const policies = Object.values(t.findResources("AWS::IAM::ManagedPolicy")).map(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: Record<string, unknown>[] } } }).Properties
          .PolicyDocument.Statement,
    );
    expect(policies).toHaveLength(1);
    expect(policies[0]).toEqual(
      instances.map((i) =>
        expect.objectContaining({
          Action: "lambda:InvokeFunction",
          Resource: { Ref: expect.stringMatching(/PushNode/) },
          Condition: {
            ArnEquals: {
              "ec2:SourceInstanceARN": {
                "Fn::Join": [
                  "",
                  [
                    "arn:",
                    { Ref: "AWS::Partition" },
                    ":ec2:eu-west-1:",
                    { Ref: "AWS::AccountId" },
                    `:instance/${i}`,
                  ],
                ],
              },
            },
          },
        }),
      ),
    );
    // a flood of pushes cannot fill the fleet's failure queue (its alarm pages): no destination for push
    const invokeConfigs = Object.values(t.findResources("AWS::Lambda::EventInvokeConfig")).map(
      (c) => (c as { Properties: { FunctionName: { Ref: string }; DestinationConfig?: unknown } }).Properties,
    );
    const pushConfig = invokeConfigs.find((c) => /Push/.test(c.FunctionName.Ref));
    expect(pushConfig).toMatchObject({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    expect(pushConfig?.DestinationConfig).toBeUndefined();
    expect(invokeConfigs.find((c) => /Probe/.test(c.FunctionName.Ref))?.DestinationConfig).toBeDefined();
    // nothing lets a node invoke the scheduled function
    expect(JSON.stringify(policies)).not.toMatch(/FunctionProbe/);
    const outputs = Object.keys(t.findOutputs("*"));
    for (const o of ["NodePushPolicyArn", "PushFunctionArn"])
      expect(
        outputs.some((k) => k.includes(o)),
        o,
      ).toBe(true);
  });

  it("witnesses' instances may receive the node check too", () => {
    const t = synth((d) => {
      const c = (d.clusters as Record<string, unknown>[])[0] as Record<string, unknown>;
      c.witnesses = [{ name: "app1", runner: { type: "ssm", instanceId: "i-0aaaabbbbccccdddd" } }];
    }, "test-witness");
    const send = statementWith(t, "ssm:SendCommand");
    expect(JSON.stringify(send?.Resource)).toContain(":instance/i-0aaaabbbbccccdddd");
  });

  it("VPC endpoints with the imported VPC: once for two clusters, the gateway on the given route tables", () => {
    const t = synth((d) => {
      deploy(d).createVpcEndpoints = true;
      (deploy(d).vpc as Record<string, unknown>).privateSubnetRouteTableIds = [
        "rtb-0123456789abcdef0",
        "rtb-0fedcba9876543210",
      ];
      const clusters = d.clusters as Record<string, unknown>[];
      clusters.push({ ...(clusters[0] as object), name: "second" });
    }, "test-vpce");
    const endpoints = Object.values(t.findResources("AWS::EC2::VPCEndpoint")).map(
      (r) => (r as { Properties: Record<string, unknown> }).Properties,
    );
    expect(endpoints).toHaveLength(5);
    for (const svc of ["dynamodb", "ssm", "secretsmanager", "email", "xray"])
      expect(
        endpoints.filter((e) => JSON.stringify(e.ServiceName).includes(`.${svc}`)),
        svc,
      ).toHaveLength(1);
    const gateway = endpoints.find((e) => JSON.stringify(e.ServiceName).includes(".dynamodb"));
    expect(gateway?.RouteTableIds).toEqual(["rtb-0123456789abcdef0", "rtb-0fedcba9876543210"]);
  });

  it("the EC2 view: one read-only Describe call per mode, only when on, and an EC2 API endpoint with the others", () => {
    const sid = (t: Template) =>
      Object.values(t.findResources("AWS::IAM::Policy"))
        .flatMap(
          (p) =>
            (p as { Properties: { PolicyDocument: { Statement: { Sid?: string; Action: unknown }[] } } })
              .Properties.PolicyDocument.Statement,
        )
        .filter((x) => x.Sid === "Ec2ViewOfTheVip");
    expect(sid(template)).toEqual([]);
    const secondary = synth((d) => {
      (d.clusters as Record<string, unknown>[])[0] = {
        ...(d.clusters as Record<string, unknown>[])[0],
        ec2: { mode: "secondary-ip" },
      };
    }, "test-ec2-ip");
    expect(sid(secondary)).toEqual([
      expect.objectContaining({ Action: "ec2:DescribeNetworkInterfaces", Resource: "*", Effect: "Allow" }),
    ]);
    const routes = synth((d) => {
      deploy(d).createVpcEndpoints = true;
      (deploy(d).vpc as Record<string, unknown>).privateSubnetRouteTableIds = [
        "rtb-0123456789abcdef0",
        "rtb-0fedcba9876543210",
      ];
      (d.clusters as Record<string, unknown>[])[0] = {
        ...(d.clusters as Record<string, unknown>[])[0],
        ec2: { mode: "route-table", routeTableIds: ["rtb-0123456789abcdef0"] },
      };
    }, "test-ec2-rt");
    expect(sid(routes)).toEqual([expect.objectContaining({ Action: "ec2:DescribeRouteTables" })]);
    const endpoints = Object.values(routes.findResources("AWS::EC2::VPCEndpoint")).map((r) =>
      JSON.stringify((r as { Properties: { ServiceName: unknown } }).Properties.ServiceName),
    );
    expect(endpoints.filter((n) => n.includes(".ec2"))).toHaveLength(1);
  });

  it("the EC2 view needs each node mapped: an error naming the field", () => {
    expect(() =>
      synth((d) => {
        const c = (d.clusters as Record<string, unknown>[])[0] as { nodes: { a: { runner: unknown } } };
        c.nodes.a.runner = { type: "ssm", instanceId: "mi-0123456789abcdef0" };
        (c as Record<string, unknown>).ec2 = { mode: "secondary-ip" };
      }, "test-ec2-unmapped"),
    ).toThrow(/ec2\.nodes: give ec2\.nodes\.<a\|b>\.networkInterfaceId or instanceId/);
  });

  it("VPC endpoints without route tables: an error naming the field, not a broken synth", () => {
    expect(() => synth((d) => (deploy(d).createVpcEndpoints = true), "test-vpce-bad")).toThrow(
      /vpc\.privateSubnetRouteTableIds: createVpcEndpoints needs/,
    );
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
  it("has no default deployment file: without -c config=... the app stops and says how to name one", async () => {
    const { run } = await import("../../shared/util/exec.ts");
    const cdkJson = JSON.parse(
      readFileSync(fileURLToPath(new URL("../../cdk.json", import.meta.url)), "utf8"),
    );
    expect(cdkJson.context?.config).toBeUndefined();
    const r = await run("npx", ["tsx", "infra/app.ts"], { timeoutMs: 60_000, allowFailure: true });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Name your deployment file: npx cdk deploy -c config=deploy.yaml/);
  });

  it("succeeds offline with the example deployment (cdk-nag clean), from the command line", async () => {
    const { run } = await import("../../shared/util/exec.ts");
    const out = fileURLToPath(new URL("../../cdk.out/test-cli", import.meta.url));
    const { rmSync } = await import("node:fs");
    rmSync(out, { recursive: true, force: true }); // no asset left from an earlier synth
    const r = await run(
      "npx",
      ["cdk", "synth", "--quiet", "--output", out, "-c", "config=infra/deploy.example.yaml"],
      {
        timeoutMs: 110_000,
        allowFailure: true,
        env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1", CDK_CLI_NOTICES: "false" },
      },
    );
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
    // the pairs travel in the asset, beside the handler, with the deployed document's name
    const fleet = JSON.parse(readFileSync(`${out}/${asset}/fleet.json`, "utf8")) as {
      name: string;
      nodes: { a: { runner: { documentName?: string } } };
    }[];
    expect(fleet.map((p) => p.name)).toEqual(["prod-db"]);
    expect(fleet[0]?.nodes.a.runner.documentName).toBe("mysql-ha-prober-node-check-fleet");
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
    expect(r.stdout).toMatch(/RESULT invalid configuration in the function.s environment[\s\S]*TABLE_NAME/);
  });
});
