/**
 * The consistency sweep through the pipeline, on dynalite (the state table's conditional writes) and
 * aws-ses-v2-local: slices after the probes find the rows the nodes hold differently; the next probe turns
 * them into a DATA_DIVERGENCE incident (one mail, naming the rows and where the repair SQL comes from),
 * the summary `status` prints and the DataDifferences metric.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamo, type LocalSes, startDynalite, startSesLocal } from "../../emulators/aws.ts";
import { DynamoStore } from "../../shared/adapters/dynamo-store.ts";
import { SesNotifier } from "../../shared/adapters/ses-notifier.ts";
import { sweepSlice } from "../../shared/consistency-sweep.ts";
import type { SweepSettings } from "../../shared/domain/consistency/sweep.ts";
import { deadlineIn } from "../../shared/domain/types.ts";
import { METRICS, metricValues } from "../../shared/metrics.ts";
import { type PipelineDeps, type ProbeTarget, probeCluster } from "../../shared/pipeline.ts";
import { renderStatus } from "../../shared/text/status-output.ts";
import { nodesView, scriptedTarget, sqlView } from "../helpers/cluster.ts";
import { Replica, Writer } from "../helpers/compare-nodes.ts";
import { ScriptedCluster } from "../helpers/fake-ports.ts";

let dynamo: LocalDynamo;
let ses: LocalSes;
beforeAll(async () => {
  [dynamo, ses] = await Promise.all([startDynalite(), startSesLocal()]);
});
afterAll(async () => {
  await Promise.all([dynamo?.stop(), ses?.stop()]);
});

const SWEEP: SweepSettings = {
  schemas: ["shop"],
  sliceSeconds: 10,
  restMinutes: 0,
  chunkTimeMs: 250,
  maxLoad: 25,
};
let name: string;
let clock: number;
let n = 0;
beforeEach(() => {
  name = `sweep${++n}-${Date.now()}`;
  clock = Date.parse("2026-12-07T10:00:00Z");
});

function setup() {
  const cluster = new ScriptedCluster(sqlView("a"), nodesView("a"), scriptedTarget(name));
  const store = new DynamoStore({ client: dynamo.client, tableName: dynamo.tableName });
  const target: ProbeTarget = { ...scriptedTarget(name), sweep: SWEEP };
  const deps: PipelineDeps = {
    sql: cluster.probe,
    nodeCheckers: { a: cluster.checker("a"), b: cluster.checker("b") },
    store,
    sweepStore: store,
    notifier: new SesNotifier({ client: ses.client, from: "prober@example.com", to: ["ops@example.com"] }),
    now: () => new Date(clock),
  };
  const a = new Writer();
  for (let id = 1; id <= 500; id++) a.write({ id, v: `v${id}` });
  const b = new Replica(a);
  b.catchUp(a.log.length);
  /** A probe, then a slice of the sweep (as the function does). */
  const round = async () => {
    clock += 60_000;
    const r = await probeCluster(target, deps, deadlineIn(10_000));
    const slice = await sweepSlice(
      name,
      SWEEP,
      r.state,
      {
        store,
        open: async () => ({ reference: a, other: b, close: async () => {} }),
        now: () => new Date(clock),
      },
      Date.now() + 5000,
    );
    return { r, slice };
  };
  const mails = async () => (await ses.mails()).filter((m) => m.subject.includes(`${name}:`));
  return { a, b, store, round, mails };
}

describe("the consistency sweep through the pipeline", () => {
  it("rows B holds differently: one incident mail naming them, the tables and the repair command; status and the metric show them; a clean pass brings the metric back to 0", async () => {
    // Prepare: a pair in sync, swept once
    const { a, b, store, round, mails } = setup();
    const first = await round();
    expect(first.slice.outcome).toBe("done");
    // the probe before any pass: no DataDifferences (not seen is not "no difference")
    expect(metricValues(first.r.state, { probeMs: 1, nodeCheckMs: {} }).map((m) => m.name)).not.toContain(
      METRICS.dataDifferences,
    );
    expect((await round()).r.state.consistency).toMatchObject({ differences: 0, last: { rows: 500 } });

    // Act: B's own writes, which replicate nowhere; the next pass (rest 0) finds them
    b.errant({ id: 7, v: "x" }, { id: 333, deleted: true, v: null });
    await round(); // the pass that finds them
    const seen = await round(); // the probe that reads its record
    await round();

    // Assess: the state, status and the metric
    const state = seen.r.state;
    expect(state.consistency).toMatchObject({ differences: 2, differing: 2 });
    expect(state.findings.map((f) => f.code)).toContain("DATA_DIVERGENCE");
    const metric = metricValues(state, { probeMs: 1, nodeCheckMs: {} }).find(
      (m) => m.name === METRICS.dataDifferences,
    );
    expect(metric?.value).toBe(2);
    const status = renderStatus(name, await store.load(name), new Date(clock));
    expect(status).toContain("consistency sweep: 2 row(s) differ between the nodes");
    expect(status).toContain("shop.t [7] different");
    expect(status).toContain("shop.t [333] missing-on-b");
    // one mail for the incident, however many probes see it
    const sent = (await mails()).filter((m) => m.text.includes("DATA_DIVERGENCE"));
    expect(sent).toHaveLength(1);
    expect(sent[0]?.text).toContain("2 row(s) in 1 table(s): shop.t (2)");
    expect(sent[0]?.text).toContain("shop.t [7] different");
    expect(sent[0]?.text).toContain(
      `mysql-ha-prober compare --cluster ${name} --tables shop.t --repair-dir <dir>`,
    );

    // Act: B repaired as the repair SQL would; the next pass is clean
    b.errant({ id: 7, v: "v7" }, { id: 333, v: "v333" });
    await round();
    const clean = await round();
    expect(clean.r.state.consistency).toMatchObject({ differences: 0 });
    expect(
      metricValues(clean.r.state, { probeMs: 1, nodeCheckMs: {} }).find(
        (m) => m.name === METRICS.dataDifferences,
      )?.value,
    ).toBe(0);
    // no new mail: the incident stays open until acknowledged
    expect((await mails()).filter((m) => m.text.includes("DATA_DIVERGENCE"))).toHaveLength(1);
    expect(a.log.length).toBe(500);
  });
});
