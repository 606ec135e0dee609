/** The status rule group: each split-brain code alone decides SPLIT_BRAIN; the first match wins. */
import { describe, expect, it } from "vitest";
import { failed } from "../../../../emulators/mysql-recordings.ts";
import { LabClusterSchema } from "../../../../shared/config.ts";
import { makeFinding } from "../../../../shared/domain/codes.ts";
import { decideStatus, SPLIT_BRAIN_CODES } from "../../../../shared/domain/rules/status.ts";
import { targetFromConfig } from "../../../../shared/target.ts";
import { ok } from "../../../helpers/node-reports.ts";

const sqlUp = { alive: true, server: {}, error: null } as never;
const base = {
  views: {
    keepalivedMaster: ["a"],
    vipBound: ["a"],
    arpAnswer: ["a"],
    vipSqlLandedOn: ["a"],
    takingWrites: null,
  },
  vipOwner: "a" as const,
  missing: [],
  sql: { vip: sqlUp, a: sqlUp, b: sqlUp },
  nodes: {} as never,
};

describe("the status decision", () => {
  it("the split-brain codes are exactly the three that mean both nodes claim the VIP", () => {
    expect([...SPLIT_BRAIN_CODES].sort()).toEqual([
      "ARP_DUPLICATE",
      "KEEPALIVED_MULTIPLE_MASTERS",
      "SPLIT_BRAIN_VIP_ON_BOTH",
    ]);
  });

  it("the prober's own problems are UNKNOWN with what to fix, never a cluster status: a node check refused for lack of root", () => {
    const refused = {
      ok: false,
      reason: "access-denied",
      detail: "entering the network namespace mhp-a needs root: run as root (sudo)",
      durationMs: 1,
    };
    const f = makeFinding("NODE_CHECK_FAILED", "Node A could not be checked (access-denied)", {}, "a");
    const v = decideStatus({ ...base, findings: [f], nodes: { a: refused, b: refused } as never });
    expect(v.status).toBe("UNKNOWN");
    expect(v.reasons[0]).toMatch(
      /^The prober's problem, not the cluster's: node A's check needs root here .*Run as root\.$/,
    );
    // the same refusal by SSM (no root involved) points at the prober's permissions
    const ssm = { ...refused, detail: "AccessDeniedException: not authorized to perform ssm:SendCommand" };
    expect(decideStatus({ ...base, findings: [f], nodes: { a: ssm, b: ssm } as never }).reasons[0]).toMatch(
      /Check its permissions \(ssm:SendCommand/,
    );
  });

  it("a foreign MAC, even confirmed, is DEGRADED: a conflict to investigate, not a split brain", () => {
    const f = makeFinding("ARP_FOREIGN_MAC", "foreign seen", {}, "pair");
    expect(decideStatus({ ...base, findings: [f] }).status).toBe("DEGRADED");
  });

  it.each(["SPLIT_BRAIN_VIP_ON_BOTH", "KEEPALIVED_MULTIPLE_MASTERS", "ARP_DUPLICATE"] as const)(
    "%s alone is SPLIT_BRAIN, its message the reason",
    (code) => {
      const f = makeFinding(code, `${code} seen`, {}, "pair");
      const v = decideStatus({ ...base, findings: [f] });
      expect(v).toEqual({ status: "SPLIT_BRAIN", reasons: [`${code} seen`], awaitingFailover: false });
    },
  );

  it("no finding, every view on one node: HEALTHY; an event finding (with a key) does not degrade it", () => {
    expect(decideStatus({ ...base, findings: [] }).status).toBe("HEALTHY");
    const event = { ...makeFinding("MYSQL_RESTARTED", "restarted", {}, "b"), key: "t1" };
    expect(decideStatus({ ...base, findings: [event] }).status).toBe("HEALTHY");
  });
});

describe("the configuration reaches the probe target", () => {
  it("alerting (a non-default policy), thresholds and the nodes' own hosts and ports", () => {
    const c = LabClusterSchema.parse({
      name: "prod",
      vip: { host: "192.0.2.100" },
      mysql: { user: "prober", password: "x", tls: { mode: "disabled" } },
      nodes: {
        a: { host: "192.0.2.11", port: 3307, runner: { type: "netns", namespace: "x-a" } },
        b: { host: "192.0.2.12", runner: { type: "netns", namespace: "x-b" } },
      },
      alerting: { confirmations: 5, repeatHours: 1 },
      thresholds: { lagWarningSeconds: 7, lagCriticalSeconds: 70 },
    });
    const t = targetFromConfig(c);
    expect(t.policy).toMatchObject({ confirmations: 5, repeatHours: 1 });
    expect(t.thresholds).toEqual({ lagWarningSeconds: 7, lagCriticalSeconds: 70 });
    expect([t.nodes.a.host, t.nodes.a.port, t.nodes.b.host, t.nodes.b.port]).toEqual([
      "192.0.2.11",
      3307,
      "192.0.2.12",
      3306,
    ]);
    expect(t.nodes.b.nodeCheck).toMatchObject({ Vip: "192.0.2.100", MysqlPort: 3306, ArpCount: 3 });
  });
});

describe("when nothing answers", () => {
  const down = (cls: "timeout" | "refused" | "unreachable" | "auth") => ({
    vip: failed("vip", "192.0.2.100", cls === "refused" ? "timeout" : cls),
    a: failed("a", "192.0.2.11", cls),
    b: failed("b", "192.0.2.12", cls),
  });
  const noCheck = { ok: false as const, reason: "timeout" as const, detail: "", durationMs: 1 };
  const views = {
    keepalivedMaster: null,
    vipBound: null,
    arpAnswer: null,
    vipSqlLandedOn: null,
    takingWrites: null,
  };
  const decide = (sql: ReturnType<typeof down>, nodes: { a: unknown; b: unknown }) =>
    decideStatus({ findings: [], views, vipOwner: null, missing: [], sql, nodes: nodes as never });

  it("no SQL and no node check: UNKNOWN (the prober may be cut off), not DOWN", () => {
    expect(decide(down("timeout"), { a: noCheck, b: noCheck })).toEqual({
      status: "UNKNOWN",
      reasons: ["Nothing answers, not even the node checks: the prober may be cut off from the cluster."],
      awaitingFailover: false,
    });
  });

  it("a node that refused outright, or a node check that ran: DOWN", () => {
    const refused = decide(down("refused"), { a: noCheck, b: noCheck });
    expect(refused).toEqual({
      status: "DOWN",
      reasons: ["Neither the VIP nor either node answers SQL."],
      awaitingFailover: false,
    });
    expect(decide(down("timeout"), { a: ok({ keepalived: "down" }), b: noCheck }).status).toBe("DOWN");
  });

  it("a login refused on the VIP is not 'nothing answers': UNKNOWN, the prober's problem, the configuration to check", () => {
    const sql = { ...down("timeout"), vip: failed("vip", "192.0.2.100", "auth") };
    expect(decide(sql, { a: noCheck, b: noCheck }).status).toBe("UNKNOWN");
    expect(decide(sql, { a: noCheck, b: noCheck }).reasons[0]).toMatch(
      /^The prober's problem, not the cluster's: the VIP refused the monitoring user's login .*Check the configuration: mysql\.user/,
    );
  });
});
