/**
 * The node-view rules over one scenario per branch, every finding whole (code, subject, severity,
 * message, evidence, key), against a reviewed golden file: the words an operator reads at 3 a.m. are
 * behaviour. A change of wording shows up as a diff of node-views.golden.json to review, not as
 * silence. (Re-record after a reviewed change: `npx vitest run --project unit -u <this file>`.)
 */
import { describe, expect, it } from "vitest";
import { EMPTY_NODE_MEMORY, type NodeMemory } from "../../../../shared/domain/memory.ts";
import type { NodeCheckResult, NodeReport } from "../../../../shared/domain/node.ts";
import {
  assessNodes,
  type NodesView,
  reachableListener,
  roleOf,
  vipInstances,
} from "../../../../shared/domain/rules/node-views.ts";
import { healthy, MAC, type ReportSpec, report } from "../../../helpers/node-reports.ts";

const failedCheck = (reason: "timeout" | "failed" = "timeout"): NodeCheckResult => ({
  ok: false,
  reason,
  detail: `simulated ${reason}`,
  durationMs: 1,
});

/** A report with a change the builder has no option for. */
function node(spec: ReportSpec, patch: (r: NodeReport) => void = () => {}): NodeCheckResult {
  const r = report(spec);
  patch(r);
  return { ok: true, report: r, durationMs: 100 };
}

const A = (spec: Partial<ReportSpec> = {}, patch?: (r: NodeReport) => void) =>
  node({ mac: MAC.a, bound: true, keepalived: "MASTER", ...spec }, patch);
const B = (spec: Partial<ReportSpec> = {}, patch?: (r: NodeReport) => void) =>
  node({ mac: MAC.b, bound: false, replies: [MAC.a], keepalived: "BACKUP", ...spec }, patch);

const second =
  (state: string, vips: string[] = ["198.51.100.9/24"]) =>
  (r: NodeReport) => {
    const first = r.keepalived.instances[0];
    if (first) r.keepalived.instances.push({ ...first, name: "VI_2", state, vips });
  };

const memory = (over: Partial<NodeMemory>): NodeMemory => ({ ...EMPTY_NODE_MEMORY, ...over });
const seenAt = (epoch: number, state: string | null, node: "a" | "b" = "a") =>
  memory({
    lastEpoch: { a: node === "a" ? epoch : null, b: node === "b" ? epoch : null },
    keepalivedState: { a: node === "a" ? state : null, b: node === "b" ? state : null },
  });

const scenarios: Record<string, { view: NodesView; memory?: NodeMemory }> = {
  healthy: { view: healthy() },
  "B not checked (timeout)": { view: { a: A(), b: failedCheck() } },
  "both not checked": { view: { a: failedCheck("failed"), b: failedCheck() } },
  "check warnings on A": { view: { a: A({ errors: ["ss failed", "journal unreadable"] }), b: B() } },
  "a witness not checked": {
    view: { ...healthy(), witnesses: [{ name: "w1", result: failedCheck() }] },
  },
  "a witness sees two MACs": {
    view: {
      ...healthy(),
      witnesses: [{ name: "w1", result: node({ mac: "02:00:00:00:00:0c", replies: [MAC.a, MAC.b] }) }],
    },
  },
  "a witness holding the VIP sees another MAC": {
    view: {
      ...healthy(),
      witnesses: [{ name: "w1", result: node({ mac: "02:00:00:00:00:0c", bound: true, replies: [MAC.a] }) }],
    },
  },
  "VIP bound on A with its link down": {
    view: { a: A({}, (r) => (r.vip.link = "down")), b: B({ replies: [] }) },
  },
  "split brain: VIP on both, both MASTER, each sees the other": {
    view: { a: A({ replies: [MAC.b] }), b: B({ bound: true, keepalived: "MASTER", replies: [MAC.a] }) },
  },
  "the holder sees its own MAC answer only": { view: { a: A({ replies: [MAC.a] }), b: B() } },
  "a non-holder sees two MACs (repeated replies counted once)": {
    view: { a: A(), b: B({ replies: [MAC.a, MAC.a, MAC.b] }) },
  },
  "a foreign MAC answers": { view: { a: A(), b: B({ replies: ["02:00:00:00:00:ee"] }) } },
  "a foreign MAC with one node unchecked (not judged)": {
    view: { a: A(), b: failedCheck() },
  },
  "VIP bound nowhere, nobody answers ARP": {
    view: { a: A({ bound: false, keepalived: "BACKUP" }), b: B({ replies: [] }) },
  },
  "VIP bound nowhere, a MAC answers": {
    view: { a: A({ bound: false, keepalived: "BACKUP" }), b: B({ replies: [MAC.a] }) },
  },
  "VIP bound on A but its link is down, B does not hold it": {
    view: { a: A({ keepalived: "BACKUP" }, (r) => (r.vip.link = "down")), b: B({ replies: [] }) },
  },
  "keepalived down on the standby": { view: { a: A(), b: B({ keepalived: "down" }) } },
  "keepalived down on the holder (a stale VIP)": {
    view: { a: A({ keepalived: "down" }), b: B() },
  },
  "keepalived FAULT on the standby": { view: { a: A(), b: B({ keepalived: "FAULT" }) } },
  "holder bound but BACKUP": { view: { a: A({ keepalived: "BACKUP" }), b: B() } },
  "MASTER without the VIP": {
    view: { a: A({ bound: false }), b: B({ replies: [] }) },
  },
  "neither MASTER": { view: { a: A({ keepalived: "BACKUP" }), b: B() } },
  "two instances, none carries the VIP": {
    view: {
      a: A({}, (r) => {
        const i = r.keepalived.instances[0];
        if (i) i.vips = ["198.51.100.1/24"];
        second("BACKUP")(r);
      }),
      b: B(),
    },
  },
  "another instance beside the VIP's (not counted)": {
    view: { a: A({}, second("MASTER")), b: B({}, second("BACKUP")) },
  },
  "the configured instance is another one": {
    view: { a: A({}, second("BACKUP")), b: B({}, second("MASTER")), vrrpInstance: "VI_2" },
  },
  "an instance without a name": {
    view: {
      a: A({ keepalived: "BACKUP" }, (r) => {
        const i = r.keepalived.instances[0];
        if (i) i.name = "";
      }),
      b: B(),
    },
  },
  "mysqld not listening on the standby": { view: { a: A(), b: B({ listening: false }) } },
  "mysqld on loopback only on the standby": {
    view: { a: A(), b: B({}, (r) => (r.mysqld.addresses = ["127.0.0.1:3306", "[::1]:3306"])) },
  },
  "mysqld listening unknown": { view: { a: A(), b: B({}, (r) => (r.mysqld.listening = null)) } },
  "a transition since the previous probe": {
    view: { a: A({ transitions: [[1_000_010, "MASTER"]] }), b: B() },
    memory: seenAt(1_000_000, "BACKUP"),
  },
  "a flap: MASTER, left, MASTER again": {
    view: {
      a: A({
        transitions: [
          [1_000_010, "BACKUP"],
          [1_000_020, "MASTER"],
        ],
      }),
      b: B(),
    },
    memory: seenAt(1_000_000, "MASTER"),
  },
  "a flap: left MASTER and came back to BACKUP": {
    view: {
      a: A(),
      b: B({
        transitions: [
          [1_000_010, "MASTER"],
          [1_000_020, "BACKUP"],
        ],
      }),
    },
    memory: seenAt(1_000_000, "BACKUP", "b"),
  },
  "transitions already reported, or before the last report": {
    view: {
      a: A({
        transitions: [
          [999_990, "BACKUP"],
          [1_000_005, "MASTER"],
        ],
      }),
      b: B(),
    },
    memory: { ...seenAt(1_000_000, "MASTER"), lastTransitionAt: { a: 1_000_005, b: null } },
  },
  "a transition of another instance": {
    view: {
      a: A({ transitions: [[1_000_010, "MASTER"]] }, (r) => {
        const t = r.keepalived.transitions[0];
        if (t) t.instance = "VI_9";
      }),
      b: B(),
    },
    memory: seenAt(1_000_000, "BACKUP"),
  },
  "no previous report: transitions not judged": {
    view: { a: A({ transitions: [[1_000_010, "MASTER"]] }), b: B() },
  },
  "unicast peers named wrong": {
    view: {
      hosts: { a: "192.0.2.11", b: "192.0.2.12" },
      a: A({}, (r) => {
        const i = r.keepalived.instances[0];
        if (i) i.unicastPeers = ["192.0.2.99"];
      }),
      b: B({}, (r) => {
        const i = r.keepalived.instances[0];
        if (i) i.unicastPeers = ["192.0.2.11"];
      }),
    },
  },
};

describe("node views, every branch, golden", () => {
  it("each scenario's findings, holders, masters, ARP MACs, roles and memory", async () => {
    const out: Record<string, unknown> = {};
    for (const [name, s] of Object.entries(scenarios)) {
      const r = assessNodes(s.view, s.memory);
      out[name] = {
        holders: r.holders,
        masters: r.masters,
        arpMacs: r.arpMacs,
        roles: r.roles,
        memory: r.memory,
        findings: r.findings,
      };
    }
    await expect(`${JSON.stringify(out, null, 2)}\n`).toMatchFileSnapshot("./node-views.golden.json");
  });
});

describe("node views: the helpers", () => {
  const r = (patch: (r: NodeReport) => void) => {
    const x = report({ keepalived: "BACKUP" });
    patch(x);
    return x;
  };

  it("vipInstances: the named one; else those listing the VIP (with or without a prefix); else the only one", () => {
    const two = r(second("MASTER", ["192.0.2.100"]));
    expect(vipInstances(two, "VI_2")?.map((i) => i.name)).toEqual(["VI_2"]);
    expect(vipInstances(two, "nope")).toEqual([]);
    expect(vipInstances(two)?.map((i) => i.name)).toEqual(["VI_1", "VI_2"]);
    const none = r((x) => {
      const i = x.keepalived.instances[0];
      if (i) i.vips = [];
    });
    expect(vipInstances(none)?.map((i) => i.name)).toEqual(["VI_1"]);
    second("BACKUP", [])(none);
    expect(vipInstances(none)).toBeNull();
    // an address that merely starts like the VIP is another address
    const like = r((x) => {
      const i = x.keepalived.instances[0];
      if (i) i.vips = ["192.0.2.1000/24"];
      second("BACKUP", ["192.0.2.100/32"])(x);
    });
    expect(vipInstances(like)?.map((i) => i.name)).toEqual(["VI_2"]);
  });

  it("roleOf: DOWN, MASTER over FAULT over the first, UNKNOWN without instances, null when untold", () => {
    expect(roleOf(report({ keepalived: "down" }))).toBe("DOWN");
    expect(roleOf(r(second("MASTER", ["192.0.2.100/24"])))).toBe("MASTER");
    expect(roleOf(r(second("FAULT", ["192.0.2.100/24"])))).toBe("FAULT");
    expect(roleOf(r(second("BACKUP", ["192.0.2.100/24"])))).toBe("BACKUP");
    expect(roleOf(r((x) => (x.keepalived.instances = [])))).toBe("UNKNOWN");
    const untold = r((x) => {
      const i = x.keepalived.instances[0];
      if (i) i.vips = [];
      second("MASTER", [])(x);
    });
    expect(roleOf(untold)).toBeNull();
    expect(roleOf(untold, "VI_2")).toBe("MASTER");
  });

  it("reachableListener: unknown, not listening, loopback only (v4, v6, mapped), any other address, no address list", () => {
    expect(reachableListener(r((x) => (x.mysqld.listening = null)))).toBeNull();
    expect(reachableListener(report({ listening: false }))).toBe(false);
    for (const lo of [
      "127.0.0.1:3306",
      "127.0.1.1:3306",
      "[::1]:3306",
      "::1:3306",
      "[::ffff:127.0.0.1]:3306",
    ])
      expect(reachableListener(r((x) => (x.mysqld.addresses = [lo]))), lo).toBe(false);
    expect(reachableListener(r((x) => (x.mysqld.addresses = ["127.0.0.1:3306", "192.0.2.11:3306"])))).toBe(
      true,
    );
    expect(reachableListener(r((x) => (x.mysqld.addresses = ["[::]:3306"])))).toBe(true);
    expect(reachableListener(r((x) => (x.mysqld.addresses = ["10.127.0.1:3306"])))).toBe(true);
    expect(reachableListener(r((x) => (x.mysqld.addresses = [])))).toBe(true);
  });

  it("the memory keeps what an unchecked node had, and the latest transition seen", () => {
    const before = memory({
      lastEpoch: { a: 5, b: 6 },
      keepalivedState: { a: "MASTER", b: "BACKUP" },
      lastTransitionAt: { a: 3, b: 4 },
      keepalivedPid: { a: 1, b: 2 },
      foreignMacs: ["02:de:ad:be:ef:00"],
    });
    const m = assessNodes({ a: A({ transitions: [[2, "MASTER"]] }), b: failedCheck() }, before).memory;
    expect(m).toEqual({
      lastEpoch: { a: 1_000_000, b: 6 },
      keepalivedPid: { a: 1, b: 2 },
      keepalivedState: { a: "MASTER", b: "BACKUP" },
      lastTransitionAt: { a: 3, b: 4 },
      foreignMacs: ["02:de:ad:be:ef:00"],
    });
    const later = assessNodes(
      {
        a: A({
          transitions: [
            [2, "MASTER"],
            [9, "MASTER"],
          ],
        }),
        b: B(),
      },
      before,
    ).memory;
    expect(later.lastTransitionAt).toEqual({ a: 9, b: 4 });
  });
});
