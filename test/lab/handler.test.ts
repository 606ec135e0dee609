/**
 * The Lambda handler invoked in-process against the lab, with local adapters for the store and mail.
 * Contract: every metric the dashboard and the alarms reference is one the handler really emits
 * (parsed from its EMF output).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type LocalDynamo, type LocalSes, startDynalite, startSesLocal } from "../../emulators/aws.ts";
import { labHandler, scheduledEvent } from "../../lab/function-in-process.ts";
import { Lab } from "../../lab/lab.ts";
import { METRICS } from "../../shared/metrics.ts";
import { skipLab } from "../helpers/lab-env.ts";

const skip = await skipLab();

describe.skipIf(skip)("the probe function against the lab", () => {
  const lab = new Lab({ name: "mhpt10", subnet: "198.18.110.0/24" });
  let dynamo: LocalDynamo;
  let ses: LocalSes;

  beforeAll(async () => {
    [dynamo, ses] = await Promise.all([startDynalite(), startSesLocal(), lab.up({ rebuild: true })]);
  });
  afterAll(async () => {
    await Promise.all([dynamo?.stop(), ses?.stop(), lab.down()]);
  });

  const context = (ms: number) =>
    ({
      functionName: "probe",
      awsRequestId: "req-1",
      invokedFunctionArn: "arn:aws:lambda:eu-west-1:123456789012:function:probe",
      memoryLimitInMB: "512",
      getRemainingTimeInMillis: (() => {
        const end = Date.now() + ms;
        return () => end - Date.now();
      })(),
    }) as never;

  /** The handler wired to the lab, with the test's store and mail; `env` overrides the environment. */
  const handlerFor = (env: Record<string, string>) =>
    labHandler(lab, { dynamo: dynamo.client, tableName: dynamo.tableName, ses: ses.client }, env);

  it("probes, logs structured JSON with the cluster on every line, one metric per pair (ClusterStatus; DataDifferences only once a sweep pass has finished) and the rest as fields", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      return true;
    });
    // which node won the first election is keepalived's business (usually A, the higher priority, but
    // on a loaded machine B can come up MASTER first): the metric must name the node that holds it
    const holder = (await lab.vipHolders())[0];
    let result: { cluster: string; probes: { status: string; committed: boolean }[] };
    try {
      const handler = handlerFor({ SUBMINUTE_INTERVAL_SECONDS: "0" });
      result = (await handler(scheduledEvent(lab), context(20_000))) as typeof result;
    } finally {
      spy.mockRestore();
    }
    expect(result.probes).toEqual([{ status: "HEALTHY", committed: true }]);
    const docs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const emf = docs.filter((d) => d._aws);
    const directives = emf.flatMap(
      (d) =>
        (d._aws as { CloudWatchMetrics: { Metrics: { Name: string }[]; Dimensions: string[][] }[] })
          .CloudWatchMetrics,
    );
    const emitted = new Set(directives.flatMap((m) => m.Metrics.map((x) => x.Name)));
    // a fleet pays per metric: the alarms and the dashboard read ClusterStatus (and, once the sweep of the
    // lab's pair has finished a pass, DataDifferences: this first probe comes before any)
    expect([...emitted].filter((n) => n !== "ColdStart")).toEqual([METRICS.clusterStatus]);
    // exactly the dimension set the alarms read
    for (const d of directives.filter((x) => x.Metrics.some((m) => m.Name === "ClusterStatus")))
      expect(d.Dimensions).toEqual([["Cluster"]]);
    expect(emf.find((d) => "ClusterStatus" in d)).toMatchObject({
      Cluster: "lab-mhpt10",
      ClusterStatus: 0,
      SplitBrain: 0,
      VipOwner: holder === "a" ? 1 : 2,
    });
    const logs = docs.filter((d) => d.level);
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) expect(l.cluster).toBe("lab-mhpt10");
    expect(logs.find((l) => l.message === "probe")).toMatchObject({ status: "HEALTHY", vipOwner: holder });
    expect(JSON.stringify(docs)).not.toContain("lab-prober-pw");
  });

  it("detailed metrics: every per-pair value is a metric, under {Cluster} only", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      return true;
    });
    try {
      await handlerFor({ DETAILED_METRICS: "true" })(scheduledEvent(lab), context(20_000));
    } finally {
      spy.mockRestore();
    }
    const directives = lines
      .map(
        (l) =>
          JSON.parse(l) as {
            _aws?: { CloudWatchMetrics: { Metrics: { Name: string }[]; Dimensions: string[][] }[] };
          },
      )
      .flatMap((d) => d._aws?.CloudWatchMetrics ?? []);
    const emitted = new Set(directives.flatMap((m) => m.Metrics.map((x) => x.Name)));
    for (const name of [
      METRICS.clusterStatus,
      METRICS.vipOwner,
      METRICS.mysqlUpA,
      METRICS.keepalivedUpB,
      METRICS.probeDuration,
    ])
      expect(emitted, name).toContain(name);
    for (const d of directives.filter((x) => x.Metrics.some((m) => m.Name === "VipOwner")))
      expect(d.Dimensions).toEqual([["Cluster"]]);
  });

  it("sub-minute mode probes every K seconds, never past the end of the invocation", async () => {
    const spy = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      const handler = handlerFor({ SUBMINUTE_INTERVAL_SECONDS: "2", DEADLINE_MARGIN_MS: "1000" });
      const started = Date.now();
      const r = (await handler(scheduledEvent(lab), context(9_000))) as { probes: unknown[] };
      const took = Date.now() - started;
      // 8 s of budget, a probe every 2 s, each needing up to 2 s: 3 probes, done before the deadline
      expect(r.probes.length).toBeGreaterThanOrEqual(2);
      expect(r.probes.length).toBeLessThanOrEqual(4);
      expect(took).toBeLessThan(9_000 - 1000 + 500);
    } finally {
      spy.mockRestore();
    }
  });
});
