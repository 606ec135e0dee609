/** The CLI's human output and its exit codes, exactly as a person (or a monitoring plugin) reads them. */
import { describe, expect, it } from "vitest";
import { decide } from "../../../shared/domain/alert-policy.ts";
import { assess } from "../../../shared/domain/assess.ts";
import type { Status } from "../../../shared/domain/state.ts";
import type { HistoryItem } from "../../../shared/ports.ts";
import {
  ec2Line,
  exitCodeFor,
  renderHistory,
  renderState,
  summarizeState,
  table,
} from "../../../shared/text/output.ts";
import { renderStatus } from "../../../shared/text/status-output.ts";
import { input, nodesView, sqlView } from "../../helpers/cluster.ts";

const failover = () => assess(input(sqlView("b", ["a"]), nodesView("b")));
const ROWS = [
  "node  host        VIP    keepalived  MySQL  replication in      lag",
  "A     192.0.2.11  -      BACKUP      down   ?                   ?",
  "B     192.0.2.12  BOUND  MASTER      up     A→B io=Yes sql=Yes  0s",
];
const FINDINGS = [
  "findings:",
  "  [critical] MYSQL_UNREACHABLE (a): MySQL on node A (192.0.2.11) did not answer: refused (simulated refused).",
  "  [warning] VIEW_MISSING (pair): Not observed: node A over SQL.",
];

describe("exit codes (monitoring-plugin convention)", () => {
  it.each([
    [["HEALTHY"], 0],
    [["DEGRADED"], 1],
    [["SPLIT_BRAIN"], 2],
    [["DOWN"], 2],
    [["UNKNOWN"], 3],
    [[], 0],
    [["HEALTHY", "DEGRADED", "HEALTHY"], 1],
    [["DOWN", "UNKNOWN"], 3],
    [["DEGRADED", "SPLIT_BRAIN"], 2],
  ] as [Status[], number][])("%j -> %i (the worst cluster wins)", (statuses, code) => {
    expect(exitCodeFor(statuses)).toBe(code);
  });
});

describe("renderState", () => {
  it("a failover: the header, a row per node, the findings (info ones left out)", () => {
    expect(renderState("prod", failover(), 123)).toBe(
      ["cluster prod: DEGRADED, VIP owner B (123 ms)", ...ROWS, ...FINDINGS].join("\n"),
    );
  });

  it("a split brain stands out; unknown owner and values are said; no findings says none", () => {
    const sb = assess(input(sqlView("a"), nodesView("both")));
    expect(renderState("prod", sb).split("\n")[0]).toBe(
      "cluster prod: *** SPLIT BRAIN ***, VIP owner BOTH NODES",
    );
    const quiet = {
      ...assess(input(sqlView("a"), nodesView("a"))),
      vipOwner: null,
      findings: [],
    };
    quiet.nodes.a.vipBound = null;
    quiet.nodes.a.keepalived = null;
    const out = renderState("prod", quiet).split("\n");
    expect(out[0]).toBe("cluster prod: HEALTHY, VIP owner unknown");
    expect(out[2]).toBe("A     192.0.2.11  ?    ?           up     B→A io=Yes sql=Yes  0s");
    expect(out.at(-1)).toBe("findings: none");
  });

  it("events, the EC2 line and open incidents", () => {
    const a = failover();
    a.events.push({ type: "VIP_MOVED", at: "", message: "Failover: the VIP moved from node A to node B." });
    const out = renderState("prod", {
      ...a,
      ec2: {
        mode: "route-table",
        routedTo: ["a"],
        interfaces: ["eni-0a"],
        mismatchSince: "2026-11-25T10:00:00.000Z",
      },
      incidents: [
        {
          id: "i-1",
          code: "MYSQL_RESTARTED",
          severity: "warning",
          subject: "b",
          key: "k",
          message: "MySQL restarted on node B.",
          openedAt: "2026-11-25T09:00:00.000Z",
          lastSeenAt: "2026-11-25T09:00:00.000Z",
          acknowledged: null,
        } as never,
      ],
    });
    expect(out).toContain(
      "EC2 route-table: VIP routed to node A (eni-0a), disagreeing with the holder since 2026-11-25T10:00:00.000Z; ARP view: not applicable\nevent: Failover: the VIP moved from node A to node B.",
    );
    expect(
      out.endsWith(
        "open incidents (until `ack`):\n  i-1 [warning] MYSQL_RESTARTED since 2026-11-25T09:00:00.000Z: MySQL restarted on node B.",
      ),
    ).toBe(true);
  });
});

describe("the EC2 line", () => {
  it.each([
    [
      { routedTo: ["b"], interfaces: ["eni-0b"], mismatchSince: null },
      "EC2 secondary-ip: VIP routed to node B (eni-0b); ARP view: not applicable",
    ],
    [
      { routedTo: [], interfaces: [], mismatchSince: null },
      "EC2 secondary-ip: VIP routed to nowhere; ARP view: not applicable",
    ],
    [
      { routedTo: null, interfaces: [], mismatchSince: null },
      "EC2 secondary-ip: VIP routed to unknown (the EC2 API did not answer); ARP view: not applicable",
    ],
    [
      { routedTo: ["a", "foreign:eni-9"], interfaces: ["eni-0a", "eni-9"], mismatchSince: null },
      "EC2 secondary-ip: VIP routed to node A + foreign:eni-9 (eni-0a, eni-9); ARP view: not applicable",
    ],
  ] as const)("%j", (e, line) => {
    expect(
      ec2Line({
        mode: "secondary-ip",
        ...e,
        routedTo: e.routedTo ? [...e.routedTo] : null,
        interfaces: [...e.interfaces],
      }),
    ).toBe(line);
  });
});

describe("tables, history and summaries", () => {
  it("columns padded to the widest cell, two spaces apart, no trailing spaces", () => {
    expect(
      table([
        ["a", "bb", "c"],
        ["ccc", "d", ""],
      ]),
    ).toBe("a    bb  c\nccc  d");
  });

  it("history: a transition, an incident and a sample, each as the operator reads it", () => {
    const item = (h: Partial<HistoryItem>): HistoryItem => ({
      cluster: "prod",
      at: "2026-11-25T10:00:00.000Z",
      version: 1,
      from: "HEALTHY",
      to: "DEGRADED",
      vipOwner: "b",
      reasons: [],
      findingCodes: ["MYSQL_UNREACHABLE", "VIEW_MISSING"],
      kind: "transition",
      ...h,
    });
    expect(renderHistory([])).toBe("no transitions in that period");
    expect(
      renderHistory([
        item({}),
        item({ kind: "incident", incidentId: "i-7", findingCodes: ["MYSQL_RESTARTED"], vipOwner: null }),
        item({ kind: "sample", from: "DEGRADED", to: "DEGRADED" }),
        // the info codes a healthy pair always has are not listed (probe says "findings: none")
        item({
          kind: "sample",
          from: "HEALTHY",
          to: "HEALTHY",
          vipOwner: "a",
          findingCodes: ["VIP_ON_NODE", "BOTH_WRITABLE"],
        }),
      ]),
    ).toBe(
      [
        "at                        what          from      to        VIP owner  findings",
        "2026-11-25T10:00:00.000Z  transition    HEALTHY   DEGRADED  B          MYSQL_UNREACHABLE,VIEW_MISSING",
        "2026-11-25T10:00:00.000Z  incident i-7  -         DEGRADED  -          MYSQL_RESTARTED",
        "2026-11-25T10:00:00.000Z  sample        DEGRADED  DEGRADED  B          MYSQL_UNREACHABLE,VIEW_MISSING",
        "2026-11-25T10:00:00.000Z  sample        HEALTHY   HEALTHY   A          none",
      ].join("\n"),
    );
  });

  it("summarizeState names a probe that disagrees with the declared status", () => {
    const s = decide("prod", null, failover(), new Date("2026-11-25T10:00:00Z")).state;
    // the owner as probe and status print it
    expect(summarizeState(s)).toBe("2026-11-25T10:00:00.000Z prod: DEGRADED, VIP owner B");
    expect(summarizeState({ ...s, probeStatus: "HEALTHY", vipOwner: null })).toBe(
      "2026-11-25T10:00:00.000Z prod: DEGRADED (probe says HEALTHY), VIP owner unknown",
    );
  });
});

describe("status", () => {
  it("what was stored: since when, how long ago, silence, the table, incidents, unsent mails", () => {
    const d = decide("prod", null, failover(), new Date("2026-11-25T10:00:00Z"));
    const out = renderStatus(
      "prod",
      { version: 3, state: d.state, outbox: d.alert ? [d.alert] : [], historyOutbox: [] },
      new Date("2026-11-25T10:00:42Z"),
    );
    expect(out).toBe(
      [
        "cluster prod: DEGRADED since 2026-11-25T10:00:00.000Z",
        "last probe: 2026-11-25T10:00:00.000Z (42 s ago), VIP owner B",
        "not silenced",
        "",
        ...ROWS,
        ...FINDINGS,
        "open incidents: none",
        "",
        "unsent mails (kept, retried at the next probe): 1",
        "created                   subject",
        "2026-11-25T10:00:00.000Z  [mysql-ha] prod: first probe -> DEGRADED",
      ].join("\n"),
    );
    expect(renderStatus("prod", null, new Date())).toBe(
      "cluster prod: nothing stored yet (has it been probed? run watch, or deploy)",
    );
  });
});

describe("status: the other header forms", () => {
  const T = new Date("2026-11-25T10:01:00Z");
  const healthy = decide(
    "prod",
    null,
    assess(input(sqlView("a"), nodesView("a"))),
    new Date("2026-11-25T10:00:00Z"),
  ).state;
  const head = (state: typeof healthy, outbox = 0) =>
    renderStatus(
      "prod",
      { version: 1, state, outbox: Array(outbox).fill({ createdAt: "t", subject: "s" }), historyOutbox: [] },
      T,
    ).split("\n");

  it("a split brain, a probe waiting for confirmation, both nodes holding the VIP, a silence", () => {
    const lines = head({
      ...healthy,
      status: "SPLIT_BRAIN",
      probeStatus: "HEALTHY",
      vipOwner: "both",
      silence: {
        since: "x",
        until: "2026-11-25T11:00:00.000Z",
        reason: "upgrade",
        by: "ops",
        mailSplitBrain: true,
      },
    });
    expect(lines.slice(0, 3)).toEqual([
      "cluster prod: *** SPLIT BRAIN *** since 2026-11-25T10:00:00.000Z (the last probe says HEALTHY, waiting for confirmation)",
      "last probe: 2026-11-25T10:00:00.000Z (60 s ago), VIP owner BOTH NODES",
      "SILENCED: silenced until 2026-11-25T11:00:00.000Z by ops: upgrade (a split brain is still mailed)",
    ]);
  });

  it("an unknown owner, an ended silence, open incidents and no unsent mail", () => {
    const lines = head({
      ...healthy,
      vipOwner: null,
      silence: {
        since: "x",
        until: "2026-11-25T10:00:30.000Z",
        reason: "done",
        by: "ops",
        mailSplitBrain: true,
      },
      incidents: [
        {
          id: "i-1",
          code: "MYSQL_RESTARTED",
          severity: "warning",
          subject: "b",
          message: "restarted",
          evidence: {},
          key: "k",
          openedAt: "t",
          lastSeenAt: "t",
          seen: 1,
          expiresAt: "2026-11-26T00:00:00.000Z",
        },
      ],
    });
    expect(lines[1]).toBe("last probe: 2026-11-25T10:00:00.000Z (60 s ago), VIP owner unknown");
    expect(lines[2]).toBe("not silenced");
    expect(lines).not.toContain("open incidents: none");
    expect(lines.at(-1)).toBe("unsent mails: none");
  });
});
