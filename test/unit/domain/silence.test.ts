import { describe, expect, it } from "vitest";
import { decide } from "../../../shared/domain/alert-policy.ts";
import { assess } from "../../../shared/domain/assess.ts";
import type { Silence } from "../../../shared/domain/silence.ts";
import type { Assessment, ClusterState, Status } from "../../../shared/domain/state.ts";
import { input, nodesView, sqlView } from "../../helpers/cluster.ts";

const T0 = Date.parse("2026-11-24T10:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000);
const base = assess(input(sqlView("a"), nodesView("a")));
const v = (status: Status): Assessment => ({ ...base, status });
const silence = (untilS: number, mailSplitBrain = true): Silence => ({
  since: at(0).toISOString(),
  until: at(untilS).toISOString(),
  reason: "planned failover",
  by: "alice",
  mailSplitBrain,
});

/** Probes every 10 s from a healthy state that carries `s`. */
function run(statuses: Status[], s: Silence) {
  let prev: ClusterState = { ...decide("prod", null, v("HEALTHY"), at(0)).state, silence: s };
  return statuses.map((status, i) => {
    const d = decide("prod", prev, v(status), at((i + 1) * 10));
    prev = d.state;
    return d;
  });
}

describe("silences", () => {
  it("while silenced: probing and recording go on, no mail", () => {
    const ds = run(["DOWN", "DOWN", "DEGRADED", "DEGRADED", "HEALTHY", "HEALTHY"], silence(3600));
    expect(ds.map((d) => d.alert)).toEqual([null, null, null, null, null, null]);
    expect(ds[0]?.transition).toEqual({ from: "HEALTHY", to: "DOWN" }); // still in the history
    expect(ds[0]?.silenced).toBe(true);
    expect(ds.every((d) => d.state.silence?.reason === "planned failover")).toBe(true);
  });

  it("a split brain is still mailed, and the mail says the cluster is silenced", () => {
    const [d] = run(["SPLIT_BRAIN"], silence(3600));
    expect(d?.alert?.subject).toBe("[mysql-ha] prod: HEALTHY -> *** SPLIT BRAIN ***");
    expect(d?.alert?.text).toMatch(
      /^SILENCED: silenced until 2026-11-24T11:00:00.000Z by alice: planned failover/,
    );
    expect(d?.alert?.html).toContain("SILENCED");
  });

  it("--no-split-brain-mail: not even a split brain", () => {
    const [d] = run(["SPLIT_BRAIN"], silence(3600, false));
    expect(d?.alert).toBeNull();
    expect(d?.state.status).toBe("SPLIT_BRAIN");
  });

  it("when it ends on a cluster that is not healthy, one mail says what it is now; then it is gone", () => {
    const ds = run(["DEGRADED", "DEGRADED", "DEGRADED", "DEGRADED"], silence(25));
    expect(ds.map((d) => d.alert?.kind ?? null)).toEqual([null, null, "reminder", null]);
    expect(ds[2]?.alert?.subject).toMatch(/still DEGRADED/);
    expect(ds[2]?.state.silence).toBeUndefined();
  });

  it("when it ends on a healthy cluster, nothing is mailed", () => {
    const ds = run(["HEALTHY", "HEALTHY", "HEALTHY"], silence(15));
    expect(ds.map((d) => d.alert)).toEqual([null, null, null]);
  });
});
