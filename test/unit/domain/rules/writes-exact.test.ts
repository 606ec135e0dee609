/**
 * The "writes" rule group called directly, each outcome checked whole: the code, the node, the message
 * an operator reads and the evidence the mail and the history carry.
 */
import { describe, expect, it } from "vitest";
import { failed, loadFixture, observed, serverFrom } from "../../../../emulators/mysql-recordings.ts";
import type { HeartbeatWrite } from "../../../../shared/domain/heartbeat.ts";
import { EMPTY_SQL_MEMORY, type OwnTransactions, type SqlMemory } from "../../../../shared/domain/memory.ts";
import type { SqlView } from "../../../../shared/domain/rules/vip-identity.ts";
import {
  growth,
  growthBesides,
  heartbeatLandedOn,
  holderWriteFindings,
  ownTransactions,
  standbyWriteFindings,
} from "../../../../shared/domain/rules/writes.ts";
import type { ServerInfo } from "../../../../shared/domain/sql.ts";
import { PAIR } from "../../../helpers/cluster.ts";

const my = loadFixture("mysql-8.4");
const maria = loadFixture("mariadb-10.11");
const UA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const UB = "8a94f357-aab4-11df-86ab-c80aa9429562";

const heartbeat = (over: Partial<HeartbeatWrite> = {}): HeartbeatWrite => ({
  writtenAt: 5,
  ok: true,
  durationMs: 3,
  serverId: null,
  serverUuid: null,
  gtid: null,
  ...over,
});

function view(a: ServerInfo | null, b: ServerInfo | null, vip: ServerInfo | null = a): SqlView {
  return {
    vip: vip ? observed("vip", "192.0.2.100", vip) : failed("vip", "192.0.2.100", "refused"),
    a: a ? observed("a", PAIR.a.host, a) : failed("a", PAIR.a.host, "refused"),
    b: b ? observed("b", PAIR.b.host, b) : failed("b", PAIR.b.host, "refused"),
  };
}

const memory = (over: Partial<SqlMemory>): SqlMemory => ({ ...EMPTY_SQL_MEMORY, ...over });

describe("ownTransactions: the transactions a node originated itself", () => {
  it("MySQL: the executed set restricted to the server's own uuid", () => {
    expect(ownTransactions(serverFrom(my, "b"))).toEqual({ kind: "mysql", set: `${UB}:1-7` });
    expect(ownTransactions(serverFrom(my, "a"))).toEqual({ kind: "mysql", set: `${UA}:1-120` });
  });

  it("MySQL without a server_uuid, or a server whose GTID state was unreadable: unknown (null)", () => {
    expect(ownTransactions({ ...serverFrom(my, "b"), serverUuid: null })).toBeNull();
    expect(ownTransactions({ ...serverFrom(my, "b"), gtid: null })).toBeNull();
  });

  it("MariaDB: the binlog state's entries with the server's own server_id", () => {
    expect(ownTransactions(serverFrom(maria, "a", { gtid_binlog_state: "1-1-3,1-2-9,2-2-4" }))).toEqual({
      kind: "mariadb",
      position: "1-1-3",
    });
    expect(ownTransactions(serverFrom(maria, "b", { gtid_binlog_state: "1-1-3,1-2-9,2-2-4" }))).toEqual({
      kind: "mariadb",
      position: "1-2-9,2-2-4",
    });
    expect(ownTransactions(serverFrom(maria, "b", { gtid_binlog_state: "1-1-3" }))).toEqual({
      kind: "mariadb",
      position: "",
    });
  });
});

describe("growth: what is new since the previous probe", () => {
  it("MySQL: the set difference, null when nothing is new", () => {
    const before: OwnTransactions = { kind: "mysql", set: `${UB}:1-7` };
    expect(growth(before, { kind: "mysql", set: `${UB}:1-9` })).toBe(`${UB}:8-9`);
    expect(growth(before, { kind: "mysql", set: `${UB}:1-7` })).toBeNull();
    expect(growth(before, null)).toBeNull();
  });

  it("MariaDB: only (domain, server) entries past the previous sequence, a new domain counted from 0", () => {
    const before: OwnTransactions = { kind: "mariadb", position: "1-2-7" };
    expect(growth(before, { kind: "mariadb", position: "1-2-7" })).toBeNull();
    expect(growth(before, { kind: "mariadb", position: "1-2-8" })).toBe("1-2-8");
    expect(growth(before, { kind: "mariadb", position: "1-2-7,3-2-1" })).toBe("3-2-1");
    // the same sequence in another server of the domain is a different entry
    expect(growth(before, { kind: "mariadb", position: "1-5-7" })).toBe("1-5-7");
  });

  it("a change of flavour between probes compares nothing (an upgrade is not a write)", () => {
    expect(growth({ kind: "mysql", set: `${UB}:1-7` }, { kind: "mariadb", position: "1-2-8" })).toBeNull();
    expect(growth({ kind: "mariadb", position: "1-2-7" }, { kind: "mysql", set: `${UB}:1-9` })).toBeNull();
  });
});

describe("growthBesides: the growth apart from the prober's own heartbeat", () => {
  it("MySQL: the heartbeat's GTID is taken out; anything else stays", () => {
    const before: OwnTransactions = { kind: "mysql", set: `${UB}:1-7` };
    expect(growthBesides(before, { kind: "mysql", set: `${UB}:1-8` }, `${UB}:8`)).toBeNull();
    expect(growthBesides(before, { kind: "mysql", set: `${UB}:1-9` }, `${UB}:8`)).toBe(`${UB}:9`);
    expect(growthBesides(before, { kind: "mysql", set: `${UB}:1-8` }, null)).toBe(`${UB}:8`);
    expect(growthBesides(before, null, `${UB}:8`)).toBeNull();
  });

  it("MariaDB: a heartbeat of another domain, server or sequence explains nothing", () => {
    const before: OwnTransactions = { kind: "mariadb", position: "1-2-7" };
    const now: OwnTransactions = { kind: "mariadb", position: "1-2-8" };
    expect(growthBesides(before, now, "1-2-8")).toBeNull();
    expect(growthBesides(before, now, "2-2-8")).toBe("1-2-8");
    expect(growthBesides(before, now, "1-3-8")).toBe("1-2-8");
    expect(growthBesides(before, now, "1-2-7")).toBe("1-2-8");
  });

  it("MariaDB: a domain new since the last probe is explained by a heartbeat that is its first GTID", () => {
    const before: OwnTransactions = { kind: "mariadb", position: "1-2-7" };
    expect(growthBesides(before, { kind: "mariadb", position: "1-2-7,4-2-1" }, "4-2-1")).toBeNull();
    expect(growthBesides(before, { kind: "mariadb", position: "1-2-7,4-2-2" }, "4-2-2")).toBe("4-2-2");
  });
});

describe("heartbeatLandedOn", () => {
  const b = serverFrom(my, "b");
  it("by server_uuid when both have one", () => {
    expect(heartbeatLandedOn(heartbeat({ serverUuid: UB, serverId: 99 }), b)).toBe(true);
    expect(heartbeatLandedOn(heartbeat({ serverUuid: UA, serverId: 2 }), b)).toBe(false);
  });
  it("by server_id when a uuid is missing on either side", () => {
    expect(heartbeatLandedOn(heartbeat({ serverId: 2 }), b)).toBe(true);
    expect(heartbeatLandedOn(heartbeat({ serverId: 1 }), b)).toBe(false);
    expect(heartbeatLandedOn(heartbeat({ serverUuid: UA, serverId: 2 }), { ...b, serverUuid: null })).toBe(
      true,
    );
    expect(heartbeatLandedOn(heartbeat({ serverId: null }), { ...b, serverId: null, serverUuid: null })).toBe(
      false,
    );
  });
  it("a failed write, no write and no server landed nowhere", () => {
    expect(heartbeatLandedOn(heartbeat({ ok: false, serverUuid: UB }), b)).toBe(false);
    expect(heartbeatLandedOn(undefined, b)).toBe(false);
    expect(heartbeatLandedOn(heartbeat({ serverUuid: UB }), undefined)).toBe(false);
  });
});

describe("standbyWriteFindings", () => {
  const a = serverFrom(my, "a");
  const bGrown = serverFrom(my, "b", { gtid_executed: `${UA}:1-120,${UB}:1-9` });
  const own = (s: ServerInfo | null) => (s ? ownTransactions(s) : null);
  const before = memory({
    vipNode: "a",
    own: { a: { kind: "mysql", set: `${UA}:1-120` }, b: { kind: "mysql", set: `${UB}:1-7` } },
  });

  it("the standby's growth is ERRANT_WRITES_ON_STANDBY, critical, with the GTIDs and both sets as evidence", () => {
    const found = standbyWriteFindings(view(a, bGrown), "a", { a: own(a), b: own(bGrown) }, before, null);
    expect(found).toEqual([
      {
        code: "ERRANT_WRITES_ON_STANDBY",
        severity: "critical",
        subject: "b",
        message: `Node B does not hold the VIP but originated new transactions: ${UB}:8-9.`,
        evidence: {
          node: "b",
          reason: "grew",
          newTransactions: `${UB}:8-9`,
          before: { kind: "mysql", set: `${UB}:1-7` },
          now: { kind: "mysql", set: `${UB}:1-9` },
        },
        key: `${UB}:8-9`,
      },
    ]);
  });

  it("growth on the node that held the VIP before the failover is WRITES_ON_PREVIOUS_HOLDER", () => {
    const found = standbyWriteFindings(view(a, bGrown), "a", { a: own(a), b: own(bGrown) }, before, "b");
    expect(found.map((x) => [x.code, x.subject, x.message])).toEqual([
      [
        "WRITES_ON_PREVIOUS_HOLDER",
        "b",
        `Node B, which held the VIP before the failover, still receives writes (${UB}:8-9).`,
      ],
    ]);
  });

  it("the node named is the standby: with the VIP on B, A's growth is reported as node A", () => {
    const aGrown = serverFrom(my, "a", { gtid_executed: `${UA}:1-121,${UB}:1-7` });
    const b = serverFrom(my, "b");
    const mem = memory({ vipNode: "b", own: { a: { kind: "mysql", set: `${UA}:1-120` }, b: own(b) } });
    const found = standbyWriteFindings(view(aGrown, b, b), "b", { a: own(aGrown), b: own(b) }, mem, null);
    expect(found.map((x) => [x.code, x.subject, x.message])).toEqual([
      [
        "ERRANT_WRITES_ON_STANDBY",
        "a",
        `Node A does not hold the VIP but originated new transactions: ${UA}:121.`,
      ],
    ]);
  });

  it("growth is not errant when the standby held the VIP at the previous probe (writes just before a failover)", () => {
    const mem = { ...before, vipNode: "b" as const };
    const aHas = serverFrom(my, "a", { gtid_executed: `${UA}:1-120,${UB}:1-9` });
    expect(
      standbyWriteFindings(view(aHas, bGrown), "a", { a: own(aHas), b: own(bGrown) }, mem, null),
    ).toEqual([]);
    // what the holder has not applied is still said, as a warning
    expect(
      standbyWriteFindings(view(a, bGrown), "a", { a: own(a), b: own(bGrown) }, mem, null).map(
        (x) => x.severity,
      ),
    ).toEqual(["warning"]);
  });

  it("no finding without a previous record of the standby, or without the standby's server", () => {
    const mem = memory({ vipNode: "a" });
    // the holder has applied everything of B's: nothing is missing either
    const aHas = serverFrom(my, "a", { gtid_executed: `${UA}:1-120,${UB}:1-9` });
    expect(
      standbyWriteFindings(view(aHas, bGrown), "a", { a: own(aHas), b: own(bGrown) }, mem, null),
    ).toEqual([]);
    expect(standbyWriteFindings(view(a, null), "a", { a: own(a), b: null }, before, null)).toEqual([]);
  });

  it("transactions of the standby that the holder lacks are a warning, with the missing GTIDs as key", () => {
    const mem = memory({ vipNode: "a" });
    const found = standbyWriteFindings(view(a, bGrown), "a", { a: own(a), b: own(bGrown) }, mem, null);
    expect(found).toEqual([
      {
        code: "ERRANT_WRITES_ON_STANDBY",
        severity: "warning",
        subject: "b",
        message: `Node B has transactions of its own that the VIP holder A has not applied: ${UB}:8-9.`,
        evidence: { node: "b", reason: "not-applied-on-holder", missing: `${UB}:8-9` },
        key: `${UB}:8-9`,
      },
    ]);
  });

  it("the missing check leaves out the prober's heartbeat that landed on the standby (it may not have replicated yet)", () => {
    const mem = memory({ vipNode: "a" });
    const b8 = serverFrom(my, "b", { gtid_executed: `${UA}:1-120,${UB}:1-8` });
    const hb = heartbeat({ serverUuid: UB, serverId: 2, gtid: `${UB}:8` });
    expect(standbyWriteFindings(view(a, b8), "a", { a: own(a), b: own(b8) }, mem, null, hb)).toEqual([]);
    // the same heartbeat on the holder explains nothing on the standby
    const onA = heartbeat({ serverUuid: UA, serverId: 1, gtid: `${UB}:8` });
    expect(standbyWriteFindings(view(a, b8), "a", { a: own(a), b: own(b8) }, mem, null, onA)).toHaveLength(1);
  });

  it("no missing check when the holder was not read", () => {
    const mem = memory({ vipNode: "a" });
    expect(
      standbyWriteFindings(view(null, bGrown, null), "a", { a: null, b: own(bGrown) }, mem, null),
    ).toEqual([]);
  });

  describe("MariaDB: the holder applied a standby GTID when its binlog state or current position reaches it", () => {
    const mem = memory({ vipNode: "a" });
    const bOwn: OwnTransactions = { kind: "mariadb", position: "2-2-5" };
    const holder = (vars: Record<string, string>) => serverFrom(maria, "a", vars);
    const b = serverFrom(maria, "b", { gtid_binlog_state: "1-1-3,2-2-5" });

    it("in the binlog state at or past it: applied", () => {
      for (const state of ["1-1-3,2-2-5", "1-1-3,2-2-6"]) {
        const h = holder({ gtid_binlog_state: state, gtid_current_pos: "1-1-3" });
        expect(standbyWriteFindings(view(h, b), "a", { a: null, b: bOwn }, mem, null)).toEqual([]);
      }
    });

    it("in the current position of that domain by the same server at or past it: applied", () => {
      for (const pos of ["1-1-3,2-2-5", "1-1-3,2-2-7"]) {
        const h = holder({ gtid_binlog_state: "1-1-3", gtid_current_pos: pos });
        expect(standbyWriteFindings(view(h, b), "a", { a: null, b: bOwn }, mem, null)).toEqual([]);
      }
    });

    it("behind in both, or the domain's position from another server: not applied", () => {
      for (const [state, pos] of [
        ["1-1-3,2-2-4", "1-1-3,2-2-4"],
        ["1-1-3", "1-1-3,2-1-9"],
        ["1-1-3,2-3-9", "1-1-3"],
      ]) {
        const h = holder({ gtid_binlog_state: state as string, gtid_current_pos: pos as string });
        const found = standbyWriteFindings(view(h, b), "a", { a: null, b: bOwn }, mem, null);
        expect(found.map((x) => [x.code, x.severity, x.key])).toEqual([
          ["ERRANT_WRITES_ON_STANDBY", "warning", "2-2-5"],
        ]);
      }
    });

    it("a MariaDB heartbeat GTID on the standby is left out of what is missing", () => {
      const h = holder({ gtid_binlog_state: "1-1-3", gtid_current_pos: "1-1-3" });
      const two: OwnTransactions = { kind: "mariadb", position: "2-2-5,3-2-1" };
      const hb = heartbeat({ serverId: 2, gtid: "3-2-1" });
      const found = standbyWriteFindings(view(h, b), "a", { a: null, b: two }, mem, null, hb);
      expect(found.map((x) => x.key)).toEqual(["2-2-5"]);
      const only: OwnTransactions = { kind: "mariadb", position: "3-2-1" };
      expect(standbyWriteFindings(view(h, b), "a", { a: null, b: only }, mem, null, hb)).toEqual([]);
    });

    it("mixed flavours (a record from another flavour) compare nothing", () => {
      const h = holder({ gtid_binlog_state: "1-1-3", gtid_current_pos: "1-1-3" });
      expect(
        standbyWriteFindings(view(h, b), "a", { a: null, b: { kind: "mysql", set: `${UB}:1-9` } }, mem, null),
      ).toEqual([]);
      const myHolder = serverFrom(my, "a");
      expect(standbyWriteFindings(view(myHolder, b), "a", { a: null, b: bOwn }, mem, null)).toEqual([]);
    });
  });
});

describe("holderWriteFindings", () => {
  const a = serverFrom(my, "a");

  it("read_only on the holder: the message names the node and both variables as read", () => {
    const ro = serverFrom(my, "a", { read_only: "ON", super_read_only: "OFF" });
    expect(holderWriteFindings(view(ro, null, ro), "a")).toEqual([
      {
        code: "HOLDER_READ_ONLY",
        severity: "critical",
        subject: "vip",
        message:
          "The VIP holder (node A) is read-only (read_only=ON, super_read_only=OFF): applications cannot write.",
        evidence: { node: "a", readOnly: "ON", superReadOnly: false },
      },
    ]);
  });

  it("super_read_only alone is read-only too; an unknown node and an unread super_read_only are left out of the text", () => {
    const sro = serverFrom(my, "a", { read_only: "ON", super_read_only: "ON" });
    expect(holderWriteFindings(view(sro, null, sro), "b").map((x) => x.message)).toEqual([
      "The VIP holder (node B) is read-only (read_only=ON, super_read_only=ON): applications cannot write.",
    ]);
    const onlySuper = { ...a, readOnly: false, superReadOnly: true };
    expect(holderWriteFindings(view(a, null, onlySuper), null).map((x) => x.message)).toEqual([
      "The VIP holder is read-only (read_only=OFF, super_read_only=ON): applications cannot write.",
    ]);
    const unknown = { ...a, readOnly: true, readOnlyValue: null, superReadOnly: null };
    expect(holderWriteFindings(view(a, null, unknown), null).map((x) => x.message)).toEqual([
      "The VIP holder is read-only (read_only=?): applications cannot write.",
    ]);
  });

  it("a writable holder and an unread read_only give nothing", () => {
    expect(holderWriteFindings(view(a, null, a), "a")).toEqual([]);
    expect(holderWriteFindings(view(a, null, { ...a, readOnly: null, superReadOnly: null }), "a")).toEqual(
      [],
    );
  });

  it("a failed heartbeat write names how long it took and the error", () => {
    const hb = heartbeat({
      ok: false,
      durationMs: 2000,
      error: {
        class: "timeout",
        code: "ETIMEDOUT",
        message: "no answer within 2000 ms",
        during: "heartbeat write",
      },
    });
    expect(holderWriteFindings(view(a, null, a), "a", hb)).toEqual([
      {
        code: "HOLDER_WRITES_FAILED",
        severity: "critical",
        subject: "vip",
        message:
          "The heartbeat write through the VIP failed after 2000 ms (timeout ETIMEDOUT, during heartbeat write: no answer within 2000 ms): applications cannot write either.",
        evidence: {
          durationMs: 2000,
          class: "timeout",
          code: "ETIMEDOUT",
          error: "no answer within 2000 ms",
          during: "heartbeat write",
        },
      },
    ]);
  });

  it("a failed write without an error code, or without an error at all", () => {
    const noCode = heartbeat({
      ok: false,
      durationMs: 7,
      error: { class: "privilege", message: "read-only", during: "heartbeat write" },
    });
    expect(holderWriteFindings(view(a, null, a), "a", noCode).map((x) => x.message)).toEqual([
      "The heartbeat write through the VIP failed after 7 ms (privilege, during heartbeat write: read-only): applications cannot write either.",
    ]);
    expect(
      holderWriteFindings(view(a, null, a), "a", heartbeat({ ok: false, durationMs: 9 })).map(
        (x) => x.message,
      ),
    ).toEqual(["The heartbeat write through the VIP failed after 9 ms: applications cannot write either."]);
  });

  it("a successful heartbeat write gives nothing", () => {
    expect(holderWriteFindings(view(a, null, a), "a", heartbeat())).toEqual([]);
  });
});
