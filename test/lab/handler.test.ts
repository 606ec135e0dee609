/**
 * The Lambda handler invoked in-process against the lab, with local adapters for the store and mail.
 * Contract: every metric the dashboard and the alarms reference is one the handler really emits
 * (parsed from its EMF output).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { Lab } from "../../lab/lab.ts";
import { METRICS } from "../../shared/metrics.ts";
import { type LocalDynamo, type LocalSes, startDynalite, startSesLocal } from "../helpers/emulators.ts";
import { skipLab } from "../helpers/lab-env.ts";
import { labHandler } from "../helpers/lab-handler.ts";

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

  it("probes, logs structured JSON with the cluster on every line, and emits every metric the dashboard and alarms use", async () => {
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
      result = await handler({}, context(20_000));
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
    for (const name of Object.values(METRICS)) expect(emitted, name).toContain(name);
    // exactly the dimension set the alarms read
    for (const d of directives.filter((x) => x.Metrics.some((m) => m.Name === "SplitBrain")))
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

  it("sub-minute mode probes every K seconds, never past the end of the invocation", async () => {
    const spy = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      const handler = handlerFor({ SUBMINUTE_INTERVAL_SECONDS: "2", DEADLINE_MARGIN_MS: "1000" });
      const started = Date.now();
      const r = await handler({}, context(9_000));
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
