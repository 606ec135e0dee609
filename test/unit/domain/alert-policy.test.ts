import { describe, expect, it } from "vitest";
import { DEFAULT_ALERT_POLICY, decide } from "../../../shared/domain/alert-policy.ts";
import { assess } from "../../../shared/domain/assess.ts";
import { escapeHtml } from "../../../shared/domain/mail.ts";
import type { Assessment, ClusterState, Status } from "../../../shared/domain/state.ts";
import { input, nodesView, sqlView } from "../../helpers/cluster.ts";

const base = assess(input(sqlView("a"), nodesView("a")));
const verdict = (status: Status, extra: Partial<Assessment> = {}): Assessment => ({
  ...base,
  status,
  ...extra,
});
/** A verdict that saw the VIP move from A to B (a failover). */
const failover = (status: Status, extra: Partial<Assessment> = {}): Assessment =>
  verdict(status, {
    events: [
      {
        type: "VIP_MOVED",
        at: "",
        from: "a",
        to: "b",
        message: "Failover: the VIP moved from node A to node B.",
      },
    ],
    ...extra,
  });
const T0 = Date.parse("2026-11-24T10:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000);

/** Runs a sequence of verdicts, one probe every 10 s, and returns the decisions. */
function run(statuses: (Status | Assessment)[], start: ClusterState | null = null, stepS = 10) {
  let prev = start;
  return statuses.map((s, i) => {
    const d = decide("prod", prev, typeof s === "string" ? verdict(s) : s, at(i * stepS));
    prev = d.state;
    return d;
  });
}

describe("noise control and alerts", () => {
  it("a first HEALTHY probe sends nothing; steady HEALTHY sends nothing", () => {
    const ds = run(["HEALTHY", "HEALTHY", "HEALTHY"]);
    expect(ds.map((d) => d.alert)).toEqual([null, null, null]);
    expect(ds[0]?.transition).toEqual({ from: null, to: "HEALTHY" });
  });

  it("DEGRADED is declared only after 2 agreeing probes, with the first detection time", () => {
    const ds = run(["HEALTHY", "DEGRADED", "DEGRADED", "DEGRADED"]);
    expect(ds.map((d) => d.state.status)).toEqual(["HEALTHY", "HEALTHY", "DEGRADED", "DEGRADED"]);
    expect(ds.map((d) => d.alert?.kind ?? null)).toEqual([null, null, "transition", null]);
    expect(ds[2]?.state.statusSince).toBe(at(10).toISOString());
    expect(ds[2]?.alert?.subject).toBe("[mysql-ha] prod: HEALTHY -> DEGRADED");
  });

  it("a single DEGRADED blip sends nothing", () => {
    const ds = run(["HEALTHY", "DEGRADED", "HEALTHY", "DEGRADED", "HEALTHY"]);
    expect(ds.every((d) => d.alert === null)).toBe(true);
    expect(ds.every((d) => d.state.status === "HEALTHY")).toBe(true);
  });

  it("SPLIT_BRAIN alerts at once with a subject that stands out; clearing needs 2 probes and gives exactly one resolved mail", () => {
    const ds = run(["HEALTHY", "SPLIT_BRAIN", "SPLIT_BRAIN", "HEALTHY", "HEALTHY", "HEALTHY"]);
    expect(ds.map((d) => d.alert?.kind ?? null)).toEqual([null, "transition", null, null, "resolved", null]);
    expect(ds[1]?.alert?.subject).toBe("[mysql-ha] prod: HEALTHY -> *** SPLIT BRAIN ***");
    expect(ds[4]?.alert?.subject).toBe("[mysql-ha] prod: *** SPLIT BRAIN *** -> HEALTHY");
    expect(ds[1]?.state.events.map((e) => e.type)).toContain("SPLIT_BRAIN_STARTED");
  });

  it("DOWN alerts at once", () => {
    expect(run(["HEALTHY", "DOWN"])[1]?.alert?.kind).toBe("transition");
  });

  it("a failover (VIP_MOVED) is declared at once: one failover mail", () => {
    const moved = failover("DEGRADED");
    const ds = run(["HEALTHY", moved, "DEGRADED", "DEGRADED"]);
    expect(ds.filter((d) => d.alert).length).toBe(1);
    expect(ds[1]?.alert?.text).toMatch(/Failover: the VIP moved from node A to node B/);
  });

  it("an ongoing split brain is re-notified every 15 minutes; other problems every 4 hours", () => {
    const sb = run(Array(200).fill("SPLIT_BRAIN") as Status[], null, 60); // 200 minutes
    const reminders = sb.filter((d) => d.alert?.kind === "reminder").length;
    expect(sb[0]?.alert?.kind).toBe("transition");
    expect(reminders).toBe(Math.floor(199 / 15));
    const deg = run(Array(600).fill("DEGRADED") as Status[], null, 60); // 10 hours
    expect(deg.filter((d) => d.alert?.kind === "reminder").length).toBe(2);
    expect(deg.find((d) => d.alert?.kind === "reminder")?.alert?.subject).toMatch(/still DEGRADED \(since /);
  });
});

describe("mail", () => {
  it("escapes every value that came from a server in the HTML", () => {
    const evil = assess(input(sqlView("a"), nodesView("a")));
    evil.findings.push({
      code: "MYSQL_BAD_RESULT",
      severity: "warning",
      subject: "a",
      message: "<script>alert(1)</script>",
      evidence: {},
    });
    evil.nodes.a.host = '"><img src=x onerror=alert(1)>';
    const d = decide("prod<b>", null, { ...evil, status: "DEGRADED" }, at(0));
    expect(d.alert?.html).not.toMatch(/<script>|<img/);
    expect(d.alert?.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(d.alert?.html).toContain("prod&lt;b&gt;");
    expect(escapeHtml(`&<>"'`)).toBe("&amp;&lt;&gt;&quot;&#39;");
  });

  it("escapes the keepalived state and the events' messages too (both come from the nodes)", () => {
    const evil = assess(input(sqlView("a"), nodesView("a")));
    evil.nodes.b.keepalived = "<b>MASTER</b>";
    evil.events.push({ type: "KEEPALIVED_FLAPPED", at: "", message: 'flap <i onmouseover="x">' });
    const html = decide("prod", null, { ...evil, status: "DEGRADED" }, at(0)).alert?.html ?? "";
    expect(html).not.toMatch(/<b>MASTER|<i onmouseover/);
    expect(html).toContain("&lt;b&gt;MASTER&lt;/b&gt;");
    expect(html).toContain("flap &lt;i onmouseover=&quot;x&quot;&gt;");
  });

  it("the HTML body is its own document (markup, a table per node), not the text body", () => {
    const d = decide("prod", null, assess(input(sqlView("a", ["b"]), nodesView("a"))), at(0));
    const html = d.alert?.html ?? "";
    expect(html).not.toBe(d.alert?.text);
    expect(html).toMatch(/^<!doctype html>|^<html|<body/i);
    expect(html.match(/<tr/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
  });

  it("lists per node VIP, keepalived, MySQL, replication and lag, and what to do", () => {
    const a = assess(input(sqlView("a", ["b"]), nodesView("a")));
    const d = decide("prod", null, a, at(0));
    expect(d.alert?.text).toMatch(
      /A 192\.0\.2\.11: VIP BOUND, keepalived MASTER, MySQL up, B→A io=Yes sql=Yes, lag 0s/,
    );
    expect(d.alert?.text).toMatch(/B 192\.0\.2\.12: VIP -, keepalived BACKUP, MySQL down/);
    expect(d.alert?.text).toMatch(/What to do:\n {2}MYSQL_UNREACHABLE: /);
    expect(d.alert?.html).toMatch(/<table/);
  });
});

describe("a non-default policy", () => {
  it("confirmations 3: DEGRADED is declared at the third agreeing probe, not the second", () => {
    const policy = { ...DEFAULT_ALERT_POLICY, confirmations: 3 };
    let prev: ClusterState | null = null;
    const declared = ["HEALTHY", "DEGRADED", "DEGRADED", "DEGRADED"].map((s, i) => {
      const d = decide("prod", prev, verdict(s as Status), at(i * 10), policy);
      prev = d.state;
      return d.state.status;
    });
    expect(declared).toEqual(["HEALTHY", "HEALTHY", "HEALTHY", "DEGRADED"]);
  });
});

describe("DOWN while a failover is under way", () => {
  it("waits for confirmation; the failover that follows gives the one mail", () => {
    const moved = failover("DEGRADED");
    const ds = run(["HEALTHY", verdict("DOWN", { awaitingFailover: true }), moved, "DEGRADED"]);
    expect(ds.map((d) => d.state.status)).toEqual(["HEALTHY", "HEALTHY", "DEGRADED", "DEGRADED"]);
    expect(ds.filter((d) => d.alert).map((d) => d.alert?.subject)).toEqual([
      "[mysql-ha] prod: HEALTHY -> DEGRADED (FAILOVER A -> B)",
    ]);
  });

  it("a failover that does not come: DOWN is declared once the grace period (10 s) has passed", () => {
    const down = verdict("DOWN", { awaitingFailover: true });
    const ds = run(["HEALTHY", down, down, down, down], null, 4); // a probe every 4 s
    expect(ds.map((d) => d.state.status)).toEqual(["HEALTHY", "HEALTHY", "HEALTHY", "HEALTHY", "DOWN"]);
    expect(ds[4]?.state.statusSince).toBe(at(4).toISOString());
  });
});

describe("every VIP move is mailed, in one mail with what goes with it", () => {
  /** The KEEPALIVED_RESTARTED event finding of node `id` (keepalived now at `pid`). */
  const restartedOn = (id: "a" | "b", pid: number) => ({
    code: "KEEPALIVED_RESTARTED" as const,
    severity: "warning" as const,
    message: `keepalived restarted on node ${id.toUpperCase()}.`,
    evidence: {},
    subject: id,
    key: `pid:${pid}`,
  });
  const subjects = (ds: ReturnType<typeof run>) => ds.map((d) => d.alert?.subject ?? null);

  it("a move with nothing else to mail, and the status change it causes at the next probe: one mail", () => {
    const down = verdict("DEGRADED");
    const ds = run(["HEALTHY", failover("HEALTHY"), down, down]);
    // the move waits one probe; the DEGRADED it explains is declared at once (a failover) and carries it
    expect(subjects(ds)).toEqual([
      null,
      null,
      "[mysql-ha] prod: HEALTHY -> DEGRADED (FAILOVER A -> B)",
      null,
    ]);
    expect(ds[2]?.alert?.text).toMatch(/Failover: the VIP moved from node A to node B/);
  });

  it("a move with nothing else to mail at the next probe either: mailed alone then, naming from and to", () => {
    const ds = run(["HEALTHY", failover("HEALTHY"), "HEALTHY", "HEALTHY"]);
    expect(subjects(ds)).toEqual([null, null, "[mysql-ha] prod: FAILOVER A -> B (status HEALTHY)", null]);
    expect(ds[1]?.state.held?.events.map((e) => e.type)).toEqual(["VIP_MOVED"]);
    expect(ds[2]?.state.held).toBeUndefined();
  });

  it("a move whose status change is declared at the next probe: one transition mail naming the failover", () => {
    const ds = run(["HEALTHY", failover("HEALTHY"), verdict("DOWN")]);
    expect(subjects(ds)).toEqual([null, null, "[mysql-ha] prod: HEALTHY -> DOWN (FAILOVER A -> B)"]);
  });

  it("an incident opened while no node held the VIP waits for the move: one mail with both (keepalived restarted on the holder)", () => {
    const restarted = restartedOn("a", 42);
    const noOwner = verdict("HEALTHY", { vipOwner: null, findings: [restarted] });
    const ds = run(["HEALTHY", noOwner, failover("HEALTHY", { findings: [restarted] }), "HEALTHY"]);
    expect(subjects(ds)).toEqual([
      null,
      null,
      "[mysql-ha] prod: FAILOVER A -> B, INCIDENT KEEPALIVED_RESTARTED on node A (status HEALTHY)",
      null,
    ]);
  });

  it("an incident with the owner known is mailed at once, as before", () => {
    const ds = run(["HEALTHY", verdict("HEALTHY", { findings: [restartedOn("b", 43)] })]);
    expect(subjects(ds)).toEqual([
      null,
      "[mysql-ha] prod: INCIDENT KEEPALIVED_RESTARTED on node B (status HEALTHY)",
    ]);
  });
});

describe("a failover seen mid-way", () => {
  it("VIP_MOVED while DOWN awaits the failover: held, then one failover mail carrying the event", () => {
    const ds = run(["HEALTHY", failover("DOWN", { awaitingFailover: true }), "DEGRADED", "DEGRADED"]);
    expect(ds.map((d) => d.state.status)).toEqual(["HEALTHY", "HEALTHY", "DEGRADED", "DEGRADED"]);
    const mails = ds.filter((d) => d.alert).map((d) => d.alert);
    expect(mails.map((m) => m?.subject)).toEqual(["[mysql-ha] prod: HEALTHY -> DEGRADED (FAILOVER A -> B)"]);
    expect(mails[0]?.text).toMatch(/Failover: the VIP moved from node A to node B/);
  });
});
