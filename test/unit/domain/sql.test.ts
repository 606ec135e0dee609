import { describe, expect, it } from "vitest";
import { type FixtureName, loadFixture, serverFrom } from "../../../emulators/mysql-recordings.ts";
import {
  detectFlavor,
  longVariablesQuery,
  parseServerInfo,
  replicaStatusStatement,
  selectRowToVariables,
  variablesFromRows,
} from "../../../shared/domain/sql.ts";

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
        lastIoErrorTimestamp: "",
        lastSqlErrorTimestamp: "",
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

describe("a value the parser does not know makes that field unknown, never the node", () => {
  const f = loadFixture("mysql-8.4");
  const vars = () => variablesFromRows(f.a.variables);
  const whole = parseServerInfo(vars(), f.a.replicaRows);

  it.each([
    [{ server_id: "one" }, "serverId", "@@server_id", /expected a non-negative integer/],
    [{ read_only: "MAYBE" }, "readOnly", "@@read_only", /expected OFF, ON, NO_LOCK or NO_LOCK_NO_ADMIN/],
    [{ gtid_executed: "zz:1" }, "gtid", "@@gtid_executed", /"zz" is not a server UUID/],
    [{ server_uuid: "nope" }, "serverUuid", "@@server_uuid", /not a UUID/],
  ] as const)("variables %j", (override, key, field, problem) => {
    const s = parseServerInfo({ ...vars(), ...override }, f.a.replicaRows);
    expect(s[key]).toBeNull();
    expect(s.unknown).toEqual([expect.objectContaining({ field, problem: expect.stringMatching(problem) })]);
    // everything else is still read
    expect({ ...s, [key]: whole[key], unknown: [] }).toEqual({ ...whole, readOnlyValue: s.readOnlyValue });
  });

  it("a missing variable", () => {
    const v = vars();
    delete v.auto_increment_offset;
    const s = parseServerInfo(v, f.a.replicaRows);
    expect(s.autoIncrementOffset).toBeNull();
    expect(s.unknown).toEqual([{ field: "@@auto_increment_offset", problem: "missing" }]);
    expect(s.replication).toEqual(whole.replication);
  });

  it("a missing replication column", () => {
    const row = { ...f.a.replicaRows[0] };
    delete row.Last_IO_Errno;
    const s = parseServerInfo(vars(), [row]);
    expect(s.replication[0]?.lastIoErrno).toBeNull();
    expect(s.replication[0]?.ioRunning).toBe(true);
    expect(s.unknown).toEqual([
      { field: "SHOW REPLICA STATUS row 0.Last_IO_Errno", problem: "column missing" },
    ]);
  });

  it("an unknown thread state: that thread is unknown, not stopped", () => {
    const s = parseServerInfo(vars(), [{ ...f.a.replicaRows[0], Replica_SQL_Running: "Connecting" }]);
    expect(s.replication[0]).toMatchObject({ sqlRunning: null, ioRunning: true });
    expect(s.unknown[0]).toMatchObject({
      field: "SHOW REPLICA STATUS row 0.Replica_SQL_Running|Slave_SQL_Running",
      problem: "expected Yes or No",
      value: "Connecting",
    });
  });

  it("the version is the one value without which nothing can be read", () => {
    const v = vars();
    delete v.version;
    expect(() => parseServerInfo(v, f.a.replicaRows)).toThrow(/^@@version: missing/);
  });
});

describe("real formats", () => {
  const maria = loadFixture("mariadb-10.11");
  const mvars = () => variablesFromRows(maria.a.variables);

  it("MariaDB's Slave_IO_Running: Preparing (sql/slave.cc) is a known state: not running yet", () => {
    const s = parseServerInfo(mvars(), [{ ...maria.a.replicaRows[0], Slave_IO_Running: "Preparing" }]);
    expect(s.unknown).toEqual([]);
    expect(s.replication[0]).toMatchObject({ ioState: "Preparing", ioRunning: false });
  });

  it.each([
    ["OFF", false],
    ["ON", true],
    ["NO_LOCK", true],
    ["NO_LOCK_NO_ADMIN", true],
  ] as const)("MariaDB 11.x/12 read_only enum %s (MDEV-36425) reads as read-only=%s", (value, readOnly) => {
    const s = parseServerInfo({ ...mvars(), read_only: value }, maria.a.replicaRows);
    expect(s).toMatchObject({ readOnly, readOnlyValue: value, unknown: [] });
  });

  it("a gtid_executed longer than SHOW GLOBAL VARIABLES' 1024 characters is read whole from SELECT @@GLOBAL", () => {
    const f = loadFixture("mysql-8.4");
    const uuids = Array.from(
      { length: 25 },
      (_, i) => `${(0x10000000 + i).toString(16)}-aaaa-bbbb-cccc-000000000000`,
    );
    const full = uuids.map((u, i) => `${u}:1-${1000 + i}`).join(",\n");
    expect(full.length).toBeGreaterThan(1024);
    const cut = full.slice(0, 1024); // what performance_schema hands SHOW GLOBAL VARIABLES
    const v: Record<string, string> = { ...variablesFromRows(f.a.variables), gtid_executed: cut };
    Object.assign(
      v,
      selectRowToVariables([{ gtid_executed: full }], longVariablesQuery(detectFlavor(v.version ?? ""))),
    );
    const s = parseServerInfo(v, f.a.replicaRows);
    expect(s.unknown).toEqual([]);
    expect(s.gtid?.kind === "mysql" && s.gtid.executed.split(",").length).toBe(25);
  });

  it("the long-value query asks for each flavor's GTID variables", () => {
    expect(longVariablesQuery(detectFlavor("8.4.3"))).toBe("SELECT @@GLOBAL.gtid_executed AS gtid_executed");
    expect(longVariablesQuery(detectFlavor("10.11.19-MariaDB"))).toMatch(
      /@@GLOBAL.gtid_current_pos .*@@GLOBAL.gtid_binlog_pos .*@@GLOBAL.gtid_binlog_state .*@@GLOBAL.gtid_slave_pos/,
    );
  });

  it("Uptime and the STOP SLAVE/REPLICA counters come from SHOW GLOBAL STATUS", () => {
    const s = parseServerInfo(mvars(), maria.a.replicaRows, { uptime: "86400", com_stop_slave: "3" });
    expect(s).toMatchObject({ uptimeSeconds: 86400, replicaStops: 3 });
    const m = loadFixture("mysql-8.4");
    // MySQL 8.0.22+: one counter under both names (STOP SLAVE and STOP REPLICA update the same
    // status variables): two stops read 2 and 2, counted once
    const s8 = parseServerInfo(variablesFromRows(m.a.variables), m.a.replicaRows, {
      uptime: "10",
      com_replica_stop: "2",
      com_slave_stop: "2",
    });
    expect(s8.replicaStops).toBe(2);
    // MariaDB's STOP ALL SLAVES has a counter of its own
    const all = parseServerInfo(mvars(), maria.a.replicaRows, {
      com_stop_slave: "1",
      com_stop_all_slaves: "1",
    });
    expect(all.replicaStops).toBe(2);
  });

  it("rows that are not SHOW VARIABLES rows", () => {
    expect(() => variablesFromRows([{ name: "x" }])).toThrow(
      /SHOW GLOBAL VARIABLES row 0: no Variable_name column/,
    );
    expect(() => variablesFromRows("nope")).toThrow(/expected rows/);
  });
});
