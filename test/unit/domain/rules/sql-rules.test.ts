import { describe, expect, it } from "vitest";
import { failed, loadFixture, observed, serverFrom } from "../../../../emulators/mysql-recordings.ts";
import { assessSql } from "../../../../shared/domain/assess.ts";
import { EMPTY_SQL_MEMORY } from "../../../../shared/domain/memory.ts";
import type { SqlView } from "../../../../shared/domain/rules/vip-identity.ts";
import type { ServerInfo } from "../../../../shared/domain/sql.ts";

const UA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const UB = "8a94f357-aab4-11df-86ab-c80aa9429562";
const NODES = { a: { host: "192.0.2.11" }, b: { host: "192.0.2.12" } };
const f = loadFixture("mysql-8.4");

function view(a: ServerInfo | "down", b: ServerInfo | "down", vip: "a" | "b" | "down" = "a"): SqlView {
  const obs = (name: "a" | "b", s: ServerInfo | "down") =>
    s === "down" ? failed(name, NODES[name].host, "refused") : observed(name, NODES[name].host, s);
  const vipServer = vip === "a" ? a : vip === "b" ? b : "down";
  return {
    vip:
      vipServer === "down"
        ? failed("vip", "192.0.2.100", "timeout")
        : observed("vip", "192.0.2.100", vipServer),
    a: obs("a", a),
    b: obs("b", b),
  };
}
const codes = (r: ReturnType<typeof assessSql>) =>
  r.findings.map((x) => `${x.code}${x.subject ? `@${x.subject}` : ""}`).sort();

describe("assessSql", () => {
  it("a healthy pair: the VIP on A, both writable (info), nothing else", () => {
    const r = assessSql(view(serverFrom(f, "a"), serverFrom(f, "b")), NODES);
    expect(codes(r)).toEqual(["BOTH_WRITABLE@pair", "VIP_ON_NODE@vip"]);
    expect(r.vipNode).toBe("a");
    expect(r.findings.every((x) => x.severity === "info")).toBe(true);
    expect(r.replication.b?.sourceHost).toBe("192.0.2.11");
  });

  it("matches the VIP by server_id + hostname when there is no server_uuid", () => {
    const a = { ...serverFrom(f, "a"), serverUuid: null };
    const b = { ...serverFrom(f, "b"), serverUuid: null };
    expect(assessSql(view(a, b, "b"), NODES).vipNode).toBe("b");
  });

  it("the VIP unreachable is critical; a node refused is MYSQL_UNREACHABLE for that node", () => {
    const r = assessSql(view(serverFrom(f, "a"), "down", "down"), NODES);
    expect(codes(r)).toEqual(["MYSQL_UNREACHABLE@b", "VIP_UNREACHABLE@vip"]);
    expect(r.vipNode).toBeNull();
  });

  it("the VIP answered by an unknown server is VIP_IDENTITY_UNKNOWN", () => {
    const stranger = serverFrom(f, "a", {
      server_id: "77",
      server_uuid: "00000000-0000-0000-0000-000000000077",
    });
    const v = view(serverFrom(f, "a"), serverFrom(f, "b"));
    v.vip = observed("vip", "192.0.2.100", stranger);
    expect(codes(assessSql(v, NODES))).toContain("VIP_IDENTITY_UNKNOWN@vip");
  });

  it("with one node down, the VIP server is identified by elimination", () => {
    const r = assessSql(view("down", serverFrom(f, "b"), "down"), NODES);
    expect(r.vipNode).toBeNull();
    const v = view("down", serverFrom(f, "b"), "down");
    v.vip = observed("vip", "192.0.2.100", serverFrom(f, "a"));
    expect(assessSql(v, NODES).vipNode).toBe("a");
  });

  it.each([
    ["auth", "MYSQL_AUTH_FAILED@a"],
    ["too_many_connections", "MYSQL_TOO_MANY_CONNECTIONS@a"],
    ["bad_result", "MYSQL_BAD_RESULT@a"],
  ] as const)("error class %s gives %s", (cls, code) => {
    const v = view(serverFrom(f, "a"), serverFrom(f, "b"), "b");
    v.a = failed("a", NODES.a.host, cls);
    expect(codes(assessSql(v, NODES))).toContain(code);
  });

  it("the SQL thread stopped on a duplicate key, per direction", () => {
    const b = serverFrom(
      f,
      "b",
      {},
      { Replica_SQL_Running: "No", Last_SQL_Errno: 1062, Last_SQL_Error: "Duplicate entry '5'" },
    );
    const r = assessSql(view(serverFrom(f, "a"), b), NODES);
    const sqlStopped = r.findings.find((x) => x.code === "REPLICATION_SQL_STOPPED");
    expect(sqlStopped).toMatchObject({
      subject: "b",
      severity: "critical",
      evidence: { direction: "A→B", lastSqlErrno: 1062 },
    });
    expect(sqlStopped?.message).toMatch(/A→B.*1062.*Duplicate entry/);
  });

  it("the IO thread Connecting counts as stopped", () => {
    const a = serverFrom(
      f,
      "a",
      {},
      { Replica_IO_Running: "Connecting", Last_IO_Errno: 2003, Last_IO_Error: "can't connect" },
    );
    expect(codes(assessSql(view(a, serverFrom(f, "b")), NODES))).toContain("REPLICATION_IO_STOPPED@a");
  });

  it("a thread running with a last error is REPLICATION_ERROR", () => {
    const a = serverFrom(f, "a", {}, { Last_IO_Errno: 2013, Last_IO_Error: "reconnecting" });
    expect(codes(assessSql(view(a, serverFrom(f, "b")), NODES))).toContain("REPLICATION_ERROR@a");
  });

  it.each([
    [30, undefined],
    [31, "warning"],
    [301, "critical"],
  ] as const)("lag %i s gives %s", (lag, severity) => {
    const b = serverFrom(f, "b", {}, { Seconds_Behind_Source: lag });
    const lagFinding = assessSql(view(serverFrom(f, "a"), b), NODES).findings.find(
      (x) => x.code === "REPLICATION_LAG",
    );
    expect(lagFinding?.severity).toBe(severity);
  });

  it("thresholds are configurable", () => {
    const b = serverFrom(f, "b", {}, { Seconds_Behind_Source: 5 });
    const r = assessSql(view(serverFrom(f, "a"), b), NODES, EMPTY_SQL_MEMORY, {
      lagWarningSeconds: 2,
      lagCriticalSeconds: 4,
    });
    expect(r.findings.find((x) => x.code === "REPLICATION_LAG")?.severity).toBe("critical");
  });

  it("no channel from the peer is REPLICATION_NOT_CONFIGURED", () => {
    const b = { ...serverFrom(f, "b"), replication: [] };
    expect(codes(assessSql(view(serverFrom(f, "a"), b), NODES))).toContain("REPLICATION_NOT_CONFIGURED@b");
  });

  it("a channel by file and position is flagged", () => {
    const b = serverFrom(f, "b", {}, { Auto_Position: 0 });
    expect(codes(assessSql(view(serverFrom(f, "a"), b), NODES))).toContain(
      "REPLICATION_NO_GTID_AUTO_POSITION@b",
    );
  });

  it.each([
    [{ auto_increment_offset: "1" }, "AUTO_INCREMENT_CONFLICT@pair"],
    [{ auto_increment_increment: "1" }, "AUTO_INCREMENT_CONFLICT@pair"],
    [{ server_id: "1" }, "SERVER_ID_CONFLICT@pair"],
    [{ gtid_mode: "OFF_PERMISSIVE" }, "GTID_DISABLED@b"],
    [{ log_bin: "OFF" }, "BINLOG_DISABLED@b"],
    [{ log_replica_updates: "OFF" }, "LOG_REPLICA_UPDATES_OFF@b"],
  ])("pair configuration %j gives %s", (vars, code) => {
    const b = serverFrom(f, "b", vars);
    expect(codes(assessSql(view(serverFrom(f, "a"), b), NODES))).toContain(code);
  });

  it("read_only on the standby: no BOTH_WRITABLE", () => {
    const b = serverFrom(f, "b", { read_only: "ON" });
    expect(codes(assessSql(view(serverFrom(f, "a"), b), NODES))).not.toContain("BOTH_WRITABLE@pair");
  });

  describe("writes on the standby (MySQL GTID sets)", () => {
    const withOwn = (node: "a" | "b", executed: string) => serverFrom(f, node, { gtid_executed: executed });

    it("new own transactions on the standby since the last probe: ERRANT_WRITES_ON_STANDBY", () => {
      const first = assessSql(view(serverFrom(f, "a"), serverFrom(f, "b")), NODES);
      expect(codes(first)).not.toContain("ERRANT_WRITES_ON_STANDBY@b");
      const second = assessSql(
        view(withOwn("a", `${UA}:1-121,${UB}:1-8`), withOwn("b", `${UA}:1-121,${UB}:1-8`)),
        NODES,
        first.memory,
      );
      const e = second.findings.find((x) => x.code === "ERRANT_WRITES_ON_STANDBY");
      expect(e).toMatchObject({
        subject: "b",
        severity: "critical",
        evidence: { reason: "grew", newTransactions: `${UB}:8` },
      });
    });

    it("own transactions the holder has not applied: a warning even on the first probe", () => {
      const r = assessSql(
        view(withOwn("a", `${UA}:1-120,${UB}:1-7`), withOwn("b", `${UA}:1-120,${UB}:1-9`)),
        NODES,
      );
      expect(r.findings.find((x) => x.code === "ERRANT_WRITES_ON_STANDBY")).toMatchObject({
        severity: "warning",
        evidence: { reason: "not-applied-on-holder", missing: `${UB}:8-9` },
      });
    });

    it("writes made by the holder itself are fine", () => {
      const first = assessSql(view(serverFrom(f, "a"), serverFrom(f, "b")), NODES);
      const second = assessSql(
        view(withOwn("a", `${UA}:1-500,${UB}:1-7`), withOwn("b", `${UA}:1-500,${UB}:1-7`)),
        NODES,
        first.memory,
      );
      expect(codes(second).filter((c) => /WRITES/.test(c))).toEqual([]);
    });

    it("after a failover, the old holder's last writes pass once; later writes are WRITES_ON_PREVIOUS_HOLDER", () => {
      const p1 = assessSql(view(serverFrom(f, "a"), serverFrom(f, "b"), "a"), NODES);
      // failover to B; A's last writes (121-122) reached B before it took over
      const p2 = assessSql(
        view(withOwn("a", `${UA}:1-122,${UB}:1-7`), withOwn("b", `${UA}:1-122,${UB}:1-7`), "b"),
        NODES,
        p1.memory,
      );
      expect(codes(p2).filter((c) => /WRITES/.test(c))).toEqual([]);
      expect(p2.memory.previousHolder).toBe("a");
      const p3 = assessSql(
        view(withOwn("a", `${UA}:1-125,${UB}:1-7`), withOwn("b", `${UA}:1-125,${UB}:1-7`), "b"),
        NODES,
        p2.memory,
      );
      expect(p3.findings.find((x) => x.code === "WRITES_ON_PREVIOUS_HOLDER")).toMatchObject({
        subject: "a",
        evidence: { newTransactions: `${UA}:123-125` },
      });
    });

    it("keeps the last known own transactions of a node it could not see", () => {
      const p1 = assessSql(view(serverFrom(f, "a"), serverFrom(f, "b")), NODES);
      const p2 = assessSql(view(serverFrom(f, "a"), "down"), NODES, p1.memory);
      expect(p2.memory.own.b).toEqual(p1.memory.own.b);
    });
  });

  describe("writes on the standby (MariaDB binlog state)", () => {
    const maria = (id: 1 | 2, state: string, current: string): ServerInfo => ({
      serverId: id,
      serverUuid: null,
      hostname: "vm",
      version: "10.11.19-MariaDB",
      flavor: { vendor: "mariadb", major: 10, minor: 11, patch: 19, label: "mariadb-10" },
      readOnly: false,
      readOnlyValue: "OFF",
      superReadOnly: null,
      binlog: true,
      logReplicaUpdates: true,
      autoIncrementIncrement: 2,
      autoIncrementOffset: id,
      uptimeSeconds: 1000,
      replicaStops: 1,
      unknown: [],
      gtid: {
        kind: "mariadb",
        domainId: id,
        currentPos: current,
        binlogPos: current,
        binlogState: state,
        slavePos: current,
        strictMode: true,
      },
      replication: [
        {
          channel: "",
          sourceHost: id === 1 ? "192.0.2.12" : "192.0.2.11",
          sourcePort: 3306,
          sourceServerId: id === 1 ? 2 : 1,
          sourceUuid: null,
          ioState: "Yes",
          ioRunning: true,
          sqlRunning: true,
          lagSeconds: 0,
          lastIoErrorTimestamp: "",
          lastSqlErrorTimestamp: "",
          lastIoErrno: 0,
          lastIoError: "",
          lastSqlErrno: 0,
          lastSqlError: "",
          gtidAutoPosition: true,
          retrievedGtids: "",
          sqlDelaySeconds: 0,
        },
      ],
    });

    it("even in a single GTID domain, a standby's own GTIDs are seen in gtid_binlog_state", () => {
      const p1 = assessSql(
        view(maria(1, "0-1-10,0-2-3", "0-1-10"), maria(2, "0-1-10,0-2-3", "0-1-10")),
        NODES,
      );
      expect(codes(p1).filter((c) => /WRITES/.test(c))).toEqual([]);
      // B wrote 0-2-11, then replicated A's 0-1-12: its binlog position shows only A's GTID.
      const p2 = assessSql(
        view(maria(1, "0-1-12,0-2-11", "0-1-12"), maria(2, "0-1-12,0-2-11", "0-1-12")),
        NODES,
        p1.memory,
      );
      expect(p2.findings.find((x) => x.code === "ERRANT_WRITES_ON_STANDBY")?.evidence).toMatchObject({
        newTransactions: "0-2-11",
      });
    });
  });
});
