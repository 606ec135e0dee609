/**
 * keepalived's transitions between two probes: a change the next probe can see is KEEPALIVED_TRANSITION;
 * one it cannot (MASTER entered twice, MASTER left again, or back in the previous state) is
 * KEEPALIVED_FLAPPED, an event with the last transition's time as its key.
 */
import { describe, expect, it } from "vitest";
import { EMPTY_NODE_MEMORY } from "../../../../shared/domain/memory.ts";
import type { NodeReport } from "../../../../shared/domain/node.ts";
import { assessNodes } from "../../../../shared/domain/rules/node-views.ts";
import { MAC, ok } from "../../../helpers/node-reports.ts";

type Role = "MASTER" | "BACKUP" | "FAULT";
const T0 = 1_000_000;

/** Node A's report now (role, transitions after T0), with the previous probe's state of A. */
function transitionOf(
  prior: string | null,
  states: string[],
  role: Role,
  patch: (r: NodeReport) => void = () => {},
) {
  const a = ok({
    mac: MAC.a,
    bound: role === "MASTER",
    keepalived: role,
    transitions: states.map((s, i) => [T0 + 10 * (i + 1), s] as [number, string]),
  });
  if (a.ok) patch(a.report);
  const b = ok({
    mac: MAC.b,
    replies: role === "MASTER" ? [MAC.a] : [],
    keepalived: role === "MASTER" ? "BACKUP" : "MASTER",
    bound: role !== "MASTER",
  });
  const memory = {
    ...EMPTY_NODE_MEMORY,
    lastEpoch: { a: T0, b: T0 },
    keepalivedState: { a: prior, b: null },
  };
  return assessNodes({ a, b }, memory).findings.filter(
    (f) => (f.code === "KEEPALIVED_TRANSITION" || f.code === "KEEPALIVED_FLAPPED") && f.subject === "a",
  );
}
const verdict = (...args: Parameters<typeof transitionOf>) =>
  transitionOf(...args).map((f) => `${f.code}: ${f.message}`);

describe("transition or flap", () => {
  it.each<[string | null, string[], Role, string]>([
    [
      "BACKUP",
      ["MASTER"],
      "MASTER",
      "KEEPALIVED_TRANSITION: keepalived on node A changed state since the previous probe: MASTER.",
    ],
    [
      null,
      ["BACKUP"],
      "BACKUP",
      "KEEPALIVED_TRANSITION: keepalived on node A changed state since the previous probe: BACKUP.",
    ],
    [
      null,
      ["FAULT", "BACKUP"],
      "BACKUP",
      "KEEPALIVED_TRANSITION: keepalived on node A changed state since the previous probe: FAULT → BACKUP.",
    ],
    [
      "BACKUP",
      ["FAULT"],
      "FAULT",
      "KEEPALIVED_TRANSITION: keepalived on node A changed state since the previous probe: FAULT.",
    ],
    // MASTER entered again without leaving: nothing the next probe misses
    [
      "MASTER",
      ["MASTER"],
      "MASTER",
      "KEEPALIVED_TRANSITION: keepalived on node A changed state since the previous probe: MASTER.",
    ],
    // BACKUP, then MASTER: one entry, and MASTER was not left
    [
      null,
      ["BACKUP", "MASTER"],
      "MASTER",
      "KEEPALIVED_TRANSITION: keepalived on node A changed state since the previous probe: BACKUP → MASTER.",
    ],
    // a recovery under way: FAULT at the previous probe, the log says BACKUP, the dump (read a moment apart)
    // still FAULT: never a flap (it was one in 1 of 2 failover-and-heal runs in the lab)
    [
      "FAULT",
      ["BACKUP"],
      "FAULT",
      "KEEPALIVED_TRANSITION: keepalived on node A changed state since the previous probe: BACKUP (the state dump, read a moment apart, still says FAULT).",
    ],
  ])("%s, then %j, now %s: a transition", (prior, states, role, expected) => {
    expect(verdict(prior, states, role)).toEqual([expected]);
  });

  it.each<[string | null, string[], Role, string]>([
    // MASTER entered twice
    [
      null,
      ["MASTER", "BACKUP", "MASTER"],
      "MASTER",
      "KEEPALIVED_FLAPPED: keepalived on node A flapped since the previous probe: MASTER → BACKUP → MASTER.",
    ],
    [
      null,
      ["MASTER", "MASTER"],
      "MASTER",
      "KEEPALIVED_FLAPPED: keepalived on node A flapped since the previous probe: MASTER → MASTER.",
    ],
    // MASTER entered, then left
    [
      null,
      ["MASTER", "BACKUP"],
      "BACKUP",
      "KEEPALIVED_FLAPPED: keepalived on node A flapped since the previous probe: MASTER → BACKUP.",
    ],
    [
      null,
      ["MASTER", "FAULT"],
      "FAULT",
      "KEEPALIVED_FLAPPED: keepalived on node A flapped since the previous probe: MASTER → FAULT.",
    ],
    // back where it was at the previous probe, after passing through another state
    [
      "MASTER",
      ["BACKUP", "MASTER"],
      "MASTER",
      "KEEPALIVED_FLAPPED: keepalived on node A flapped since the previous probe: MASTER → BACKUP → MASTER.",
    ],
    [
      "BACKUP",
      ["FAULT", "BACKUP"],
      "BACKUP",
      "KEEPALIVED_FLAPPED: keepalived on node A flapped since the previous probe: BACKUP → FAULT → BACKUP.",
    ],
  ])("%s, then %j, now %s: a flap", (prior, states, role, expected) => {
    expect(verdict(prior, states, role)).toEqual([expected]);
  });

  it("a flap is an event keyed by its last transition's time; a transition has no key", () => {
    const [flap] = transitionOf(null, ["MASTER", "BACKUP"], "BACKUP");
    expect(flap).toMatchObject({ severity: "warning", key: `at:${T0 + 20}` });
    expect(flap?.evidence).toMatchObject({ source: "notify-log", previousState: null });
    const [change] = transitionOf("BACKUP", ["MASTER"], "MASTER");
    expect(change).toMatchObject({ severity: "info", evidence: { previousState: "BACKUP" } });
    expect(change && "key" in change).toBe(false);
  });
});

describe("which transitions count", () => {
  it("only the VIP instance's, and those without an instance name", () => {
    const other = (r: NodeReport) => {
      for (const t of r.keepalived.transitions) t.instance = "VI_OTHER";
    };
    expect(verdict(null, ["MASTER", "BACKUP"], "BACKUP", other)).toEqual([]);
    const unnamed = (r: NodeReport) => {
      for (const t of r.keepalived.transitions) t.instance = "";
    };
    expect(verdict(null, ["MASTER", "BACKUP"], "BACKUP", unnamed)).toHaveLength(1);
    // an instance without a name: every transition counts
    const nameless = (r: NodeReport) => {
      const i = r.keepalived.instances[0];
      if (i) i.name = "";
      for (const t of r.keepalived.transitions) t.instance = "VI_OTHER";
    };
    expect(verdict(null, ["MASTER", "BACKUP"], "BACKUP", nameless)).toHaveLength(1);
  });

  it("no transition source, or no previous report: nothing is judged", () => {
    expect(
      verdict(null, ["MASTER", "BACKUP"], "BACKUP", (r) => (r.keepalived.transitionsSource = "none")),
    ).toEqual([]);
    const a = ok({ mac: MAC.a, bound: true, keepalived: "MASTER", transitions: [[T0 + 5, "MASTER"]] });
    const b = ok({ mac: MAC.b, replies: [MAC.a], keepalived: "BACKUP" });
    expect(assessNodes({ a, b }).findings.filter((f) => f.code.startsWith("KEEPALIVED_"))).toEqual([]);
  });
});

describe("one view of keepalived per probe", () => {
  /** Node A's report: the dump's role and its own last transition time, and the log's transitions. */
  const reportA = (role: Role, dumpLast: number | null, transitions: [number, string][]) => {
    const a = ok({ mac: MAC.a, bound: role === "MASTER", keepalived: role, transitions });
    if (a.ok) for (const i of a.report.keepalived.instances) i.lastTransition = dumpLast;
    return a;
  };
  const b = (aMaster: boolean) =>
    ok({
      mac: MAC.b,
      keepalived: aMaster ? "BACKUP" : "MASTER",
      bound: !aMaster,
      replies: aMaster ? [MAC.a] : [],
    });

  it("a dump older than the log's last transition is not the present state: the next probe's prior is the log's", () => {
    // Prepare: probe 1 reads a dump still saying BACKUP (its last transition at T0) while the log,
    // read after it, already holds MASTER at T0 + 10: keepalived is MASTER now
    const memory = {
      ...EMPTY_NODE_MEMORY,
      lastEpoch: { a: T0, b: T0 },
      keepalivedState: { a: "BACKUP", b: null },
    };
    const first = assessNodes({ a: reportA("BACKUP", T0, [[T0 + 10, "MASTER"]]), b: b(false) }, memory);
    expect(first.memory.keepalivedState.a).toBe("MASTER");
    // Act: probe 2, an ordinary failover and recovery since: MASTER -> FAULT -> BACKUP
    const second = assessNodes(
      {
        a: reportA("BACKUP", T0 + 30, [
          [T0 + 20, "FAULT"],
          [T0 + 30, "BACKUP"],
        ]),
        b: b(false),
      },
      { ...first.memory, lastEpoch: { a: T0 + 15, b: T0 + 15 } },
    );
    // Assess: a transition, not a flap (with the stale BACKUP as prior it read BACKUP -> FAULT -> BACKUP)
    const codes = second.findings.filter((f) => f.subject === "a").map((f) => f.code);
    expect(codes).toContain("KEEPALIVED_TRANSITION");
    expect(codes).not.toContain("KEEPALIVED_FLAPPED");
  });

  it("the log's entry for the dump's own transition (a moment after it) does not override the dump", () => {
    const memory = {
      ...EMPTY_NODE_MEMORY,
      lastEpoch: { a: T0, b: T0 },
      keepalivedState: { a: null, b: null },
    };
    const r = assessNodes({ a: reportA("MASTER", T0 + 10, [[T0 + 10.4, "MASTER"]]), b: b(true) }, memory);
    expect(r.memory.keepalivedState.a).toBe("MASTER");
    const stale = assessNodes(
      { a: reportA("BACKUP", T0 + 10, [[T0 + 10.4, "MASTER"]]), b: b(false) },
      memory,
    );
    expect(stale.memory.keepalivedState.a).toBe("BACKUP");
  });
});
