/**
 * The EC2 rules over one case per branch (failed view, split brain routed to one node or not, agreement,
 * pending within the grace, then unassigned, blackhole, unrouted table, foreign, mismatch), each result
 * whole against a reviewed golden file, ec2.golden.json. Re-record after a reviewed change:
 * `npx vitest run --project unit -u test/unit/domain/rules/ec2-view-golden.test.ts`.
 */
import { describe, expect, it } from "vitest";
import type { Ec2NodeMap, Ec2Observation, Ec2Target } from "../../../../shared/domain/ec2.ts";
import { ec2Rules, holderForEc2 } from "../../../../shared/domain/rules/ec2-view.ts";

const MAP: Ec2NodeMap = { a: { interfaceId: "eni-a" }, b: { instanceId: "i-b" } };
const A: Ec2Target = { interfaceId: "eni-a", instanceId: "i-a" };
const B: Ec2Target = { interfaceId: "eni-b", instanceId: "i-b" };
const X: Ec2Target = { interfaceId: "eni-x", instanceId: null };
const NOID: Ec2Target = { interfaceId: null, instanceId: null };
const T0 = Date.parse("2026-11-25T12:00:00Z");

const ip = (...targets: Ec2Target[]): Ec2Observation => ({
  ok: true,
  mode: "secondary-ip",
  targets,
  durationMs: 5,
});
const rt = (targets: Ec2Target[], tablesWithoutRoute: string[] = []): Ec2Observation => ({
  ok: true,
  mode: "route-table",
  targets,
  tablesWithoutRoute,
  durationMs: 5,
});

const CASES: [string, Ec2Observation, "a" | "b" | "both" | null, number, number | null][] = [
  // name, observation, holder, seconds after T0, mismatch since (seconds after T0) or null
  [
    "the view failed, a mismatch under way keeps its start",
    { ok: false, mode: "route-table", errorClass: "throttled", error: "Rate exceeded", durationMs: 9 },
    "a",
    40,
    0,
  ],
  [
    "the view failed, no mismatch before",
    { ok: false, mode: "secondary-ip", errorClass: "denied", error: "not authorized", durationMs: 9 },
    "a",
    0,
    null,
  ],
  ["split brain, EC2 routes to A", ip(A), "both", 0, null],
  ["split brain, EC2 routes to B", ip(B), "both", 0, null],
  ["split brain, EC2 routes to both", ip(A, B), "both", 0, null],
  ["split brain, EC2 routes to neither", ip(X), "both", 0, 5],
  ["nobody holds the VIP by the other views", ip(B), null, 0, 5],
  ["agreement", ip(A), "a", 0, 5],
  [
    "agreement in route-table mode, two tables",
    rt([
      { ...A, routeTableId: "rtb-1", state: "active" },
      { ...A, routeTableId: "rtb-2", state: "active" },
    ]),
    "a",
    0,
    null,
  ],
  ["a mismatch starts: pending", ip(B), "a", 0, null],
  ["pending, 29 s into a 30 s grace", ip(B), "a", 29, 0],
  ["a mismatch past the grace", ip(B), "a", 30, 0],
  ["routed to both nodes while A holds it, past the grace", ip(A, B), "a", 60, 0],
  ["routed nowhere, past the grace", ip(), "b", 60, 0],
  [
    "a blackhole route, past the grace",
    rt([{ ...A, routeTableId: "rtb-1", state: "blackhole" }]),
    "a",
    60,
    0,
  ],
  [
    "a table without the route, past the grace",
    rt([{ ...A, routeTableId: "rtb-1", state: "active" }], ["rtb-2"]),
    "a",
    60,
    0,
  ],
  ["only a table without the route, past the grace", rt([], ["rtb-2"]), "a", 60, 0],
  ["a foreign interface, past the grace", ip(X), "a", 60, 0],
  ["a target without any id, past the grace", ip(NOID), "b", 61.4, 0],
  ["a blackhole with no table id, pending", rt([{ ...B, state: "blackhole" }]), "b", 2, 0],
];

describe("the EC2 rules, every branch, golden", () => {
  it("each case whole", async () => {
    const out: Record<string, unknown> = {};
    for (const [name, observation, holder, t, since] of CASES) {
      out[name] = ec2Rules({
        observation,
        map: MAP,
        graceMs: 30_000,
        holder,
        now: T0 + t * 1000,
        previous: { mismatchSince: since === null ? null : T0 + since * 1000 },
      });
    }
    await expect(`${JSON.stringify(out, null, 2)}\n`).toMatchFileSnapshot("./ec2.golden.json");
  });

  it("holderForEc2: bound first (two is both), else two MASTERs are both, else the VIP's SQL, else the one MASTER", () => {
    const h = (
      vipBound: string[] | null,
      vipSqlLandedOn: string[] | null,
      keepalivedMaster: string[] | null,
    ) => holderForEc2({ vipBound, vipSqlLandedOn, keepalivedMaster });
    expect(h(["a", "b"], ["a"], ["a"])).toBe("both");
    expect(h(["b"], ["a"], ["a"])).toBe("b");
    expect(h([], ["a"], ["a"])).toBeNull();
    expect(h(null, ["a"], ["a", "b"])).toBe("both");
    expect(h(null, ["b"], ["a"])).toBe("b");
    expect(h(null, null, ["a"])).toBe("a");
    expect(h(null, ["a", "b"], [])).toBeNull();
    expect(h(null, null, null)).toBeNull();
  });
});
