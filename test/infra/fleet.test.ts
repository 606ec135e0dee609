/**
 * The fleet layout: a shared core and three resources per pair, sibling stacks beyond `pairsPerStack`,
 * the pairs' configurations in the function's asset, one dashboard with a pair to drill into.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import { fleetDeployment } from "../../bench/fleet-synth.ts";
import { buildApp } from "../../infra/app.ts";
import { loadDeployConfig } from "../../infra/deploy-config.ts";
import { readDeployment } from "../../rehearsal/deployment.ts";
import { RoleAuthorizer } from "../../rehearsal/iam.ts";
import { DeployedTemplate } from "../../rehearsal/template.ts";

function synthFleet(n: number, name: string, edit: (d: Record<string, unknown>) => void = () => {}) {
  const doc = parseYaml(fleetDeployment(n)) as Record<string, unknown>;
  edit(doc.deploy as Record<string, unknown>);
  const dir = mkdtempSync(join(tmpdir(), "mhp-fleet-"));
  const file = join(dir, "deploy.yaml");
  writeFileSync(file, stringifyYaml(doc, { aliasDuplicateObjects: false }));
  const outdir = fileURLToPath(new URL(`../../cdk.out/${name}`, import.meta.url));
  const { app, stack } = buildApp(file, new App({ outdir }));
  const assembly = app.synth();
  rmSync(dir, { recursive: true, force: true });
  const stacks = app.node.children.filter((c): c is Stack => c instanceof Stack);
  return { app, stack, stacks, assembly, outdir };
}
const count = (t: Template, type: string) => Object.keys(t.findResources(type)).length;
const total = (t: Template) => Object.keys(t.toJSON().Resources as object).length;

describe("the fleet layout", () => {
  it("each added pair is two alarms and a place in a schedule of up to ten pairs; the core is shared", () => {
    const one = Template.fromStack(synthFleet(1, "test-fleet-1").stack);
    const three = Template.fromStack(synthFleet(3, "test-fleet-3").stack);
    expect(total(three) - total(one)).toBe(4);
    for (const type of [
      "AWS::Lambda::Function",
      "AWS::DynamoDB::Table",
      "AWS::SSM::Document",
      "AWS::SQS::Queue",
      "AWS::SNS::Topic",
      "AWS::CloudWatch::Dashboard",
    ])
      expect(count(three, type), type).toBe(1);
    const inputs = (t: Template) =>
      Object.values(t.findResources("AWS::Scheduler::Schedule")).map(
        (r) =>
          JSON.parse((r as { Properties: { Target: { Input: string } } }).Properties.Target.Input) as unknown,
      );
    expect(inputs(three)).toEqual([{ clusters: ["pair-0001", "pair-0002", "pair-0003"] }]);
    // eleven pairs: two schedules, 10 + 1
    const eleven = Template.fromStack(synthFleet(11, "test-fleet-11").stack);
    expect(inputs(eleven).map((i) => (i as { clusters: string[] }).clusters.length)).toEqual([10, 1]);
    // one schedule per pair on request
    const own = Template.fromStack(synthFleet(3, "test-fleet-own", (d) => (d.pairsPerSchedule = 1)).stack);
    expect(inputs(own)).toEqual(["pair-0001", "pair-0002", "pair-0003"].map((c) => ({ clusters: [c] })));
    // two alarms per pair, four for the prober
    expect(count(three, "AWS::CloudWatch::Alarm")).toBe(10);
  });

  it("every pair's configuration is in the asset beside the handler, none in the environment", () => {
    const { outdir, stack } = synthFleet(3, "test-fleet-asset");
    const fn = Object.values(Template.fromStack(stack).findResources("AWS::Lambda::Function"))[0] as {
      Properties: { Environment: { Variables: Record<string, string> }; Code: { S3Key: string } };
    };
    const env = fn.Properties.Environment.Variables;
    expect(env.FLEET_CONFIG_FILE).toBe("fleet.json");
    expect(JSON.stringify(env)).not.toContain("pair-0001");
    const fleet = JSON.parse(
      readFileSync(
        join(outdir, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, "")}`, "fleet.json"),
        "utf8",
      ),
    ) as {
      name: string;
    }[];
    expect(fleet.map((p) => p.name)).toEqual(["pair-0001", "pair-0002", "pair-0003"]);
  });

  it("beyond pairsPerStack the pairs go to sibling stacks that address the function by its fixed name", () => {
    // Prepare / Act: 5 pairs, 2 per stack (cdk-nag runs in the synth: it would throw on a finding)
    const { stacks } = synthFleet(5, "test-fleet-split", (d) => {
      d.pairsPerStack = 2;
      d.pairsPerSchedule = 1;
    });
    // Assess
    expect(stacks.map((s) => s.stackName)).toEqual([
      "MysqlHaProber",
      "MysqlHaProber-Pairs2",
      "MysqlHaProber-Pairs3",
    ]);
    const [core, second, third] = stacks.map((s) => Template.fromStack(s));
    expect(count(core as Template, "AWS::Scheduler::Schedule")).toBe(2);
    expect(count(second as Template, "AWS::Scheduler::Schedule")).toBe(2);
    expect(count(third as Template, "AWS::Scheduler::Schedule")).toBe(1);
    expect(count(second as Template, "AWS::Lambda::Function")).toBe(0);
    const fnName = Object.values((core as Template).findResources("AWS::Lambda::Function")).map(
      (r) => (r as { Properties: { FunctionName: string } }).Properties.FunctionName,
    );
    expect(fnName).toEqual(["mysql-ha-prober-fleet"]);
    const target = Object.values((second as Template).findResources("AWS::Scheduler::Schedule")).map((r) =>
      JSON.stringify((r as { Properties: { Target: { Arn: unknown } } }).Properties.Target.Arn),
    );
    for (const arn of target) expect(arn).toContain(":function:mysql-ha-prober-fleet");
  });

  it("a fleet with more nodes than a policy can list may send the (named, read-only) document to any instance", () => {
    const resources = (n: number) => {
      const t = Template.fromStack(synthFleet(n, `test-fleet-iam-${n}`).stack);
      const send = Object.values(t.findResources("AWS::IAM::Policy"))
        .flatMap(
          (p) =>
            (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
              .Properties.PolicyDocument.Statement,
        )
        .find((s) => JSON.stringify(s.Action).includes("ssm:SendCommand"));
      return JSON.stringify(send?.Resource);
    };
    const twenty = resources(20); // 40 instances: listed
    expect(twenty).toContain(":instance/i-00000000000000027");
    expect(twenty).not.toContain("instance/*");
    const more = resources(21); // 42: one wildcard instead of 42 ARNs
    expect(more).toContain(":instance/*");
    expect(more).not.toContain(":instance/i-");
    expect(more).toContain(":document/mysql-ha-prober-node-check-fleet");
  });

  it("beyond 40 nodes with a node tag: SendCommand only on instances carrying it (evaluated as IAM does)", async () => {
    const { outdir } = synthFleet(
      21,
      "test-fleet-tag",
      (d) => (d.nodeTag = { key: "mysql-ha-prober", value: "prod" }),
    );
    const env = { region: "eu-west-1", account: "123456789012" };
    const fn = readDeployment(new DeployedTemplate(outdir, env)).functions[0];
    if (!fn) throw new Error("no function");
    const iam = new RoleAuthorizer(fn.roleArn, env.account, fn.policies);
    const instance = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0999999999999999f";
    const send = (tag?: string) =>
      iam.check({
        action: "ssm:SendCommand",
        resources: ["arn:aws:ssm:eu-west-1:123456789012:document/mysql-ha-prober-node-check-fleet", instance],
        ...(tag ? { context: { "ssm:resourceTag/mysql-ha-prober": tag } } : {}),
      });
    expect(await send("prod")).toBeNull();
    expect(await send("staging")).toMatch(/not authorized/);
    expect(await send()).toMatch(/not authorized/);
  });

  it("one dashboard: every pair's status by SEARCH, the pairs not HEALTHY from the log, a pair variable to drill into", () => {
    const t = Template.fromStack(synthFleet(3, "test-fleet-dash").stack);
    const bodies = Object.values(t.findResources("AWS::CloudWatch::Dashboard")).map((r) =>
      JSON.stringify((r as { Properties: { DashboardBody: unknown } }).Properties.DashboardBody),
    );
    expect(bodies).toHaveLength(1);
    const body = bodies[0] as string;
    expect(body).toContain("SEARCH('{MysqlHaProber,Cluster} MetricName=\\\\\\\"ClusterStatus\\\\\\\"'");
    expect(body).toContain('filter declared != \\\\\\"HEALTHY\\\\\\"');
    expect(body).toMatch(/"variables\\?":/);
    for (const p of ["pair-0001", "pair-0002", "pair-0003"]) expect(body).toContain(p);
    // detailed metrics are not graphed unless published
    expect(body).not.toContain("VipOwner");
  });

  it("detailed metrics: the function publishes them and the dashboard graphs them", () => {
    const t = Template.fromStack(synthFleet(1, "test-fleet-detail", (d) => (d.detailedMetrics = true)).stack);
    t.hasResourceProperties("AWS::Lambda::Function", {
      Environment: { Variables: { DETAILED_METRICS: "true" } },
    });
    const body = JSON.stringify(Object.values(t.findResources("AWS::CloudWatch::Dashboard")));
    expect(body).toContain("VipOwner");
    expect(body).toContain("ReplicationLagAtoB");
  });

  it("no dashboard when asked: no widget, no link in the mails, no output", () => {
    const t = Template.fromStack(synthFleet(1, "test-fleet-nodash", (d) => (d.dashboard = false)).stack);
    expect(count(t, "AWS::CloudWatch::Dashboard")).toBe(0);
    const fn = Object.values(t.findResources("AWS::Lambda::Function"))[0] as {
      Properties: { Environment: { Variables: Record<string, string> } };
    };
    expect(fn.Properties.Environment.Variables.DASHBOARD_NAME).toBeUndefined();
    expect(Object.keys(t.findOutputs("*")).some((k) => k.includes("DashboardUrl"))).toBe(false);
  });

  it("no dashboard: its fleet view saved as Logs Insights queries over the function's log group, the dashboard's own", () => {
    // Prepare / Act
    const t = Template.fromStack(synthFleet(2, "test-fleet-queries", (d) => (d.dashboard = false)).stack);
    // Assess: three saved queries, named under the fleet, on the function's log group
    const queries = Object.values(t.findResources("AWS::Logs::QueryDefinition")).map(
      (r) =>
        (r as { Properties: { Name: string; QueryString: string; LogGroupNames: unknown[] } }).Properties,
    );
    expect(queries.map((q) => q.Name).sort()).toEqual([
      "mysql-ha-prober/fleet/last probes",
      "mysql-ha-prober/fleet/least recently probed",
      "mysql-ha-prober/fleet/pairs not HEALTHY",
    ]);
    const logGroup = Object.keys(t.findResources("AWS::Logs::LogGroup"))[0];
    for (const q of queries) expect(JSON.stringify(q.LogGroupNames)).toContain(logGroup);
    // the same query as the dashboard's table of the pairs not HEALTHY
    const notHealthy = queries.find((q) => q.Name.endsWith("pairs not HEALTHY"))?.QueryString;
    const dash = Object.values(
      Template.fromStack(synthFleet(2, "test-fleet-queries-dash").stack).findResources(
        "AWS::CloudWatch::Dashboard",
      ),
    )[0] as { Properties: { DashboardBody: { "Fn::Join": [string, unknown[]] } } };
    // the body's JSON, its tokens (the log group's name) as a placeholder
    const body = JSON.parse(
      dash.Properties.DashboardBody["Fn::Join"][1].map((p) => (typeof p === "string" ? p : "TOKEN")).join(""),
    ) as { widgets: { properties: { title?: string; query?: string } }[] };
    const widget = body.widgets.find((w) => w.properties.title?.startsWith("Pairs not HEALTHY"));
    expect(notHealthy).toContain('filter declared != "HEALTHY"');
    expect(widget?.properties.query).toBe(`SOURCE 'TOKEN' | ${notHealthy}`);
  });

  it("with the dashboard, no saved queries (the dashboard holds them)", () => {
    const t = Template.fromStack(synthFleet(1, "test-fleet-noqueries").stack);
    expect(count(t, "AWS::Logs::QueryDefinition")).toBe(0);
  });

  it("two fleets in one account: a named fleet's pair alarms carry its name (the same pair name cannot collide); the default fleet keeps its names", () => {
    const alarmNames = (t: Template) =>
      Object.values(t.findResources("AWS::CloudWatch::Alarm")).map(
        (a) => (a as { Properties: { AlarmName: string } }).Properties.AlarmName,
      );
    const named = alarmNames(
      Template.fromStack(synthFleet(1, "test-fleet-named", (d) => (d.fleetName = "eu")).stack),
    );
    const plain = alarmNames(Template.fromStack(synthFleet(1, "test-fleet-plain").stack));
    expect(named).toContain("mysql-ha-prober-eu-pair-0001-DownOrSplitBrain");
    expect(named).toContain("mysql-ha-prober-eu-pair-0001-DeadMansSwitch");
    expect(plain).toContain("mysql-ha-prober-pair-0001-DownOrSplitBrain");
    expect(named.filter((n) => plain.includes(n))).toEqual([]);
  });

  it("a customer managed key for the table, when asked", () => {
    const t = Template.fromStack(
      synthFleet(1, "test-fleet-cmk", (d) => (d.tableCustomerManagedKey = true)).stack,
    );
    // the table's and the alarm topic's
    expect(count(t, "AWS::KMS::Key")).toBe(2);
    t.hasResourceProperties("AWS::DynamoDB::Table", {
      SSESpecification: { SSEEnabled: true, SSEType: "KMS" },
    });
    // the function may use the table's key as CDK's table grant allowed (the table actions are narrowed)
    const keyActions = Object.values(t.findResources("AWS::IAM::Policy"))
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }).Properties
            .PolicyDocument.Statement,
      )
      .flatMap((st) => [st.Action].flat())
      .filter((a) => a.startsWith("kms:"))
      .sort();
    expect(keyActions).toEqual([
      "kms:Decrypt",
      "kms:DescribeKey",
      "kms:Encrypt",
      "kms:GenerateDataKey*",
      "kms:ReEncrypt*",
    ]);
  });
});

describe("a fleet's deployment file", () => {
  it("may share settings through YAML anchors in every pair (hundreds of aliases), and an alias bomb still fails", () => {
    // Prepare: 300 pairs whose nodes share one anchored nodeCheck (600 aliases; the library stops at 100)
    const doc = parseYaml(fleetDeployment(1)) as { clusters: Record<string, unknown>[] };
    const pairs = Array.from({ length: 300 }, (_, i) => {
      const id = (n: number) => `i-${(2 * i + n).toString(16).padStart(17, "0")}`;
      return [
        `  - name: pair-${i}`,
        `    vip: { host: 10.1.${Math.floor(i / 200)}.${i % 200} }`,
        "    mysql: { user: prober, tls: { mode: disabled } }",
        "    nodes:",
        `      a: { host: 10.2.0.1, runner: { type: ssm, instanceId: ${id(0)} }, nodeCheck: *nc }`,
        `      b: { host: 10.2.0.2, runner: { type: ssm, instanceId: ${id(1)} }, nodeCheck: *nc }`,
      ].join("\n");
    });
    const deployPart = stringifyYaml({ deploy: (doc as unknown as { deploy: unknown }).deploy });
    const text = `${deployPart}x-shared:\n  nodeCheck: &nc { notifyStateFile: /var/run/keepalived.state }\nclusters:\n${pairs.join("\n")}\n`;
    const dir = mkdtempSync(join(tmpdir(), "mhp-anchors-"));
    writeFileSync(join(dir, "fleet.yaml"), text);
    // Act / Assess
    const cfg = loadDeployConfig(join(dir, "fleet.yaml"));
    expect(cfg.clusters).toHaveLength(300);
    expect(cfg.clusters[299]?.nodes.b.nodeCheck.notifyStateFile).toBe("/var/run/keepalived.state");
    // exponential expansion is still refused
    const bomb = ["a: &a [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++)
      bomb.push(
        `${"abcdefghij"[i]}: &${"abcdefghij"[i]} [${Array(10)
          .fill(`*${"abcdefghij"[i - 1]}`)
          .join(", ")}]`,
      );
    writeFileSync(join(dir, "bomb.yaml"), `${bomb.join("\n")}\n`);
    expect(() => loadDeployConfig(join(dir, "bomb.yaml"))).toThrow(/Excessive alias count/);
    rmSync(dir, { recursive: true, force: true });
  });
});
