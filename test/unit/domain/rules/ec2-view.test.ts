import { describe, expect, it } from "vitest";
import type { Ec2NodeMap, Ec2Observation, Ec2Target } from "../../../../shared/domain/ec2.ts";
import { ec2NodeMapOf, ec2NodesMapped, nodeOfTarget } from "../../../../shared/domain/ec2.ts";
import { EMPTY_EC2_MEMORY, ec2Rules, holderForEc2 } from "../../../../shared/domain/rules/ec2-view.ts";
import { decideStatus } from "../../../../shared/domain/rules/status.ts";

const MAP: Ec2NodeMap = {
  a: { interfaceId: "eni-0000000000000000a" },
  b: { instanceId: "i-0000000000000000b" },
};
const ENI = {
  a: { interfaceId: "eni-0000000000000000a", instanceId: "i-0000000000000000a" },
  b: { interfaceId: "eni-0000000000000000b", instanceId: "i-0000000000000000b" },
} satisfies Record<string, Ec2Target>;
const seen = (...targets: Ec2Target[]): Ec2Observation => ({
  ok: true,
  mode: "secondary-ip",
  targets,
  durationMs: 40,
});
const T0 = Date.parse("2026-11-25T12:00:00Z");
const rules = (
  observation: Ec2Observation,
  holder: "a" | "b" | "both" | null,
  o: { now?: number; since?: number | null; graceMs?: number } = {},
) =>
  ec2Rules({
    observation,
    map: MAP,
    graceMs: o.graceMs ?? 30_000,
    holder,
    now: o.now ?? T0,
    previous: { mismatchSince: o.since ?? null },
  });
const codes = (r: ReturnType<typeof rules>) => r.findings.map((f) => f.code);

describe("the EC2 view's node mapping", () => {
  it("ec2.nodes first, else an ssm runner's EC2 instance id; a hybrid (mi-) node maps to nothing", () => {
    const ssm = (instanceId: string) => ({ type: "ssm", instanceId });
    const map = ec2NodeMapOf(
      { b: { networkInterfaceId: "eni-0000000000000000b" } },
      {
        a: ssm("i-0000000000000000a"),
        b: ssm("mi-0000000000000000b"),
      },
    );
    expect(map).toEqual({
      a: { instanceId: "i-0000000000000000a" },
      b: { interfaceId: "eni-0000000000000000b" },
    });
    expect(ec2NodesMapped(map)).toBe(true);
    const hybrid = ec2NodeMapOf(undefined, { a: ssm("i-0000000000000000a"), b: ssm("mi-0000000000000000b") });
    expect(hybrid.b).toEqual({});
    expect(ec2NodesMapped(hybrid)).toBe(false);
  });

  it("maps a target by its interface or its instance; anything else is foreign; a blackhole route is named", () => {
    expect(nodeOfTarget(ENI.a, MAP)).toBe("a");
    expect(
      nodeOfTarget({ interfaceId: "eni-0000000000000000f", instanceId: "i-0000000000000000b" }, MAP),
    ).toBe("b");
    expect(nodeOfTarget({ interfaceId: "eni-00000000000000fff", instanceId: null }, MAP)).toBe(
      "foreign:eni-00000000000000fff",
    );
    expect(nodeOfTarget({ ...ENI.a, routeTableId: "rtb-00000000000000001", state: "blackhole" }, MAP)).toBe(
      "blackhole:rtb-00000000000000001",
    );
  });
});

describe("the EC2 view, cross-checked with the holder", () => {
  it("agreement: no finding, the summary names the node and interface, the timer is clear", () => {
    // Prepare / Act
    const r = rules(seen(ENI.a), "a", { since: T0 - 5000 });
    // Assess
    expect(codes(r)).toEqual([]);
    expect(r.summary).toEqual({
      mode: "secondary-ip",
      routedTo: ["a"],
      interfaces: ["eni-0000000000000000a"],
      mismatchSince: null,
    });
    expect(r.memory).toEqual(EMPTY_EC2_MEMORY);
  });

  it("a lagging reassignment: pending (warning) within the grace, the timer kept from its first probe", () => {
    const first = rules(seen(ENI.a), "b");
    expect(codes(first)).toEqual(["EC2_VIP_MOVE_PENDING"]);
    expect(first.findings[0]?.severity).toBe("warning");
    expect(first.memory.mismatchSince).toBe(T0);
    const later = rules(seen(ENI.a), "b", { now: T0 + 29_000, since: T0 });
    expect(codes(later)).toEqual(["EC2_VIP_MOVE_PENDING"]);
    expect(later.findings[0]?.message).toContain("for 29 s; grace 30 s");
  });

  it("a failed reassignment: critical EC2_VIP_MISMATCH once the grace is over, naming both nodes", () => {
    const r = rules(seen(ENI.a), "b", { now: T0 + 30_000, since: T0 });
    expect(codes(r)).toEqual(["EC2_VIP_MISMATCH"]);
    expect(r.findings[0]?.message).toBe(
      "node B holds the VIP, but EC2 routes it to node A (for 30 s): the VPC delivers the VIP's traffic to a host that does not hold it.",
    );
    expect(r.summary.mismatchSince).toBe(new Date(T0).toISOString());
  });

  it("nobody holds it in EC2, or a foreign interface does: their own codes after the grace", () => {
    expect(codes(rules(seen(), "a", { now: T0 + 31_000, since: T0 }))).toEqual(["EC2_VIP_UNASSIGNED"]);
    const foreign = { interfaceId: "eni-00000000000000fff", instanceId: "i-00000000000000fff" };
    expect(codes(rules(seen(foreign), "a", { now: T0 + 31_000, since: T0 }))).toEqual(["EC2_VIP_FOREIGN"]);
  });

  it("route-table mode: a table without the route, or a blackhole route, is a mismatch too", () => {
    const routes = (...targets: Ec2Target[]): Extract<Ec2Observation, { ok: true }> => ({
      ok: true,
      mode: "route-table",
      targets,
      tablesWithoutRoute: ["rtb-00000000000000002"],
      durationMs: 30,
    });
    const r = rules(routes({ ...ENI.a, routeTableId: "rtb-00000000000000001", state: "active" }), "a", {
      now: T0 + 31_000,
      since: T0,
    });
    expect(codes(r)).toEqual(["EC2_VIP_MISMATCH"]);
    expect(r.summary.routedTo).toEqual(["a", "unrouted"]);
    const hole = rules(
      {
        ...routes({ ...ENI.a, routeTableId: "rtb-00000000000000001", state: "blackhole" }),
        tablesWithoutRoute: [],
      },
      "a",
      { now: T0 + 31_000, since: T0 },
    );
    expect(codes(hole)).toEqual(["EC2_VIP_UNASSIGNED"]);
  });

  it("a split brain with the VIP routed to one node: EC2_SPLIT_BRAIN_ROUTED names that node, at once", () => {
    const r = rules(seen(ENI.b), "both");
    expect(codes(r)).toEqual(["EC2_SPLIT_BRAIN_ROUTED"]);
    expect(r.findings[0]?.message).toContain("EC2 routes it to node B: the applications reach node B only");
    expect(r.findings[0]?.evidence.routedNode).toBe("b");
  });

  it("a failed call: EC2_VIEW_FAILED naming the class, the view unknown, a running timer kept", () => {
    const r = rules(
      {
        ok: false,
        mode: "secondary-ip",
        errorClass: "throttled",
        error: "RequestLimitExceeded: slow down",
        durationMs: 9,
      },
      "b",
      { since: T0 - 10_000 },
    );
    expect(codes(r)).toEqual(["EC2_VIEW_FAILED"]);
    expect(r.findings[0]?.message).toContain("(throttled): RequestLimitExceeded");
    expect(r.summary.routedTo).toBeNull();
    expect(r.memory.mismatchSince).toBe(T0 - 10_000);
  });

  it("no holder by the other views: nothing to compare, no finding", () => {
    expect(codes(rules(seen(ENI.a), null))).toEqual([]);
  });
});

describe("the holder the EC2 view is compared with", () => {
  it("bound in the OS first, then the VIP's SQL, then the one MASTER; two of either is both", () => {
    expect(holderForEc2({ vipBound: ["b"], vipSqlLandedOn: ["a"], keepalivedMaster: ["a"] })).toBe("b");
    expect(holderForEc2({ vipBound: ["a", "b"], vipSqlLandedOn: ["a"], keepalivedMaster: ["a"] })).toBe(
      "both",
    );
    expect(holderForEc2({ vipBound: null, vipSqlLandedOn: ["a"], keepalivedMaster: ["b"] })).toBe("a");
    expect(holderForEc2({ vipBound: null, vipSqlLandedOn: null, keepalivedMaster: ["a", "b"] })).toBe("both");
    expect(holderForEc2({ vipBound: [], vipSqlLandedOn: ["a"], keepalivedMaster: ["a"] })).toBeNull();
  });
});

describe("the status with the EC2 view", () => {
  it("a mismatch past the grace is DOWN (the VIP's traffic reaches no holder); pending is only DEGRADED", () => {
    const base = {
      views: {
        keepalivedMaster: ["b"],
        vipBound: ["b"],
        arpAnswer: null,
        vipSqlLandedOn: ["b"],
        takingWrites: null,
      },
      vipOwner: "b" as const,
      missing: [],
      sql: {} as never,
      nodes: {} as never,
    };
    const sqlUp = { alive: true, server: {}, error: null } as never;
    const mismatch = rules(seen(ENI.a), "b", { now: T0 + 60_000, since: T0 }).findings;
    const pending = rules(seen(ENI.a), "b").findings;
    const v = decideStatus({ ...base, sql: { vip: sqlUp, a: sqlUp, b: sqlUp }, findings: mismatch });
    expect(v.status).toBe("DOWN");
    expect(v.reasons[0]).toContain("EC2 routes it to node A");
    expect(decideStatus({ ...base, sql: { vip: sqlUp, a: sqlUp, b: sqlUp }, findings: pending }).status).toBe(
      "DEGRADED",
    );
  });
});
