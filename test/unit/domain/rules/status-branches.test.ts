/** decideStatus called directly, one case per branch, the verdict whole. */
import { describe, expect, it } from "vitest";
import { failed } from "../../../../emulators/mysql-recordings.ts";
import { makeFinding } from "../../../../shared/domain/codes.ts";
import type { NodeCheckResult } from "../../../../shared/domain/node.ts";
import type { Views } from "../../../../shared/domain/rules/cross-check.ts";
import { decideStatus, type StatusInput } from "../../../../shared/domain/rules/status.ts";
import type { SqlObservation } from "../../../../shared/domain/sql.ts";
import { PAIR, sqlView } from "../../../helpers/cluster.ts";
import { MAC, ok } from "../../../helpers/node-reports.ts";

const VIEWS: Views = {
  keepalivedMaster: ["a"],
  vipBound: ["a"],
  arpAnswer: ["a"],
  vipSqlLandedOn: ["a"],
  takingWrites: null,
};
const nodes = (b: Partial<Parameters<typeof ok>[0]> = {}) => ({
  a: ok({ mac: MAC.a, bound: true, keepalived: "MASTER" }),
  b: ok({ mac: MAC.b, replies: [MAC.a], keepalived: "BACKUP", ...b }),
});
const noCheck: NodeCheckResult = { ok: false, reason: "timeout", detail: "x", durationMs: 1 };

function status(
  over: Partial<StatusInput> & { sqlOver?: Partial<Record<"vip" | "a" | "b", SqlObservation>> } = {},
) {
  const { sqlOver, ...rest } = over;
  return decideStatus({
    findings: [],
    views: VIEWS,
    vipOwner: "a",
    missing: [],
    sql: { ...sqlView("a"), ...sqlOver },
    nodes: nodes(),
    ...rest,
  });
}

const vipDown = failed("vip", "192.0.2.100", "refused");
const aDown = failed("a", PAIR.a.host, "refused");
const bDown = failed("b", PAIR.b.host, "refused");

describe("decideStatus", () => {
  it("a split-brain code wins over everything, its messages the reasons", () => {
    for (const code of ["SPLIT_BRAIN_VIP_ON_BOTH", "KEEPALIVED_MULTIPLE_MASTERS", "ARP_DUPLICATE"] as const) {
      const f = makeFinding(code, `${code} seen`, {}, "pair");
      expect(status({ findings: [makeFinding("VIP_NOT_BOUND", "nb", {}, "pair"), f] }), code).toEqual({
        status: "SPLIT_BRAIN",
        reasons: [`${code} seen`],
        awaitingFailover: false,
      });
    }
  });

  it("the VIP bound nowhere is DOWN, awaiting failover when a node can take it", () => {
    const nb = makeFinding("VIP_NOT_BOUND", "not bound", {}, "pair");
    expect(status({ findings: [nb] })).toEqual({
      status: "DOWN",
      reasons: ["not bound", "The other node can take the VIP over: a failover is expected."],
      awaitingFailover: true,
    });
    const none = { a: nodes({ keepalived: "FAULT" }).b, b: nodes({ keepalived: "down" }).b };
    expect(status({ findings: [nb], nodes: none })).toEqual({
      status: "DOWN",
      reasons: ["not bound"],
      awaitingFailover: false,
    });
  });

  it("EC2 routing the VIP elsewhere is DOWN at once", () => {
    for (const code of ["EC2_VIP_MISMATCH", "EC2_VIP_UNASSIGNED", "EC2_VIP_FOREIGN"] as const) {
      const f = makeFinding(code, `${code} now`, {}, "pair");
      expect(status({ findings: [f] }), code).toEqual({
        status: "DOWN",
        reasons: [`${code} now`],
        awaitingFailover: false,
      });
    }
  });

  it("nothing answers SQL: DOWN; with no node check either and nothing refused, UNKNOWN (the prober may be cut off)", () => {
    const allDown = { vip: vipDown, a: aDown, b: bDown };
    expect(status({ sqlOver: allDown })).toEqual({
      status: "DOWN",
      reasons: ["Neither the VIP nor either node answers SQL."],
      awaitingFailover: false,
    });
    const timeouts = {
      vip: failed("vip", "192.0.2.100", "timeout"),
      a: failed("a", PAIR.a.host, "timeout"),
      b: failed("b", PAIR.b.host, "unreachable"),
    };
    expect(status({ sqlOver: timeouts, nodes: { a: noCheck, b: noCheck } })).toEqual({
      status: "UNKNOWN",
      reasons: ["Nothing answers, not even the node checks: the prober may be cut off from the cluster."],
      awaitingFailover: false,
    });
    // one refusal is an answer: mysqld is down there, the prober is not cut off
    expect(status({ sqlOver: { ...timeouts, a: aDown }, nodes: { a: noCheck, b: noCheck } }).status).toBe(
      "DOWN",
    );
    // one node check answering is an answer too
    expect(status({ sqlOver: timeouts, nodes: { a: nodes().a, b: noCheck } }).status).toBe("DOWN");
  });

  it("a VIP that refuses the login is not 'nothing answers'", () => {
    const v = status({
      sqlOver: { vip: failed("vip", "192.0.2.100", "auth"), a: aDown, b: bDown },
      vipOwner: "a",
    });
    expect(v.reasons).not.toContain("Neither the VIP nor either node answers SQL.");
  });

  it("a node refusing for too many connections is alive, not down", () => {
    const v = status({
      sqlOver: { vip: vipDown, a: failed("a", PAIR.a.host, "too_many_connections"), b: bDown },
    });
    expect(v.reasons).not.toContain("Neither the VIP nor either node answers SQL.");
  });

  it("the holder's MySQL down: DOWN, awaiting failover only when the other node is BACKUP or MASTER, listening and answering SQL", () => {
    expect(status({ sqlOver: { vip: vipDown, a: aDown } })).toEqual({
      status: "DOWN",
      reasons: [
        "The VIP is bound on node A, whose MySQL does not answer.",
        "The other node can take the VIP over: a failover is expected.",
      ],
      awaitingFailover: true,
    });
    const cannot = [
      nodes({ keepalived: "FAULT" }),
      nodes({ keepalived: "down" }),
      nodes({ listening: false }),
      { a: nodes().a, b: noCheck },
    ];
    for (const n of cannot)
      expect(status({ sqlOver: { vip: vipDown, a: aDown }, nodes: n })).toEqual({
        status: "DOWN",
        reasons: ["The VIP is bound on node A, whose MySQL does not answer."],
        awaitingFailover: false,
      });
    // B not answering SQL cannot take over either
    expect(
      status({ sqlOver: { vip: vipDown, a: aDown, b: failed("b", PAIR.b.host, "privilege", true) } })
        .awaitingFailover,
    ).toBe(false);
    // B as MASTER (it already started taking over) can
    expect(
      status({ sqlOver: { vip: vipDown, a: aDown }, nodes: nodes({ keepalived: "MASTER" }) })
        .awaitingFailover,
    ).toBe(true);
    // the VIP bound on B, B's MySQL down, A can take over
    const onB = { ...VIEWS, vipBound: ["b"] };
    expect(status({ views: onB, sqlOver: { vip: vipDown, b: bDown } }).reasons[0]).toBe(
      "The VIP is bound on node B, whose MySQL does not answer.",
    );
  });

  it("no owner: UNKNOWN, naming what is missing", () => {
    expect(status({ vipOwner: null, missing: ["x", "y"] })).toEqual({
      status: "UNKNOWN",
      reasons: ["Who holds the VIP cannot be told: x; y."],
      awaitingFailover: false,
    });
    expect(status({ vipOwner: null }).reasons).toEqual([
      "Who holds the VIP cannot be told: the views give no owner.",
    ]);
  });

  it("otherwise problems make it DEGRADED, critical ones first; info and events (with a key) do not count", () => {
    const w = makeFinding("REPLICATION_LAG", "lag", {}, "b", "warning");
    const c = makeFinding("REPLICATION_IO_STOPPED", "io", {}, "b", "critical");
    const info = makeFinding("BOTH_WRITABLE", "both", {}, "pair", "info");
    const event = { ...makeFinding("MYSQL_RESTARTED", "restart", {}, "b", "warning"), key: "k" };
    expect(status({ findings: [info, w, event, c] })).toEqual({
      status: "DEGRADED",
      reasons: ["io", "lag"],
      awaitingFailover: false,
    });
    expect(status({ findings: [info, event] })).toEqual({
      status: "HEALTHY",
      reasons: [],
      awaitingFailover: false,
    });
  });
});
