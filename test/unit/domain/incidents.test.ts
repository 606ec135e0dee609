import { describe, expect, it } from "vitest";
import { decide } from "../../../shared/domain/alert-policy.ts";
import { assess } from "../../../shared/domain/assess.ts";
import type { Finding } from "../../../shared/domain/codes.ts";
import { makeFinding } from "../../../shared/domain/codes.ts";
import { acknowledge, incidentId, latchIncidents } from "../../../shared/domain/incidents.ts";
import type { Assessment, ClusterState } from "../../../shared/domain/state.ts";
import { input, nodesView, sqlView } from "../../helpers/cluster.ts";

const T0 = Date.parse("2026-11-24T10:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000);
const POLICY = { incidentExpiryHours: 24 };
const errant = (gtids: string): Finding => ({
  ...makeFinding("ERRANT_WRITES_ON_STANDBY", `Node B originated ${gtids}.`, { newTransactions: gtids }, "b"),
  key: gtids,
});
const base = assess(input(sqlView("a"), nodesView("a")));
const healthy = (findings: Finding[] = []): Assessment => ({ ...base, status: "HEALTHY", findings });

/** One probe every 10 s through decide(); returns the decisions. */
function run(verdicts: Assessment[], start: ClusterState | null = null) {
  let prev = start;
  return verdicts.map((v, i) => {
    const d = decide("prod", prev, v, at(i * 10));
    prev = d.state;
    return d;
  });
}

describe("incidents: events latch", () => {
  it("an event seen by one probe is mailed at once, once, and stays open after it is gone", () => {
    // Act: a healthy pair; one probe sees an errant write on B; the next ones do not
    const ds = run([healthy(), healthy([errant("2-2-9")]), healthy(), healthy()]);
    // Assess: exactly one mail, an incident mail naming the code; the status never changed
    expect(ds.map((d) => d.alert?.kind ?? null)).toEqual([null, "incident", null, null]);
    expect(ds[1]?.alert?.subject).toBe(
      "[mysql-ha] prod: INCIDENT ERRANT_WRITES_ON_STANDBY on node B (status HEALTHY)",
    );
    expect(ds[1]?.alert?.text).toMatch(
      /NEW \[critical\] ERRANT_WRITES_ON_STANDBY \(id errant-writes-on-standby-b-/,
    );
    expect(ds[1]?.alert?.text).toMatch(/ack --cluster prod/);
    expect(ds.map((d) => d.state.status)).toEqual(["HEALTHY", "HEALTHY", "HEALTHY", "HEALTHY"]);
    expect(ds[3]?.state.incidents?.map((i) => i.code)).toEqual(["ERRANT_WRITES_ON_STANDBY"]);
    expect(ds[1]?.opened).toHaveLength(1);
  });

  it("the same event reported again is the same incident (no second mail)", () => {
    const ds = run([healthy(), healthy([errant("2-2-9")]), healthy([errant("2-2-9")])]);
    expect(ds.map((d) => d.alert?.kind ?? null)).toEqual([null, "incident", null]);
    expect(ds[2]?.state.incidents?.[0]?.seen).toBe(2);
  });

  it("writes on the standby going on probe after probe: one incident, one mail, updated; after ack a new one", () => {
    const ds = run([
      healthy(),
      healthy([errant("2-2-9")]),
      healthy([errant("2-2-12")]),
      healthy([errant("2-2-15")]),
    ]);
    expect(ds.map((d) => d.alert?.kind ?? null)).toEqual([null, "incident", null, null]);
    expect(ds[3]?.state.incidents).toHaveLength(1);
    expect(ds[3]?.state.incidents?.[0]).toMatchObject({ seen: 3, key: "2-2-15" });
    // acknowledged, and the writes go on: a new episode, mailed once
    const state = ds[3]?.state as ClusterState;
    const acked = {
      ...state,
      incidents: acknowledge(state.incidents ?? [], "all", "alice", at(45)).incidents,
    };
    const after = run([healthy([errant("2-2-18")]), healthy([errant("2-2-21")])], acked);
    expect(after.map((d) => d.alert?.kind ?? null)).toEqual(["incident", null]);
  });

  it("with a status mail in the same probe, the incident rides in it: one mail", () => {
    const ds = run([healthy(), { ...base, status: "SPLIT_BRAIN", findings: [errant("2-2-9")] }]);
    expect(ds[1]?.alert?.kind).toBe("transition");
    expect(ds[1]?.alert?.text).toMatch(/NEW \[critical\] ERRANT_WRITES_ON_STANDBY/);
    expect(ds[1]?.opened).toHaveLength(1);
  });

  it("acknowledged: closed, and kept silently while the same event is still reported, so it does not reopen", () => {
    const [, second] = run([healthy(), healthy([errant("2-2-9")])]);
    const state = second?.state as ClusterState;
    const id = incidentId(errant("2-2-9"));
    const acked = acknowledge(state.incidents ?? [], [id, "nope"], "alice", at(15));
    expect(acked.acknowledged.map((i) => i.id)).toEqual([id]);
    expect(acked.unknown).toEqual(["nope"]);
    const ds = run([healthy([errant("2-2-9")]), healthy()], { ...state, incidents: acked.incidents });
    expect(ds.map((d) => d.alert)).toEqual([null, null]);
    expect(ds[0]?.state.incidents?.[0]?.acknowledged?.by).toBe("alice");
    expect(ds[1]?.state.incidents).toEqual([]);
  });

  it("an unacknowledged incident expires after incidentExpiryHours", () => {
    const opened = latchIncidents([], [errant("2-2-9")], at(0), POLICY);
    expect(latchIncidents(opened.incidents, [], at(23 * 3600), POLICY).incidents).toHaveLength(1);
    expect(latchIncidents(opened.incidents, [], at(24 * 3600), POLICY).incidents).toHaveLength(0);
  });

  it("findings without a key (states) never open incidents", () => {
    const d = decide("prod", null, healthy([makeFinding("REPLICATION_LAG", "lags", {}, "b")]), at(0));
    expect(d.state.incidents).toEqual([]);
    expect(d.opened).toEqual([]);
  });

  it("ack all acknowledges every open incident", () => {
    const l = latchIncidents([], [errant("1"), errant("2")], at(0), POLICY);
    const r = acknowledge(l.incidents, "all", "bob", at(1));
    expect(r.acknowledged).toHaveLength(2);
    expect(r.incidents.every((i) => i.acknowledged)).toBe(true);
  });

  it("the incident mail escapes what came from the servers", () => {
    const evil = { ...errant("x"), message: "<script>alert(1)</script>" };
    const [, d] = run([healthy(), healthy([evil])]);
    expect(d?.alert?.html).not.toContain("<script>");
    expect(d?.alert?.html).toContain("&lt;script&gt;");
  });
});
