/**
 * The metric contract, checked from both ends' real outputs: the alarms and widgets of the synthesized
 * template (namespace, metric, exact dimension set) against the EMF the handler writes when built from
 * the template's own environment. CloudWatch matches an alarm on the exact dimension set, so a series
 * the function emits under another set is one no alarm ever sees.
 */
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parseEnv } from "../../functions/probe/env.ts";
import { buildHandler } from "../../functions/probe/handler.ts";
import { buildApp } from "../../infra/app.ts";
import { LocalCloudWatch } from "../../rehearsal/cloudwatch.ts";
import { type Deployment, readDeployment } from "../../rehearsal/deployment.ts";
import { DeployedTemplate } from "../../rehearsal/template.ts";
import { METRIC_NAMESPACE } from "../../shared/metrics.ts";
import { nodesView, sqlView } from "../helpers/cluster.ts";
import { memoryStore, ScriptedCluster } from "../helpers/fake-ports.ts";

const EXAMPLE = fileURLToPath(new URL("../../infra/deploy.example.yaml", import.meta.url));
const OUT = fileURLToPath(new URL("../../cdk.out/test-contract", import.meta.url));
let deployment: Deployment;

beforeAll(() => {
  const { app } = buildApp(EXAMPLE, new App({ outdir: OUT }));
  app.synth();
  deployment = readDeployment(new DeployedTemplate(OUT, { region: "eu-west-1", account: "123456789012" }));
});

describe("the metric contract between the function and the template", () => {
  const lines: string[] = [];
  let spy: ReturnType<typeof vi.spyOn>;
  beforeAll(async () => {
    // Prepare: the handler from the template's environment, the cluster's views scripted, healthy
    const fn = deployment.functions[0];
    if (!fn) throw new Error("no function in the template");
    const cluster = new ScriptedCluster(sqlView("a"), nodesView("a"));
    spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      return true;
    });
    // the fleet file the function reads is the asset's own (Lambda sets LAMBDA_TASK_ROOT to the asset)
    // SES refuses the mails of the last invocations: they stay in the outbox (what UnsentMail watches)
    let sesRefuses = false;
    const handler = buildHandler(parseEnv({ ...fn.environment, LAMBDA_TASK_ROOT: fn.assetDir }), {
      sql: cluster.probe,
      nodeCheckers: { a: cluster.checker("a"), b: cluster.checker("b") },
      store: memoryStore(),
      notifier: {
        send: async () => {
          if (sesRefuses) throw new Error("MessageRejected: Email address is not verified");
          return undefined;
        },
      },
    });
    // Act: invocations as the pair's schedule makes them (its input, from the template): healthy, then
    // a split brain whose mails SES refuses
    const invoke = (i: number) =>
      handler(fn.schedules[0]?.input, {
        functionName: fn.name,
        awsRequestId: `contract-${i}`,
        invokedFunctionArn: fn.arn,
        memoryLimitInMB: "512",
        getRemainingTimeInMillis: () => 20_000,
      } as never);
    await invoke(0);
    sesRefuses = true;
    cluster.set(sqlView("a"), nodesView("both"));
    for (let i = 1; i <= 3; i++) await invoke(i);
  });
  afterAll(() => spy?.mockRestore());

  it("every alarm and widget on the prober's namespace reads a series the function emits, with its exact dimension set", () => {
    // Assess
    const cw = new LocalCloudWatch([], 1);
    // the log group's metric filters from the template, applied as CloudWatch Logs does
    for (const f of deployment.metricFilters) cw.addMetricFilter(f);
    for (const l of lines) cw.ingestLogLine(l);
    const wanted = [
      ...deployment.alarms.map((a) => ({
        what: `alarm ${a.name}`,
        namespace: a.namespace,
        name: a.metricName,
        dims: Object.fromEntries(a.dimensions.map((d) => [d.Name, d.Value])),
      })),
      ...deployment.widgets.map((w) => ({ what: `widget ${w.widget}`, ...w })),
    ].filter((s) => s.namespace === METRIC_NAMESPACE);
    // two alarms per pair and the dashboard's status graphs (every pair by SEARCH, the selected pair)
    expect(wanted.length).toBeGreaterThanOrEqual(4);
    for (const s of wanted)
      expect(
        cw.series(s.namespace, s.name, s.dims).length,
        `${s.what}: ${s.name} ${JSON.stringify(s.dims)}`,
      ).toBeGreaterThan(0);
  });

  it("the function emits its pair metrics under {Cluster} only (no default `service` dimension)", () => {
    const cw = new LocalCloudWatch([], 1);
    for (const l of lines) cw.ingestLogLine(l);
    const sets = new Set(
      cw.datapoints
        .filter((d) => d.namespace === METRIC_NAMESPACE && d.name !== "ColdStart")
        .map((d) => Object.keys(d.dims).sort().join(",")),
    );
    expect([...sets]).toEqual(["Cluster"]);
  });
});
