/** The pair's configuration rules called directly: auto_increment, server identity, both writable, per node. */
import { describe, expect, it } from "vitest";
import { loadFixture, serverFrom } from "../../../../emulators/mysql-recordings.ts";
import { nodeConfigFindings, pairConfigFindings } from "../../../../shared/domain/rules/pair-config.ts";
import type { ServerInfo } from "../../../../shared/domain/sql.ts";

const f = loadFixture("mysql-8.4");
const A = serverFrom(f, "a");
const B = serverFrom(f, "b");
const messages = (a: ServerInfo, b: ServerInfo) =>
  pairConfigFindings(a, b)
    .filter((x) => x.code !== "BOTH_WRITABLE")
    .map((x) => x.message);

describe("auto_increment", () => {
  it("each problem alone, in words", () => {
    expect(messages({ ...A, autoIncrementIncrement: 2 }, { ...B, autoIncrementIncrement: 3 })).toEqual([
      "Auto_increment_increment differs: both masters can generate the same keys.",
    ]);
    expect(messages({ ...A, autoIncrementIncrement: 1 }, { ...B, autoIncrementIncrement: 1 })).toEqual([
      "Auto_increment_increment is below 2: both masters can generate the same keys.",
    ]);
    expect(messages({ ...A, autoIncrementOffset: 2 }, { ...B, autoIncrementOffset: 2 })).toEqual([
      "Both nodes use the same auto_increment_offset: both masters can generate the same keys.",
    ]);
  });

  it("B alone below 2 is named (with the difference)", () => {
    expect(messages(A, { ...B, autoIncrementIncrement: 1 })).toEqual([
      "Auto_increment_increment differs; auto_increment_increment is below 2: both masters can generate the same keys.",
    ]);
  });

  it("the evidence carries both nodes' values", () => {
    const [x] = pairConfigFindings({ ...A, autoIncrementOffset: 1 }, { ...B, autoIncrementOffset: 1 });
    expect(x).toMatchObject({
      code: "AUTO_INCREMENT_CONFLICT",
      severity: "critical",
      subject: "pair",
      evidence: { a: { increment: 2, offset: 1 }, b: { increment: 2, offset: 1 } },
    });
  });

  it("any value unknown: no verdict (MYSQL_FIELD_UNKNOWN names it)", () => {
    for (const k of ["a.inc", "b.inc", "a.off", "b.off"]) {
      const a = { ...A, autoIncrementIncrement: 1, autoIncrementOffset: 1 };
      const b = { ...B, autoIncrementIncrement: 1, autoIncrementOffset: 1 };
      if (k === "a.inc") a.autoIncrementIncrement = null as never;
      if (k === "b.inc") b.autoIncrementIncrement = null as never;
      if (k === "a.off") a.autoIncrementOffset = null as never;
      if (k === "b.off") b.autoIncrementOffset = null as never;
      expect(messages(a, b), k).toEqual([]);
    }
  });
});

describe("server identity", () => {
  it("the same server_id, the same uuid, or both, each said as it is", () => {
    expect(messages(A, { ...B, serverId: 1 })).toEqual(["Both nodes have server_id 1."]);
    expect(messages(A, { ...B, serverUuid: A.serverUuid })).toEqual([
      `Both nodes have server_uuid ${A.serverUuid}.`,
    ]);
    expect(messages(A, { ...B, serverId: 1, serverUuid: A.serverUuid })).toEqual([
      `Both nodes have server_id 1 and server_uuid ${A.serverUuid}.`,
    ]);
  });

  it("unread values are not equal to each other", () => {
    expect(
      messages({ ...A, serverId: null, serverUuid: null }, { ...B, serverId: null, serverUuid: null }),
    ).toEqual([]);
  });
});

describe("both writable and the node's own configuration", () => {
  it("BOTH_WRITABLE only when both are known writable", () => {
    const codes = (a: ServerInfo, b: ServerInfo) => pairConfigFindings(a, b).map((x) => x.code);
    expect(codes(A, B)).toEqual(["BOTH_WRITABLE"]);
    expect(codes({ ...A, readOnly: true }, B)).toEqual([]);
    expect(codes(A, { ...B, readOnly: null })).toEqual([]);
  });

  it("GTID off (either variable), binlog off, replica updates off; unknown values are not off", () => {
    const mysql = A.gtid as Extract<ServerInfo["gtid"], { kind: "mysql" }>;
    expect(nodeConfigFindings("a", A)).toEqual([]);
    expect(
      nodeConfigFindings("b", { ...A, gtid: { ...mysql, enforceGtidConsistency: "WARN" } }).map(
        (x) => x.message,
      ),
    ).toEqual(["Node B: gtid_mode=ON, enforce_gtid_consistency=WARN."]);
    expect(
      nodeConfigFindings("a", { ...A, gtid: { ...mysql, gtidMode: "OFF_PERMISSIVE" } })[0],
    ).toMatchObject({
      code: "GTID_DISABLED",
      subject: "a",
      evidence: { gtidMode: "OFF_PERMISSIVE", enforceGtidConsistency: "ON" },
    });
    expect(nodeConfigFindings("a", { ...A, gtid: null, binlog: null, logReplicaUpdates: null })).toEqual([]);
    expect(
      nodeConfigFindings("a", { ...A, binlog: false, logReplicaUpdates: false }).map((x) => [
        x.code,
        x.evidence,
      ]),
    ).toEqual([
      ["BINLOG_DISABLED", { logBin: false }],
      ["LOG_REPLICA_UPDATES_OFF", { logReplicaUpdates: false }],
    ]);
    // MariaDB's GTID state has no mode to be off
    expect(nodeConfigFindings("a", serverFrom(loadFixture("mariadb-10.11"), "a"))).toEqual([]);
  });
});
