import { describe, expect, it } from "vitest";
import {
  detectFlavor,
  parseServerInfo,
  replicaStatusStatement,
  variablesFromRows,
} from "../../shared/domain/sql.ts";
import { type FixtureName, loadFixture, serverFrom } from "../helpers/sql-fixtures.ts";

const UA = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const UB = "8a94f357-aab4-11df-86ab-c80aa9429562";

describe("flavor and statement", () => {
  it.each([
    ["5.7.44-log", "mysql-5.7", "SHOW SLAVE STATUS"],
    ["8.0.21", "mysql-8.0", "SHOW SLAVE STATUS"],
    ["8.0.22", "mysql-8.0", "SHOW REPLICA STATUS"],
    ["8.0.36", "mysql-8.0", "SHOW REPLICA STATUS"],
    ["8.4.3", "mysql-8.4+", "SHOW REPLICA STATUS"],
    ["9.1.0", "mysql-8.4+", "SHOW REPLICA STATUS"],
    ["10.11.19-MariaDB-0+deb12u1-log", "mariadb-10", "SHOW ALL SLAVES STATUS"],
    ["11.4.2-MariaDB", "mariadb-11", "SHOW ALL SLAVES STATUS"],
  ])("%s is %s and lists channels with %s", (version, label, statement) => {
    const f = detectFlavor(version);
    expect(f.label).toBe(label);
    expect(replicaStatusStatement(f)).toBe(statement);
  });

  it("rejects a version string it cannot read", () => {
    expect(() => detectFlavor("banana")).toThrow(/^version: not a MySQL\/MariaDB version string/);
  });
});

describe.each<[FixtureName, string]>([
  ["mysql-5.7", "SHOW SLAVE STATUS"],
  ["mysql-8.0", "SHOW REPLICA STATUS"],
  ["mysql-8.4", "SHOW REPLICA STATUS"],
])("recorded %s result sets", (name, statement) => {
  const f = loadFixture(name);

  it(`were recorded with ${statement}, the statement the probe chooses`, () => {
    expect(f.statement).toBe(statement);
    expect(replicaStatusStatement(serverFrom(f, "a").flavor)).toBe(statement);
  });

  it("parse into the same normalized observation whatever the column names", () => {
    const a = serverFrom(f, "a");
    expect(a).toMatchObject({
      serverId: 1,
      serverUuid: UA,
      readOnly: false,
      binlog: true,
      logReplicaUpdates: true,
      autoIncrementIncrement: 2,
      autoIncrementOffset: 1,
      gtid: {
        kind: "mysql",
        gtidMode: "ON",
        enforceGtidConsistency: "ON",
        executed: `${UA}:1-120,${UB}:1-7`,
      },
    });
    expect(a.superReadOnly).toBe(false);
    expect(a.replication).toEqual([
      {
        channel: "",
        sourceHost: "192.0.2.12",
        sourcePort: 3306,
        sourceServerId: 2,
        sourceUuid: UB,
        ioState: "Yes",
        ioRunning: true,
        sqlRunning: true,
        lagSeconds: 0,
        lastIoErrno: 0,
        lastIoError: "",
        lastSqlErrno: 0,
        lastSqlError: "",
        gtidAutoPosition: true,
        retrievedGtids: `${UB}:1-7`,
        sqlDelaySeconds: 0,
      },
    ]);
  });

  it("reads a NULL lag as unknown, not zero", () => {
    const lagCol = name === "mysql-5.7" ? "Seconds_Behind_Master" : "Seconds_Behind_Source";
    const ioCol = name === "mysql-5.7" ? "Slave_IO_Running" : "Replica_IO_Running";
    const s = serverFrom(f, "b", {}, { [lagCol]: null, [ioCol]: "Connecting" });
    expect(s.replication[0]).toMatchObject({ lagSeconds: null, ioRunning: false, ioState: "Connecting" });
  });
});

describe("bad input names the field", () => {
  const f = loadFixture("mysql-8.4");
  const vars = () => variablesFromRows(f.a.variables);

  it.each([
    [{ server_id: "one" }, /^@@server_id: expected a non-negative integer/],
    [{ read_only: "MAYBE" }, /^@@read_only: expected ON or OFF/],
    [{ gtid_executed: "zz:1" }, /^@@gtid_executed: "zz" is not a server UUID/],
    [{ server_uuid: "nope" }, /^@@server_uuid: not a UUID/],
  ])("variables %j", (override, message) => {
    expect(() => parseServerInfo({ ...vars(), ...override }, f.a.replicaRows)).toThrow(message);
  });

  it("a missing variable", () => {
    const v = vars();
    delete v.auto_increment_offset;
    expect(() => parseServerInfo(v, f.a.replicaRows)).toThrow(/^@@auto_increment_offset: missing/);
  });

  it("a missing replication column", () => {
    const row = { ...f.a.replicaRows[0] };
    delete row.Last_IO_Errno;
    expect(() => parseServerInfo(vars(), [row])).toThrow(
      /^SHOW REPLICA STATUS row 0\.Last_IO_Errno: column missing/,
    );
  });

  it("an unknown thread state", () => {
    expect(() =>
      parseServerInfo(vars(), [{ ...f.a.replicaRows[0], Replica_SQL_Running: "Connecting" }]),
    ).toThrow(/Replica_SQL_Running\|Slave_SQL_Running: expected Yes or No/);
  });

  it("rows that are not SHOW VARIABLES rows", () => {
    expect(() => variablesFromRows([{ name: "x" }])).toThrow(
      /SHOW GLOBAL VARIABLES row 0: no Variable_name column/,
    );
    expect(() => variablesFromRows("nope")).toThrow(/expected rows/);
  });
});
