/**
 * Every kind of mail as it goes out, text and HTML, against reviewed golden files in mail-golden/
 * (the split-brain mail of mail.test.ts has its own): a change of a word shows up as a diff to read.
 * Re-record after a reviewed change: `npx vitest run --project unit -u test/unit/domain/mail-golden.test.ts`.
 */
import { describe, expect, it } from "vitest";
import { decide } from "../../../shared/domain/alert-policy.ts";
import { assess } from "../../../shared/domain/assess.ts";
import { divergenceFindings } from "../../../shared/domain/consistency/sweep.ts";
import type { Incident } from "../../../shared/domain/incidents.ts";
import {
  escapeHtml,
  renderMail,
  runbook,
  splitBrainAdvice,
  testMailAlert,
} from "../../../shared/domain/mail.ts";
import type { Assessment, ClusterState } from "../../../shared/domain/state.ts";
import { input, nodesView, sqlView } from "../../helpers/cluster.ts";

const T0 = Date.parse("2026-11-24T03:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000);
const healthy = assess(input(sqlView("a"), nodesView("a")));
const CONTEXT = {
  vip: "192.0.2.100",
  account: "123456789012",
  region: "eu-west-1",
  dashboardUrl: "https://d.example/x?a=1&b=2",
  logsUrl: "https://l.example/y",
};

const first = decide("prod", null, healthy, at(0), undefined, CONTEXT).state;
const split = (writes: Assessment["writes"]): Assessment => ({
  ...assess(input(sqlView("a"), nodesView("both"))),
  writes,
});
const splitState = (writes: Assessment["writes"], ec2RoutedTo?: string[]): ClusterState => {
  const s = decide("prod", first, split(writes), at(60), undefined, CONTEXT).state;
  return ec2RoutedTo
    ? { ...s, ec2: { mode: "route-table", routedTo: ec2RoutedTo, interfaces: [], mismatchSince: null } }
    : s;
};
const down = decide(
  "prod",
  first,
  assess(input(sqlView("down", ["a", "b"]), nodesView("a"))),
  at(60),
  undefined,
  CONTEXT,
).state;

const incident = (over: Partial<Incident>): Incident => ({
  id: "mysql-restarted-b-0badc0de",
  code: "MYSQL_RESTARTED",
  severity: "warning",
  subject: "b",
  message: "mysqld on node B restarted between probes <uptime 12 s>.",
  evidence: {},
  key: "k",
  openedAt: "2026-11-24T02:58:00.000Z",
  lastSeenAt: "2026-11-24T03:00:00.000Z",
  seen: 1,
  expiresAt: "2026-11-25T02:58:00.000Z",
  ...over,
});

async function golden(name: string, mail: { subject: string; text: string; html: string }) {
  await expect(`${mail.subject}\n\n${mail.text}\n`).toMatchFileSnapshot(`./mail-golden/${name}.txt`);
  await expect(mail.html).toMatchFileSnapshot(`./mail-golden/${name}.html`);
}

describe("every kind of mail, golden", () => {
  it("the first probe, healthy, without any context", async () => {
    await golden("first-healthy-no-context", renderMail(first, "transition", null));
  });

  it("DOWN, both nodes unreachable, with links", async () => {
    await golden("down", renderMail(down, "transition", "HEALTHY", [], CONTEXT));
  });

  it("a reminder of DOWN", async () => {
    await golden("reminder-down", renderMail(down, "reminder", "DOWN", [], CONTEXT));
  });

  it("an incident mail: new and older open incidents, one acknowledged (not listed), events, a silence", async () => {
    const newer = incident({ id: "mysql-restarted-b-00000001" });
    const older = incident({
      id: "keepalived-flapped-a-00000002",
      code: "KEEPALIVED_FLAPPED",
      subject: "a",
      message: "keepalived on node A flapped since the previous probe: MASTER → BACKUP → MASTER.",
      seen: 3,
    });
    const acked = incident({ id: "x-00000003", acknowledged: { at: "2026-11-24T02:59:00.000Z", by: "ops" } });
    const s: ClusterState = {
      ...first,
      incidents: [newer, older, acked],
      events: [
        { type: "VIP_MOVED", at: first.observedAt, message: "The VIP moved from node A to node B & back." },
      ],
      silence: {
        since: "2026-11-24T02:00:00.000Z",
        until: "2026-11-24T04:00:00.000Z",
        reason: "kernel <upgrade>",
        by: "ops@example",
        mailSplitBrain: true,
      },
    };
    await golden("incident-silenced", renderMail(s, "incident", "HEALTHY", [newer], CONTEXT));
  });

  it("the consistency sweep's incident: the rows that differ by key, the tables, where the repair SQL comes from", async () => {
    const [f] = divergenceFindings(
      {
        pass: null,
        last: {
          startedAt: "2026-11-24T02:58:00.000Z",
          finishedAt: "2026-11-24T02:59:00.000Z",
          reason: "after-split-brain",
          splitBrainSince: "2026-11-24T02:50:00.000Z",
          rows: 1200,
          tables: 3,
          differing: 2,
          tablesDiffering: { "shop.orders": 2 },
          differences: [
            { table: "shop.orders", kind: "different", key: ["3432"] },
            { table: "shop.orders", kind: "missing-on-b", key: ["3433"] },
          ],
          drift: [],
          skipped: [],
          unconfirmed: 0,
        },
      },
      "prod",
    );
    const divergence = incident({
      id: "data-divergence-pair-00000004",
      code: "DATA_DIVERGENCE",
      subject: "pair",
      message: f?.message ?? "",
    });
    const s: ClusterState = { ...first, findings: [f as NonNullable<typeof f>], incidents: [divergence] };
    await golden("data-divergence", renderMail(s, "incident", "HEALTHY", [divergence], CONTEXT));
  });

  it("a split brain where both nodes took writes, silenced with no mail at all", async () => {
    const s = {
      ...splitState({ a: "1-1-5", b: "2-2-9" }),
      silence: {
        since: "2026-11-24T02:00:00.000Z",
        until: "2026-11-24T04:00:00.000Z",
        reason: "drill",
        by: "ops",
        mailSplitBrain: false,
      },
    };
    await golden("split-brain-both-wrote", renderMail(s, "transition", "HEALTHY", [], CONTEXT));
  });

  it("a split brain where neither wrote, EC2 routing the VIP to B", async () => {
    await golden(
      "split-brain-ec2-b",
      renderMail(splitState({ a: null, b: null }, ["b"]), "transition", "HEALTHY", [], CONTEXT),
    );
  });

  it("unknown node values: the table says ? for each", async () => {
    const s: ClusterState = {
      ...down,
      vipOwner: null,
      nodes: {
        a: {
          id: "a",
          host: "192.0.2.11",
          mysql: "unknown",
          vipBound: null,
          keepalived: null,
          replication: null,
        },
        b: {
          id: "b",
          host: "192.0.2.12",
          mysql: "alive",
          vipBound: false,
          keepalived: "FAULT",
          replication: { io: "Connecting", sql: null, lagSeconds: null },
        },
      },
    };
    await golden("unknown-values", renderMail(s, "transition", "DEGRADED", [], { vip: "192.0.2.100" }));
  });
});

describe("the split-brain advice and runbook", () => {
  it("the advice for each case of writes and routing", () => {
    expect(splitBrainAdvice(first)).toEqual([]);
    expect(splitBrainAdvice(splitState({ a: null, b: "2-2-9" }))[1]).toBe(
      "Keep node B (it took the writes); give up the VIP on node A.",
    );
    expect(splitBrainAdvice(splitState({ a: null, b: null }, ["a"]))[1]).toBe(
      "Neither node took writes yet: keep node A (EC2 routes the VIP to it: the applications reach it); give up the VIP on node B.",
    );
    // EC2 routing to two places, or to something that is not a node, tells nothing; the ARP view is the
    // evidence left, and in this split both nodes answered it: which node applications reach is not known
    for (const routed of [["a", "b"], ["foreign:eni-1"], []])
      expect(splitBrainAdvice(splitState({ a: null, b: null }, routed))[1]).toBe(
        "Neither node took writes yet, and the VIP's ARP answer moved between the nodes during the split (both answered at some probe): which node the applications reach is not known. Either node can be kept; give up the VIP on the other.",
      );
    const withArp = (arpSeen: ("a" | "b")[] | undefined): ClusterState => {
      const s = splitState({ a: null, b: null });
      const sb = s.splitBrain as NonNullable<ClusterState["splitBrain"]>;
      return { ...s, splitBrain: { since: sb.since, writes: sb.writes, ...(arpSeen ? { arpSeen } : {}) } };
    };
    expect(splitBrainAdvice(withArp(["b"]))[1]).toBe(
      "Neither node took writes yet: keep node B (every probe of the split saw the VIP's ARP answered by it: the applications reach it); give up the VIP on node A.",
    );
    expect(splitBrainAdvice(withArp(undefined))[1]).toBe(
      "Neither node took writes yet: keep the node applications reach (the VIP owner by ARP, which no probe of the split could see), give up the VIP on the other.",
    );
    // the runbook gives the VIP up on the node the ARP never answered from
    expect(runbook(withArp(["b"]), "192.0.2.100")[0]).toBe(
      "On node A (192.0.2.11), to give the VIP up (or on the other: see above):",
    );
    // the prober's own heartbeats are named as such, never as writes
    const hb = withArp(["a", "b"]);
    const sbHb = hb.splitBrain as NonNullable<ClusterState["splitBrain"]>;
    expect(splitBrainAdvice({ ...hb, splitBrain: { ...sbHb, heartbeatOnly: ["a"] } })[0]).toMatch(
      /node A took no writes \(its only new transactions were the prober's own heartbeats\); node B took no writes\./,
    );
  });

  it("the runbook gives the VIP up on the node that took no writes, else the one EC2 does not route to, else B", () => {
    const target = (s: ClusterState) => runbook(s, "192.0.2.100")[0];
    expect(target(splitState({ a: null, b: "2-2-9" }))).toBe("On node A (192.0.2.11), to give the VIP up:");
    expect(target(splitState({ a: "1-1-5", b: null }))).toBe("On node B (192.0.2.12), to give the VIP up:");
    expect(target(splitState({ a: null, b: null }, ["b"]))).toBe(
      "On node A (192.0.2.11), to give the VIP up (or on the other: see above):",
    );
    expect(target(splitState({ a: null, b: null }))).toBe(
      "On node B (192.0.2.12), to give the VIP up (or on the other: see above):",
    );
    expect(target(splitState({ a: "1-1-5", b: "2-2-9" }, ["b"]))).toBe(
      "On node B (192.0.2.12), to give the VIP up (or on the other: see above):",
    );
    expect(runbook(first, "192.0.2.100")).toEqual([]);
  });

  it("without a VIP, an interface or a prefix the runbook says so with placeholders, never a wrong value", () => {
    const s = splitState({ a: "1-1-5", b: null });
    const bare: ClusterState = {
      ...s,
      nodes: {
        a: { ...s.nodes.a, vipInterface: null },
        b: { ...s.nodes.b, vipInterface: null, vipPrefix: null },
      },
    };
    expect(runbook(bare, undefined)).toContain("  ip addr del <VIP>/32 dev <interface>");
    expect(runbook(bare, undefined).at(-1)).toBe("  arping -U -I <interface> -s <VIP> <VIP>");
  });
});

describe("escaping and the test mail", () => {
  it("escapeHtml escapes the five characters, each one everywhere", () => {
    expect(escapeHtml(`<a href="x">'&'</a><>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;&lt;&gt;",
    );
  });

  it("the test mail says it is one, in the subject, the text and the HTML", () => {
    const a = testMailAlert("prod<1>", new Date(T0));
    expect(a).toMatchObject({
      id: "prod<1>:2026-11-24T03:00:00.000Z:test",
      cluster: "prod<1>",
      kind: "reminder",
      from: null,
      to: "HEALTHY",
      createdAt: "2026-11-24T03:00:00.000Z",
      subject: "[mysql-ha] prod<1>: TEST MAIL (no action needed)",
    });
    expect(a.text).toBe(
      [
        "TEST MAIL from mysql-ha-prober: no action needed.",
        "",
        "Cluster: prod<1>. Sent at 2026-11-24T03:00:00.000Z by `mysql-ha-prober test-mail`.",
        "If you read this, alerts for this cluster reach you by this channel.",
      ].join("\n"),
    );
    expect(a.html).toContain(
      '<h2 style="background:#0d47a1;color:#fff;padding:8px">TEST MAIL: no action needed</h2>',
    );
    expect(a.html).toContain(
      "Cluster: prod&lt;1&gt;. Sent at 2026-11-24T03:00:00.000Z by `mysql-ha-prober test-mail`.<br>If you read",
    );
    expect(a.html).toContain("no action needed.<br><br>Cluster");
  });
});
