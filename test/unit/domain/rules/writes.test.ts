import { describe, expect, it } from "vitest";
import { loadFixture, observed, serverFrom } from "../../../../emulators/mysql-recordings.ts";
import { assess, assessSql } from "../../../../shared/domain/assess.ts";
import type { HeartbeatWrite } from "../../../../shared/domain/heartbeat.ts";
import { EMPTY_SQL_MEMORY } from "../../../../shared/domain/memory.ts";
import { growthBesides } from "../../../../shared/domain/rules/writes.ts";
import { input, nodesView, PAIR, sqlView } from "../../../helpers/cluster.ts";

const f = loadFixture("mysql-8.4");
const UA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const UB = "8a94f357-aab4-11df-86ab-c80aa9429562";
const codes = (fs: { code: string; subject?: string }[]) => fs.map((x) => `${x.code}@${x.subject}`);

/** A heartbeat write that did not go through, after `durationMs`, with the error when there is one. */
const failedBeat = (durationMs: number, error?: HeartbeatWrite["error"]): HeartbeatWrite => ({
  writtenAt: 1,
  ok: false,
  durationMs,
  serverId: null,
  serverUuid: null,
  gtid: null,
  ...(error ? { error } : {}),
});

describe("the VIP holder must take writes", () => {
  it("read_only ON on the holder is critical within one probe (no heartbeat needed), and the pair is DOWN for its applications", () => {
    const view = sqlView("a");
    const ro = serverFrom(f, "a", { read_only: "ON" });
    const a = assess(
      input(
        { ...view, vip: observed("vip", "192.0.2.100", ro), a: observed("a", PAIR.a.host, ro) },
        nodesView("a"),
      ),
    );
    expect(a.findings.find((x) => x.code === "HOLDER_READ_ONLY")).toMatchObject({
      severity: "critical",
      subject: "vip",
    });
    // applications cannot write through the VIP: DOWN by definition (docs: the status definitions)
    expect(a.status).toBe("DOWN");
  });

  it("a failed heartbeat write while reads work is HOLDER_WRITES_FAILED, and the pair DOWN", () => {
    const hb = failedBeat(2000, {
      class: "timeout",
      code: "ETIMEDOUT",
      message: "no answer within 2000 ms",
      during: "heartbeat write",
    });
    const a = assess({ ...input(sqlView("a"), nodesView("a")), heartbeat: hb });
    expect(codes(a.findings)).toContain("HOLDER_WRITES_FAILED@vip");
    // applications cannot write through the VIP: DOWN by definition (docs: the status definitions)
    expect(a.status).toBe("DOWN");
  });

  it.each([
    ["tls", "ERR_SSL_WRONG_VERSION_NUMBER", "wrong version number"],
    ["auth", "ER_ACCESS_DENIED_ERROR", "Access denied for user 'prober_hb'"],
    ["refused", "ECONNREFUSED", "connect ECONNREFUSED"],
  ] as const)(
    "the heartbeat failing to connect (%s) is HEARTBEAT_CONNECT_FAILED, not the write-failure advice, and not DOWN",
    (cls, code, message) => {
      const hb = failedBeat(40, { class: cls, code, message, during: "connect" });
      const a = assess({ ...input(sqlView("a"), nodesView("a")), heartbeat: hb });
      expect(codes(a.findings)).toContain("HEARTBEAT_CONNECT_FAILED@vip");
      expect(codes(a.findings)).not.toContain("HOLDER_WRITES_FAILED@vip");
      expect(a.findings.find((x) => x.code === "HEARTBEAT_CONNECT_FAILED")?.message).toContain(message);
      expect(a.status).toBe("DEGRADED");
    },
  );

  it("no HOLDER_WRITES_FAILED when the VIP does not answer at all (VIP_UNREACHABLE says it)", () => {
    const hb = failedBeat(5);
    const a = assess({ ...input(sqlView("down"), nodesView("a")), heartbeat: hb });
    expect(codes(a.findings)).not.toContain("HOLDER_WRITES_FAILED@vip");
  });
});

describe("the heartbeat row the prober never inserts", () => {
  const withoutRow = (id: "a" | "b") => ({ ...serverFrom(f, id), heartbeatRowMissing: true });
  it("a node whose read found no row is HEARTBEAT_ROW_MISSING on that node, remembered until a read shows the row", () => {
    const view = { ...sqlView("a"), b: observed("b", PAIR.b.host, withoutRow("b")) };
    const first = assessSql(view, PAIR);
    expect(codes(first.findings)).toContain("HEARTBEAT_ROW_MISSING@b");
    expect(first.memory.heartbeatRowMissing).toEqual(["b"]);
    // B not read at the next probe: still held (its row was not seen again)
    const unseen = assessSql({ ...sqlView("a", ["b"]) }, PAIR, first.memory);
    expect(unseen.memory.heartbeatRowMissing).toEqual(["b"]);
    // the row is back
    const back = assessSql(sqlView("a"), PAIR, unseen.memory);
    expect(back.memory.heartbeatRowMissing).toBeUndefined();
    expect(codes(back.findings)).not.toContain("HEARTBEAT_ROW_MISSING@b");
  });

  it("a write that matched no row names the holder, is no write failure, and is not counted as a heartbeat written", () => {
    const hb: HeartbeatWrite = {
      writtenAt: 5,
      ok: true,
      rowMissing: true,
      durationMs: 3,
      serverId: 1,
      serverUuid: null,
      gtid: null,
    };
    const a = assessSql(sqlView("a"), PAIR, EMPTY_SQL_MEMORY, undefined, hb);
    expect(codes(a.findings)).toContain("HEARTBEAT_ROW_MISSING@a");
    expect(codes(a.findings).filter((c) => /WRITES_FAILED|HEARTBEAT_CONNECT/.test(c))).toEqual([]);
    expect(a.memory.heartbeatWrites).toEqual([]);
    expect(a.memory.heartbeatRowMissing).toEqual(["a"]);
  });
});

describe("writes on the standby", () => {
  const withExecuted = (id: "a" | "b", executed: string) => serverFrom(f, id, { gtid_executed: executed });
  const before = {
    ...EMPTY_SQL_MEMORY,
    vipNode: "a" as const,
    own: { a: null, b: { kind: "mysql" as const, set: `${UB}:1-7` } },
  };

  it("the standby's own new transactions are an event with the GTIDs as its key", () => {
    const view = {
      ...sqlView("a"),
      b: observed("b", PAIR.b.host, withExecuted("b", `${UA}:1-120,${UB}:1-8`)),
    };
    const r = assessSql(view, PAIR, before);
    const e = r.findings.find((x) => x.code === "ERRANT_WRITES_ON_STANDBY");
    expect(e).toMatchObject({ subject: "b", key: `${UB}:8`, evidence: { reason: "grew" } });
  });

  it("the prober's own heartbeat that landed on the standby (the VIP moved mid-probe) is never errant", () => {
    const view = {
      ...sqlView("a"),
      b: observed("b", PAIR.b.host, withExecuted("b", `${UA}:1-120,${UB}:1-8`)),
    };
    const hb: HeartbeatWrite = {
      writtenAt: 5,
      ok: true,
      durationMs: 3,
      serverId: 2,
      serverUuid: UB,
      gtid: `${UB}:8`,
    };
    const r = assessSql(view, PAIR, before, undefined, hb);
    expect(codes(r.findings)).not.toContain("ERRANT_WRITES_ON_STANDBY@b");
    // one more transaction than the heartbeat is still errant
    const more = { ...view, b: observed("b", PAIR.b.host, withExecuted("b", `${UA}:1-120,${UB}:1-9`)) };
    expect(
      assessSql(more, PAIR, before, undefined, hb).findings.find((x) => x.code === "ERRANT_WRITES_ON_STANDBY")
        ?.key,
    ).toBe(`${UB}:9`);
  });

  it("MariaDB: the heartbeat explains the growth only when it is the one new GTID", () => {
    const b4 = { kind: "mariadb" as const, position: "2-2-7" };
    expect(growthBesides(b4, { kind: "mariadb", position: "2-2-8" }, "2-2-8")).toBeNull();
    expect(growthBesides(b4, { kind: "mariadb", position: "2-2-9" }, "2-2-9")).toBe("2-2-9");
    expect(growthBesides(b4, { kind: "mariadb", position: "2-2-8" }, null)).toBe("2-2-8");
  });

  it("the prober's recent heartbeats all count as its own: one written after the previous probe's read shows only now", () => {
    // MariaDB: the previous probe's heartbeat (2-2-8) landed after its read, this probe's is 2-2-9
    const b4 = { kind: "mariadb" as const, position: "2-2-7" };
    expect(growthBesides(b4, { kind: "mariadb", position: "2-2-9" }, ["2-2-8", "2-2-9"])).toBeNull();
    // one transaction that is no heartbeat among them: the growth is a write
    expect(growthBesides(b4, { kind: "mariadb", position: "2-2-10" }, ["2-2-8", "2-2-9"])).toBe("2-2-10");
    // MySQL: each remembered heartbeat GTID is subtracted; what is left is a write
    const m4 = { kind: "mysql" as const, set: `${UB}:1-7` };
    expect(growthBesides(m4, { kind: "mysql", set: `${UB}:1-9` }, [`${UB}:8`, `${UB}:9`])).toBeNull();
    expect(growthBesides(m4, { kind: "mysql", set: `${UB}:1-10` }, [`${UB}:8`, `${UB}:9`])).toBe(`${UB}:10`);
  });

  it("the split-brain record: heartbeats written through the VIP on either node over several probes are no node's writes", () => {
    // Prepare: a memory that remembers the heartbeat written at the previous probe
    const first = assessSql(sqlView("a"), PAIR, EMPTY_SQL_MEMORY, undefined, {
      writtenAt: 1,
      ok: true,
      durationMs: 5,
      serverId: null,
      serverUuid: null,
      gtid: `${UA}:121`,
    });
    expect(first.memory.heartbeatGtids).toEqual([`${UA}:121`]);
  });
});

describe("who took writes (the view, and the split-brain record)", () => {
  it("the prober's heartbeat on the holder is not a write of the applications", () => {
    const UA_ = UA;
    const before = assess(input(sqlView("a"), nodesView("a")));
    const view = { ...sqlView("a") };
    const grown = serverFrom(f, "a", { gtid_executed: `${UA_}:1-121,${UB}:1-7` });
    const sql = { ...view, vip: observed("vip", "192.0.2.100", grown), a: observed("a", PAIR.a.host, grown) };
    const hb: HeartbeatWrite = {
      writtenAt: 5,
      ok: true,
      durationMs: 3,
      serverId: 1,
      serverUuid: UA_,
      gtid: `${UA_}:121`,
    };
    expect(assess({ ...input(sql, nodesView("a"), before), heartbeat: hb }).writes).toEqual({
      a: null,
      b: null,
    });
    // without the heartbeat the same growth is a write
    expect(assess(input(sql, nodesView("a"), before)).writes).toEqual({ a: `${UA_}:121`, b: null });
  });

  it("a heartbeat write refused for the prober's own login or grants is not the applications' problem: not DOWN", () => {
    for (const cls of ["auth", "privilege", "tls"] as const) {
      const hb = failedBeat(5, { class: cls, message: "denied", during: "heartbeat write" });
      const a = assess({ ...input(sqlView("a"), nodesView("a")), heartbeat: hb });
      expect(codes(a.findings)).toContain("HOLDER_WRITES_FAILED@vip");
      expect(a.status, cls).toBe("DEGRADED");
    }
  });
});
