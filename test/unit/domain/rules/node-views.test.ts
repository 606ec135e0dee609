import { describe, expect, it } from "vitest";
import { EMPTY_NODE_MEMORY } from "../../../../shared/domain/memory.ts";
import { assessNodes } from "../../../../shared/domain/rules/node-views.ts";
import { healthy, MAC, ok } from "../../../helpers/node-reports.ts";

const codes = (r: ReturnType<typeof assessNodes>) =>
  r.findings.map((f) => `${f.code}${f.subject ? `@${f.subject}` : ""}`).sort();

describe("assessNodes", () => {
  it("a healthy pair has no findings: one holder, one MASTER", () => {
    const r = assessNodes(healthy());
    expect(codes(r)).toEqual([]);
    expect(r.holders).toEqual(["a"]);
    expect(r.masters).toEqual(["a"]);
    expect(r.arpMacs).toEqual([MAC.a]);
    expect(codes(r)).not.toContain("ARP_DUPLICATE@pair");
  });

  describe("split brain is visible in each node's report on its own", () => {
    // Measured in the lab: during split brain a node does not answer its own ARP request, so each
    // node sees exactly one MAC: the other node's.
    const aOnly = {
      a: ok({ mac: MAC.a, bound: true, replies: [MAC.b], keepalived: "MASTER" }),
      b: { ok: false as const, reason: "timeout" as const, detail: "x", durationMs: 1 },
    };
    const bOnly = {
      a: { ok: false as const, reason: "timeout" as const, detail: "x", durationMs: 1 },
      b: ok({ mac: MAC.b, bound: true, replies: [MAC.a], keepalived: "MASTER" }),
    };

    it("A alone (holder, one reply from another MAC) flags ARP_DUPLICATE", () => {
      expect(codes(assessNodes(aOnly))).toEqual(
        expect.arrayContaining(["ARP_DUPLICATE@pair", "NODE_CHECK_FAILED@b"]),
      );
    });
    it("B alone flags ARP_DUPLICATE", () => {
      expect(codes(assessNodes(bOnly))).toEqual(
        expect.arrayContaining(["ARP_DUPLICATE@pair", "NODE_CHECK_FAILED@a"]),
      );
    });
    it("both reports: VIP on both, two MASTERs, duplicate ARP", () => {
      const r = assessNodes({ a: aOnly.a, b: bOnly.b });
      expect(codes(r)).toEqual([
        "ARP_DUPLICATE@pair",
        "KEEPALIVED_MULTIPLE_MASTERS@pair",
        "SPLIT_BRAIN_VIP_ON_BOTH@pair",
      ]);
      expect(r.holders).toEqual(["a", "b"]);
    });
  });

  it("a non-holder seeing one MAC is normal; seeing two is a duplicate", () => {
    const h = healthy();
    expect(codes(assessNodes(h))).not.toContain("ARP_DUPLICATE@pair");
    const r = assessNodes({ a: h.a, b: ok({ mac: MAC.b, replies: [MAC.a, MAC.b], keepalived: "BACKUP" }) });
    expect(codes(r)).toContain("ARP_DUPLICATE@pair");
  });

  it("a witness (third host) seeing two MACs is a duplicate", () => {
    const r = assessNodes({
      ...healthy(),
      witnesses: [{ name: "app1", result: ok({ mac: "02:00:00:00:00:99", replies: [MAC.a, MAC.b] }) }],
    });
    expect(r.findings.find((f) => f.code === "ARP_DUPLICATE")?.evidence).toMatchObject({
      duplicates: [{ seenBy: "witness app1", role: "witness" }],
    });
  });

  describe("a MAC that belongs to neither node answering for the VIP is a conflict, not a split brain", () => {
    const FOREIGN = "02:de:ad:be:ef:00";
    const seenByB = () => {
      const h = healthy();
      return { a: h.a, b: ok({ mac: MAC.b, replies: [MAC.a, FOREIGN], keepalived: "BACKUP" }) };
    };

    it("one reply, one observer, first probe: unconfirmed, no duplicate", () => {
      const r = assessNodes(seenByB());
      expect(codes(r)).toEqual(["ARP_FOREIGN_MAC_UNCONFIRMED@pair"]);
      expect(r.memory.foreignMacs).toEqual([FOREIGN]);
    });
    it("seen again at the next probe: confirmed", () => {
      const r = assessNodes(seenByB(), { ...EMPTY_NODE_MEMORY, foreignMacs: [FOREIGN] });
      expect(codes(r)).toEqual(["ARP_FOREIGN_MAC@pair"]);
      expect(r.findings[0]?.message).toContain("at the previous probe");
    });
    it("seen by two observers in one probe: confirmed", () => {
      const h = healthy();
      const r = assessNodes({
        a: ok({ mac: MAC.a, bound: true, replies: [FOREIGN], keepalived: "MASTER" }),
        b: ok({ mac: MAC.b, replies: [MAC.a, FOREIGN], keepalived: "BACKUP" }),
      });
      expect(codes(r)).toEqual(["ARP_FOREIGN_MAC@pair"]);
      expect(r.findings[0]?.evidence).toMatchObject({ seenBy: { [FOREIGN]: ["node A", "node B"] } });
      expect(h).toBeTruthy();
    });
    it("gone at the next probe: forgotten", () => {
      const r = assessNodes(healthy(), { ...EMPTY_NODE_MEMORY, foreignMacs: [FOREIGN] });
      expect(codes(r)).toEqual([]);
      expect(r.memory.foreignMacs).toEqual([]);
    });
    it("with a node report missing the pair's MACs are not all known: a second MAC is still a duplicate", () => {
      const r = assessNodes({
        a: ok({ mac: MAC.a, bound: true, replies: [FOREIGN], keepalived: "MASTER" }),
        b: { ok: false as const, reason: "timeout" as const, detail: "x", durationMs: 1 },
      });
      expect(codes(r)).toContain("ARP_DUPLICATE@pair");
      expect(r.memory.foreignMacs).toEqual([]);
    });
    it("the other node's MAC beside a foreign one is still a split brain", () => {
      const r = assessNodes({
        a: ok({ mac: MAC.a, bound: true, replies: [MAC.b, FOREIGN], keepalived: "MASTER" }),
        b: ok({ mac: MAC.b, bound: true, replies: [MAC.a], keepalived: "MASTER" }),
      });
      expect(codes(r)).toEqual(
        expect.arrayContaining(["ARP_DUPLICATE@pair", "ARP_FOREIGN_MAC_UNCONFIRMED@pair"]),
      );
    });
  });

  it("nobody holds the VIP", () => {
    const r = assessNodes({
      a: ok({ mac: MAC.a, keepalived: "FAULT" }),
      b: ok({ mac: MAC.b, keepalived: "BACKUP" }),
    });
    expect(codes(r)).toEqual(
      expect.arrayContaining(["VIP_NOT_BOUND@pair", "KEEPALIVED_NO_MASTER@pair", "KEEPALIVED_FAULT@a"]),
    );
    expect(r.holders).toEqual([]);
  });

  it("keepalived killed on the holder: stale VIP, keepalived down, and the peer took over (split brain)", () => {
    const r = assessNodes({
      a: ok({ mac: MAC.a, bound: true, replies: [MAC.b], keepalived: "down" }),
      b: ok({ mac: MAC.b, bound: true, replies: [MAC.a], keepalived: "MASTER" }),
    });
    expect(codes(r)).toEqual(
      expect.arrayContaining([
        "KEEPALIVED_DOWN@a",
        "VIP_STATE_MISMATCH@a",
        "SPLIT_BRAIN_VIP_ON_BOTH@pair",
        "ARP_DUPLICATE@pair",
      ]),
    );
  });

  it.each([
    [{ keepalived: "down" as const }, "keepalived is not running"],
    [{ keepalived: "FAULT" as const }, "keepalived is in FAULT"],
    [
      { keepalived: "BACKUP" as const, listening: false },
      "mysqld is not listening where the VIP can reach it",
    ],
  ])("standby %j: NO_FAILOVER_CANDIDATE", (spec, why) => {
    const r = assessNodes({ a: healthy().a, b: ok({ mac: MAC.b, replies: [MAC.a], ...spec }) });
    expect(r.findings.find((f) => f.code === "NO_FAILOVER_CANDIDATE")).toMatchObject({
      subject: "b",
      evidence: { why },
    });
  });

  it("a failed check makes holders and masters unknown (null), never 'none'", () => {
    const r = assessNodes({
      a: healthy().a,
      b: { ok: false, reason: "undeliverable", detail: "agent offline", durationMs: 5 },
    });
    expect(r.holders).toBeNull();
    expect(r.masters).toBeNull();
    expect(codes(r)).toEqual(["NODE_CHECK_FAILED@b"]);
    expect(codes(r)).not.toContain("VIP_NOT_BOUND@pair");
  });

  it("transitions since the previous probe: one is a TRANSITION, MASTER and back is a FLAP", () => {
    const h = healthy();
    const first = assessNodes(h);
    expect(first.memory.lastEpoch).toEqual({ a: 1_000_000, b: 1_000_000 });
    const moved = assessNodes(
      {
        a: h.a,
        b: ok({
          mac: MAC.b,
          replies: [MAC.a],
          keepalived: "FAULT",
          epoch: 1_000_010,
          transitions: [
            [999_990, "BACKUP"],
            [1_000_005, "FAULT"],
          ],
        }),
      },
      first.memory,
    );
    expect(moved.findings.find((f) => f.code === "KEEPALIVED_TRANSITION")?.message).toMatch(/FAULT/);
    expect(codes(moved)).not.toContain("KEEPALIVED_TRANSITION@a");
    const flapped = assessNodes(
      {
        a: h.a,
        b: ok({
          mac: MAC.b,
          replies: [MAC.a],
          keepalived: "BACKUP",
          epoch: 1_000_010,
          transitions: [
            [1_000_002, "MASTER"],
            [1_000_004, "BACKUP"],
          ],
        }),
      },
      first.memory,
    );
    expect(codes(flapped)).toContain("KEEPALIVED_FLAPPED@b");
  });

  it("the first probe does not report old history as transitions", () => {
    const r = assessNodes(
      {
        ...healthy(),
        b: ok({
          mac: MAC.b,
          replies: [MAC.a],
          transitions: [
            [5, "MASTER"],
            [6, "BACKUP"],
          ],
        }),
      },
      EMPTY_NODE_MEMORY,
    );
    expect(codes(r).filter((c) => c.startsWith("KEEPALIVED_"))).toEqual([]);
  });

  it("back in the state of the previous probe after passing through another is a flap (the VIP moved and came back)", () => {
    // Prepare: A held the VIP at the previous probe
    const first = assessNodes(healthy());
    // Act: A lost MASTER and regained it between the probes
    const r = assessNodes(
      {
        a: ok({
          mac: MAC.a,
          bound: true,
          keepalived: "MASTER",
          epoch: 1_000_010,
          transitions: [
            [1_000_002, "FAULT"],
            [1_000_004, "BACKUP"],
            [1_000_006, "MASTER"],
          ],
        }),
        b: healthy().b,
      },
      first.memory,
    );
    // Assess: a flap, an event with its own key
    const f = r.findings.find((x) => x.code === "KEEPALIVED_FLAPPED");
    expect(f).toMatchObject({ subject: "a", key: "at:1000006" });
    expect(f?.message).toMatch(/MASTER → FAULT → BACKUP → MASTER/);
  });

  describe("several VRRP instances: only the VIP's own decides", () => {
    const withInstances = (
      spec: Parameters<typeof ok>[0],
      instances: { name: string; state: string; vips: string[] }[],
    ) => {
      const r = ok(spec);
      if (r.ok)
        r.report.keepalived.instances = instances.map((i) => ({
          ...i,
          priority: 100,
          lastTransition: null,
          vrid: 1,
          basePriority: 90,
          advertMs: 1000,
          preempt: false,
          auth: "SIMPLE_PASSWORD",
          unicastPeers: [],
        }));
      return r;
    };

    it("MASTER of an unrelated instance on the node that is BACKUP for the VIP is not a split brain", () => {
      const r = assessNodes({
        a: healthy().a,
        b: withInstances({ mac: MAC.b, replies: [MAC.a], keepalived: "BACKUP" }, [
          { name: "VI_MYSQL", state: "BACKUP", vips: ["192.0.2.100/24"] },
          { name: "VI_WEB", state: "MASTER", vips: ["192.0.2.200/24"] },
        ]),
      });
      expect(r.masters).toEqual(["a"]);
      expect(codes(r)).not.toContain("KEEPALIVED_MULTIPLE_MASTERS@pair");
      expect(codes(r)).toContain("KEEPALIVED_OTHER_INSTANCES@b");
      expect(r.roles.b).toBe("BACKUP");
    });

    it("several instances and none lists the VIP: the role is unknown, named, never guessed", () => {
      const r = assessNodes({
        a: healthy().a,
        b: withInstances({ mac: MAC.b, replies: [MAC.a] }, [
          { name: "VI_1", state: "BACKUP", vips: ["192.0.2.7/24"] },
          { name: "VI_2", state: "MASTER", vips: ["192.0.2.8/24"] },
        ]),
      });
      expect(r.masters).toBeNull();
      expect(codes(r)).toContain("KEEPALIVED_VIP_INSTANCE_UNKNOWN@b");
    });

    it("a configured instance name decides", () => {
      const r = assessNodes({
        a: healthy().a,
        b: withInstances({ mac: MAC.b, replies: [MAC.a] }, [
          { name: "VI_1", state: "BACKUP", vips: [] },
          { name: "VI_2", state: "MASTER", vips: [] },
        ]),
        vrrpInstance: "VI_1",
      });
      expect(r.masters).toEqual(["a"]);
    });
  });

  it("a VIP bound on a down link is not held: VIP_LINK_DOWN, and no split brain with the real holder", () => {
    const down = ok({ mac: MAC.b, bound: true, replies: [MAC.a], keepalived: "BACKUP" });
    if (down.ok) down.report.vip.link = "down";
    const r = assessNodes({ a: healthy().a, b: down });
    expect(r.holders).toEqual(["a"]);
    expect(codes(r)).toContain("VIP_LINK_DOWN@b");
    expect(codes(r)).not.toContain("SPLIT_BRAIN_VIP_ON_BOTH@pair");
  });

  it("mysqld on loopback only is not a reachable listener: MYSQLD_LOOPBACK_ONLY and no failover candidate", () => {
    const lo = ok({ mac: MAC.b, replies: [MAC.a], keepalived: "BACKUP" });
    if (lo.ok) lo.report.mysqld.addresses = ["127.0.0.1:3306", "[::1]:3306"];
    const r = assessNodes({ a: healthy().a, b: lo });
    expect(codes(r)).toEqual(expect.arrayContaining(["MYSQLD_LOOPBACK_ONLY@b", "NO_FAILOVER_CANDIDATE@b"]));
  });

  it("listening unknown (ss could not run) is not 'not listening'", () => {
    const unk = ok({ mac: MAC.b, replies: [MAC.a], keepalived: "BACKUP", errors: ["ss failed"] });
    if (unk.ok) unk.report.mysqld.listening = null;
    const r = assessNodes({ a: healthy().a, b: unk });
    expect(codes(r)).not.toContain("MYSQLD_NOT_LISTENING@b");
    expect(codes(r)).toContain("NODE_CHECK_WARNING@b");
  });

  it("the script's own errors are a NODE_CHECK_WARNING", () => {
    const r = assessNodes({
      a: ok({
        mac: MAC.a,
        bound: true,
        keepalived: "MASTER",
        errors: ["keepalived did not write its DATA dump"],
      }),
      b: healthy().b,
    });
    expect(codes(r)).toContain("NODE_CHECK_WARNING@a");
  });
});

describe("a transition is counted once", () => {
  it("a transition in the same second as the previous report comes back in the next check: not a second time", () => {
    // Prepare: the previous report (epoch 1_000_000, whole seconds) already listed A entering MASTER at 1_000_000.4
    const first = assessNodes(healthy());
    const seen = assessNodes(
      {
        a: ok({
          mac: MAC.a,
          bound: true,
          keepalived: "MASTER",
          epoch: 1_000_001,
          transitions: [[1_000_000.4, "MASTER"]],
        }),
        b: healthy().b,
      },
      first.memory,
    );
    // Act: the next check lists it again (at > the whole-second epoch), then FAULT
    const next = assessNodes(
      {
        a: ok({
          mac: MAC.a,
          bound: false,
          keepalived: "FAULT",
          epoch: 1_000_003,
          transitions: [
            [1_000_000.4, "MASTER"],
            [1_000_002, "FAULT"],
          ],
        }),
        b: healthy().b,
      },
      { ...seen.memory, lastEpoch: { a: 1_000_000, b: 1_000_000 } },
    );
    // Assess: a change (MASTER -> FAULT), not a flap
    expect(next.findings.map((f) => f.code)).toContain("KEEPALIVED_TRANSITION");
    expect(next.findings.map((f) => f.code)).not.toContain("KEEPALIVED_FLAPPED");
  });
});
