import { describe, expect, it } from "vitest";
import { assess } from "../../../shared/domain/assess.ts";
import { input, nodesView, sqlView } from "../../helpers/cluster.ts";

const codes = (a: ReturnType<typeof assess>) => a.findings.map((f) => f.code);

describe("assess: the decision table", () => {
  it("HEALTHY only when all five views agree and nothing is wrong", () => {
    const a = assess(input(sqlView("a"), nodesView("a")));
    expect(a.status).toBe("HEALTHY");
    expect(a.vipOwner).toBe("a");
    expect(a.nodes.a).toMatchObject({ mysql: "up", vipBound: true, keepalived: "MASTER" });
    expect(a.nodes.b).toMatchObject({
      mysql: "up",
      vipBound: false,
      keepalived: "BACKUP",
      replication: { io: "Yes", sql: true, lagSeconds: 0 },
    });
  });

  it("SPLIT_BRAIN when both nodes bind the VIP, whatever the SQL view says", () => {
    const a = assess(input(sqlView("a"), nodesView("both")));
    expect(a.status).toBe("SPLIT_BRAIN");
    expect(a.vipOwner).toBe("both");
    expect(a.reasons.join(" ")).toMatch(/SPLIT BRAIN/);
  });

  it("SPLIT_BRAIN from one node's report alone (the other node unobservable)", () => {
    const n = nodesView("both");
    const a = assess(
      input(sqlView("a"), { a: n.a, b: { ok: false, reason: "timeout", detail: "ssm", durationMs: 1 } }),
    );
    expect(a.status).toBe("SPLIT_BRAIN");
  });

  it("DOWN when neither node binds the VIP", () => {
    expect(assess(input(sqlView("down"), nodesView("none"))).status).toBe("DOWN");
  });

  it("DOWN when the VIP holder's MySQL does not answer and the VIP does not either", () => {
    const a = assess(input(sqlView("down", ["a"]), nodesView("a")));
    expect(a.status).toBe("DOWN");
    expect(a.reasons[0]).toMatch(/bound on node A, whose MySQL does not answer/);
  });

  it("UNKNOWN, never HEALTHY, when nothing can tell who holds the VIP", () => {
    const blind = {
      ok: false as const,
      reason: "undeliverable" as const,
      detail: "agent offline",
      durationMs: 1,
    };
    const sql = sqlView("a");
    sql.vip = {
      ...sql.vip,
      alive: false,
      connected: false,
      server: undefined,
      error: { class: "auth", message: "denied", during: "connect" },
    };
    const a = assess(input(sql, { a: blind, b: blind }));
    expect(a.status).toBe("UNKNOWN");
    expect(a.vipOwner).toBeNull();
  });

  it("a missing view is never HEALTHY: one node check failing gives DEGRADED with the reason", () => {
    const n = nodesView("a");
    const a = assess(
      input(sqlView("a"), {
        a: n.a,
        b: { ok: false, reason: "undeliverable", detail: "agent offline", durationMs: 1 },
      }),
    );
    expect(a.status).toBe("DEGRADED");
    expect(codes(a)).toEqual(expect.arrayContaining(["NODE_CHECK_FAILED", "VIEW_MISSING"]));
    expect(a.reasons.join(" ")).toMatch(/agent offline/);
  });

  it("the VIP's SQL landing on the node that does not hold the VIP is VIEWS_DISAGREE (DEGRADED)", () => {
    const a = assess(input(sqlView("b"), nodesView("a")));
    expect(a.status).toBe("DEGRADED");
    expect(a.findings.find((f) => f.code === "VIEWS_DISAGREE")?.evidence).toMatchObject({
      views: { vipBound: ["a"], vipSqlLandedOn: ["b"], keepalivedMaster: ["a"], arpAnswer: ["a"] },
    });
  });

  it("the standby's MySQL down: DEGRADED, not DOWN", () => {
    const a = assess(input(sqlView("a", ["b"]), nodesView("a")));
    expect(a.status).toBe("DEGRADED");
    expect(a.nodes.b.mysql).toBe("down");
  });

  it("VIP_MOVED when the owner changes between probes", () => {
    const first = assess(input(sqlView("a"), nodesView("a")));
    const second = assess(input(sqlView("b", ["a"]), nodesView("b"), { memory: first.memory }));
    expect(second.events).toEqual([expect.objectContaining({ type: "VIP_MOVED", from: "a", to: "b" })]);
    expect(second.memory.vipOwner).toBe("b");
  });
});

describe("a failover under way", () => {
  it("the VIP still on the node whose MySQL just died, with a ready standby: DOWN, awaiting failover", async () => {
    const a = assess(input(sqlView("down", ["a"]), nodesView("a")));
    expect(a.status).toBe("DOWN");
    expect(a.awaitingFailover).toBe(true);
    expect(a.reasons.join(" ")).toMatch(/a failover is expected/);
  });

  it("no candidate (the standby's keepalived is down): DOWN, not awaiting", async () => {
    const { ok, MAC } = await import("../../helpers/node-reports.ts");
    const n = nodesView("a");
    const a = assess(
      input(sqlView("down", ["a"]), { a: n.a, b: ok({ mac: MAC.b, keepalived: "down", replies: [MAC.a] }) }),
    );
    expect(a.status).toBe("DOWN");
    expect(a.awaitingFailover).toBe(false);
  });
});

describe("the VIP between two nodes", () => {
  it("bound on neither while a node can take it over: DOWN awaiting failover; with no candidate: DOWN at once", async () => {
    const { ok, MAC } = await import("../../helpers/node-reports.ts");
    const moving = assess(
      input(sqlView("down", ["a"]), {
        a: ok({ mac: MAC.a, keepalived: "FAULT", listening: false }),
        b: ok({ mac: MAC.b, keepalived: "BACKUP" }),
      }),
    );
    expect(moving).toMatchObject({ status: "DOWN", awaitingFailover: true });
    const stuck = assess(
      input(sqlView("down", ["a"]), {
        a: ok({ mac: MAC.a, keepalived: "FAULT", listening: false }),
        b: ok({ mac: MAC.b, keepalived: "FAULT" }),
      }),
    );
    expect(stuck).toMatchObject({ status: "DOWN", awaitingFailover: false });
  });
});

describe("silence on the segment", () => {
  it("the VIP bound on A but nobody answering ARP for it from B is not HEALTHY", async () => {
    const { ok, MAC } = await import("../../helpers/node-reports.ts");
    const a = assess(
      input(sqlView("a"), {
        a: ok({ mac: MAC.a, bound: true, keepalived: "MASTER" }),
        b: ok({ mac: MAC.b, keepalived: "BACKUP", replies: [] }),
      }),
    );
    expect(a.status).toBe("DEGRADED");
    expect(a.findings.find((f) => f.code === "VIEWS_DISAGREE")?.message).toMatch(
      /nobody answers ARP for it from node B/,
    );
  });

  it("arping failing on the standby is a blind ARP view, reported as such, not as a silent VIP nor HEALTHY", async () => {
    const { ok, MAC } = await import("../../helpers/node-reports.ts");
    const error =
      "arping sent no ARP request (exit 1): arping: libnet_init(LIBNET_LINK, eth9): No such device";
    const a = assess(
      input(sqlView("a"), {
        a: ok({ mac: MAC.a, bound: true, keepalived: "MASTER" }),
        b: ok({ mac: MAC.b, keepalived: "BACKUP", replies: [], arpSent: null, errors: [error] }),
      }),
    );
    expect(a.status).toBe("DEGRADED");
    expect(a.findings.find((f) => f.code === "NODE_CHECK_WARNING")?.message).toContain(error);
    expect(a.findings.some((f) => /nobody answers ARP/.test(f.message))).toBe(false);
  });
});
