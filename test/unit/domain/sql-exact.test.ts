/**
 * The SQL parser's outputs whole: each recorded server (MySQL 5.7, 8.0, 8.4, MariaDB 10.11) parsed into
 * a reviewed golden observation, and every bad value's problem as the operator reads it.
 */
import { describe, expect, it } from "vitest";
import { type FixtureName, loadFixture } from "../../../emulators/mysql-recordings.ts";
import { InputError } from "../../../shared/domain/errors.ts";
import {
  detectFlavor,
  type FieldProblem,
  longVariablesQuery,
  parseReplicaRows,
  parseServerInfo,
  replicaStatusStatement,
  selectRowToVariables,
  variablesFromRows,
} from "../../../shared/domain/sql.ts";

const UUID_A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const FIXTURES: FixtureName[] = ["mysql-5.7", "mysql-8.0", "mysql-8.4", "mariadb-10.11"];
const vars = (name: FixtureName, node: "a" | "b" = "a") =>
  variablesFromRows(loadFixture(name)[node].variables);
const rows = (name: FixtureName, node: "a" | "b" = "a") => loadFixture(name)[node].replicaRows;

describe("each recorded server, parsed whole (golden)", () => {
  it.each(FIXTURES)("%s", async (name) => {
    const status = { uptime: "3600", com_stop_slave: "2", com_replica_stop: "1" };
    const out = {
      a: parseServerInfo(vars(name, "a"), rows(name, "a"), status, { rows: [{ written_at: 1764000000000 }] }),
      b: parseServerInfo(vars(name, "b"), rows(name, "b")),
    };
    await expect(`${JSON.stringify(out, null, 2)}\n`).toMatchFileSnapshot(`./sql-golden/${name}.json`);
  });
});

describe("flavors and statements at their boundaries", () => {
  it.each([
    ["5.7.44-log", "mysql", "mysql-5.7", "SHOW SLAVE STATUS"],
    ["8.0.21", "mysql", "mysql-8.0", "SHOW SLAVE STATUS"],
    ["8.0.22", "mysql", "mysql-8.0", "SHOW REPLICA STATUS"],
    ["8.1.0", "mysql", "mysql-8.4+", "SHOW REPLICA STATUS"],
    ["8.4.3", "mysql", "mysql-8.4+", "SHOW REPLICA STATUS"],
    ["9.0.1", "mysql", "mysql-8.4+", "SHOW REPLICA STATUS"],
    ["10.11.19-MariaDB-0+deb12u1-log", "mariadb", "mariadb-10", "SHOW ALL SLAVES STATUS"],
    ["11.4.2-mariadb", "mariadb", "mariadb-11", "SHOW ALL SLAVES STATUS"],
  ])("%s is %s (%s), listed by %s", (version, vendor, label, statement) => {
    const f = detectFlavor(version);
    expect(f).toMatchObject({ vendor, label });
    expect(replicaStatusStatement(f)).toBe(statement);
  });

  it("the version's numbers are read, and only from the start", () => {
    expect(detectFlavor("8.0.36-28")).toEqual({
      vendor: "mysql",
      major: 8,
      minor: 0,
      patch: 36,
      label: "mysql-8.0",
    });
    expect(() => detectFlavor("v8.0.36")).toThrow(InputError);
    expect(() => detectFlavor("8.0")).toThrow('version: not a MySQL/MariaDB version string (got "8.0")');
  });

  it("the long-value query reads each flavor's GTID variables", () => {
    expect(longVariablesQuery(detectFlavor("8.4.3"))).toBe("SELECT @@GLOBAL.gtid_executed AS gtid_executed");
    expect(longVariablesQuery(detectFlavor("10.11.9-MariaDB"))).toBe(
      "SELECT @@GLOBAL.gtid_current_pos AS gtid_current_pos, @@GLOBAL.gtid_binlog_pos AS gtid_binlog_pos, @@GLOBAL.gtid_binlog_state AS gtid_binlog_state, @@GLOBAL.gtid_slave_pos AS gtid_slave_pos",
    );
  });
});

describe("row shapes", () => {
  it("SHOW GLOBAL VARIABLES rows: names lower-cased, values as text (numbers, buffers, null)", () => {
    expect(
      variablesFromRows([
        { Variable_name: "SERVER_ID", Value: 7 },
        { Variable_name: "hostname", Value: Buffer.from("db-a") },
        { Variable_name: "x", Value: null },
        { Variable_name: "y", Value: true },
        { Variable_name: "z", Value: { a: 1 } },
      ]),
    ).toEqual({ server_id: "7", hostname: "db-a", x: "", y: "true", z: '{"a":1}' });
    expect(() => variablesFromRows({})).toThrow("SHOW GLOBAL VARIABLES: expected rows");
    expect(() => variablesFromRows([{ Variable_name: "a", Value: "1" }, { Value: "2" }])).toThrow(
      'SHOW GLOBAL VARIABLES row 1: no Variable_name column (got {"Value":"2"})',
    );
    expect(() => variablesFromRows([null])).toThrow("SHOW GLOBAL VARIABLES row 0: no Variable_name column");
  });

  it("SELECT @@GLOBAL rows: exactly one row object, names lower-cased", () => {
    expect(selectRowToVariables([{ GTID_EXECUTED: "x:1", n: 5 }], "Q")).toEqual({
      gtid_executed: "x:1",
      n: "5",
    });
    for (const bad of [[], [{}, {}], [null], ["x"], {}, null])
      expect(() => selectRowToVariables(bad, "Q"), JSON.stringify(bad)).toThrow(
        "Q: expected exactly one row",
      );
  });
});

describe("a bad value makes its field unknown, with the problem named", () => {
  const base = vars("mysql-8.4");
  const parse = (over: Record<string, string | undefined>, status: Record<string, string> = {}) => {
    const v: Record<string, string> = { ...base };
    for (const [k, x] of Object.entries(over)) {
      if (x === undefined) delete v[k];
      else v[k] = x;
    }
    return parseServerInfo(v, rows("mysql-8.4"), status);
  };

  it.each<[string, string | undefined, string, Record<string, unknown>]>([
    ["server_id", "-1", "expected a non-negative integer", { serverId: null }],
    ["server_id", "1.5", "expected a non-negative integer", { serverId: null }],
    ["server_id", undefined, "missing", { serverId: null }],
    ["auto_increment_increment", "two", "expected a non-negative integer", { autoIncrementIncrement: null }],
    ["auto_increment_offset", undefined, "missing", { autoIncrementOffset: null }],
    ["server_uuid", "not-a-uuid", "not a UUID", { serverUuid: null }],
    [
      "read_only",
      "MAYBE",
      "expected OFF, ON, NO_LOCK or NO_LOCK_NO_ADMIN",
      { readOnly: null, readOnlyValue: "MAYBE" },
    ],
    ["read_only", undefined, "missing", { readOnly: null, readOnlyValue: null }],
    ["super_read_only", "perhaps", "expected ON or OFF", { superReadOnly: null }],
    ["log_bin", undefined, "missing", { binlog: null }],
    ["log_bin", "yes", "expected ON or OFF", { binlog: null }],
    ["gtid_executed", undefined, "missing", { gtid: null }],
  ])("@@%s = %j: %s", (name, value, problem, fields) => {
    const s = parse({ [name]: value });
    expect(s).toMatchObject(fields);
    expect(s.unknown).toEqual([
      {
        field: `@@${name}`,
        problem,
        ...(value !== undefined && name !== "read_only" ? { value } : {}),
        ...(name === "read_only" && value !== undefined ? { value } : {}),
      },
    ]);
  });

  it("values in the other forms the servers use are read (1/0, lower case, spaces, upper-case uuid)", () => {
    const s = parse({
      read_only: " 1 ",
      super_read_only: "0",
      log_bin: "on",
      server_uuid: " 3E11FA47-71CA-11E1-9E33-C80AA9429562 ",
      server_id: " 12 ",
    });
    expect(s).toMatchObject({
      readOnly: true,
      readOnlyValue: "1",
      superReadOnly: false,
      binlog: true,
      serverUuid: "3e11fa47-71ca-11e1-9e33-c80aa9429562",
      serverId: 12,
    });
    expect(s.unknown).toEqual([]);
    for (const [v, ro] of [
      ["NO_LOCK", true],
      ["NO_LOCK_NO_ADMIN", true],
      ["0", false],
      ["off", false],
    ] as const)
      expect(parse({ read_only: v }).readOnly, v).toBe(ro);
  });

  it("super_read_only absent (MariaDB, MySQL 5.6) is not known and not a problem", () => {
    const s = parse({ super_read_only: undefined });
    expect(s.superReadOnly).toBeNull();
    expect(s.unknown).toEqual([]);
  });

  it("log_replica_updates wins over log_slave_updates when both are there", () => {
    expect(parse({ log_replica_updates: "OFF", log_slave_updates: "ON" }).logReplicaUpdates).toBe(false);
    expect(parse({ log_replica_updates: undefined, log_slave_updates: "ON" }).logReplicaUpdates).toBe(true);
  });

  it("a GTID set that does not parse names the variable and the parser's problem, and cuts the value at 200", () => {
    const long = `x${"y".repeat(300)}`;
    const s = parse({ gtid_executed: long });
    expect(s.gtid).toBeNull();
    expect(s.unknown).toHaveLength(1);
    expect(s.unknown[0]?.field).toBe("@@gtid_executed");
    expect(s.unknown[0]?.value).toBe(long.slice(0, 200));
  });

  it("the MySQL GTID state keeps its modes in upper case, empty when not read", () => {
    const s = parse({ gtid_mode: "on", enforce_gtid_consistency: undefined });
    expect(s.gtid).toMatchObject({ kind: "mysql", gtidMode: "ON", enforceGtidConsistency: "" });
  });

  it("Uptime and the stop counters: one stop counted once across the counter's names, STOP ALL SLAVES added, unknown without any, a bad uptime named", () => {
    expect(parse({}, {}).uptimeSeconds).toBeNull();
    expect(parse({}, {}).replicaStops).toBeNull();
    expect(
      parse({}, { com_stop_slave: "2", com_stop_all_slaves: "1", com_slave_stop: "x", com_replica_stop: "4" })
        .replicaStops,
    ).toBe(5); // the largest of the aliases (4) and STOP ALL SLAVES (1)
    const bad = parse({}, { uptime: "soon" });
    expect(bad.uptimeSeconds).toBeNull();
    expect(bad.unknown).toEqual([
      { field: "@@uptime", problem: "expected a non-negative integer", value: "soon" },
    ]);
  });

  it("the version is the one value without which nothing can be read", () => {
    expect(() => parse({ version: undefined })).toThrow("@@version: missing from SHOW GLOBAL VARIABLES");
  });
});

describe("MariaDB's GTID variables", () => {
  const base = vars("mariadb-10.11");
  const parse = (over: Record<string, string | undefined>) => {
    const v: Record<string, string> = { ...base };
    for (const [k, x] of Object.entries(over)) {
      if (x === undefined) delete v[k];
      else v[k] = x;
    }
    return parseServerInfo(v, []);
  };

  it("each one missing or unreadable makes the GTID state unknown, naming it", () => {
    for (const name of [
      "gtid_domain_id",
      "gtid_current_pos",
      "gtid_binlog_pos",
      "gtid_binlog_state",
      "gtid_slave_pos",
    ]) {
      const s = parse({ [name]: undefined });
      expect(s.gtid, name).toBeNull();
      expect(
        s.unknown.map((u) => u.field),
        name,
      ).toEqual([`@@${name}`]);
    }
    const bad = parse({ gtid_binlog_state: "1-x-3" });
    expect(bad.gtid).toBeNull();
    expect(bad.unknown.map((u) => [u.field, u.value])).toEqual([["@@gtid_binlog_state", "1-x-3"]]);
  });

  it("strict mode unknown is read as off, and named", () => {
    const s = parse({ gtid_strict_mode: "sometimes" });
    expect(s.gtid).toMatchObject({ kind: "mariadb", strictMode: false });
    expect(s.unknown.map((u) => u.field)).toEqual(["@@gtid_strict_mode"]);
    expect(parse({}).gtid).toMatchObject({ strictMode: true, domainId: 1, binlogState: "1-1-3" });
  });
});

describe("the heartbeat row", () => {
  const v = vars("mysql-8.4");
  const seen = (h: { rows: unknown } | { error: string; missing?: boolean }) => {
    const s = parseServerInfo(v, [], {}, h);
    return { seen: s.heartbeatSeen, unknown: s.unknown, ...(s.heartbeatRowMissing ? { missing: true } : {}) };
  };
  it("read, missing (no row, no table), unreadable, not rows, not an epoch", () => {
    expect(seen({ rows: [{ written_at: "1764000000000" }] })).toEqual({ seen: 1764000000000, unknown: [] });
    // the kit seeds the row and the prober never inserts it: no row is a missing row, not "nothing yet"
    expect(seen({ rows: [] })).toEqual({
      seen: null,
      unknown: [{ field: "heartbeat row", problem: "missing (the node kit seeds it)" }],
      missing: true,
    });
    expect(seen({ error: "Table 'mysql_ha_prober.heartbeat' doesn't exist", missing: true })).toMatchObject({
      seen: null,
      missing: true,
    });
    expect(seen({ error: "ER_NO_SUCH_TABLE" })).toEqual({
      seen: null,
      unknown: [{ field: "heartbeat row", problem: "could not be read: ER_NO_SUCH_TABLE" }],
    });
    expect(seen({ rows: "x" })).toEqual({
      seen: null,
      unknown: [{ field: "heartbeat row", problem: "expected rows" }],
    });
    // NULL, an empty string or a boolean is no epoch (Number() would read them as 0 or 1: "nothing reached")
    for (const bad of [-1, 1.5, "abc", null, "", " ", true, 2 ** 60])
      expect(seen({ rows: [{ written_at: bad }] }), String(bad)).toEqual({
        seen: null,
        unknown: [
          { field: "heartbeat row", problem: "written_at is not an epoch in ms", value: String(bad) },
        ],
      });
    expect(seen({ rows: [{ written_at: 0 }] }).seen).toBe(0);
  });
  it("without a heartbeat read, the field is absent (the heartbeat is off)", () => {
    expect("heartbeatSeen" in parseServerInfo(v, [])).toBe(false);
  });
});

describe("replication rows", () => {
  const my = detectFlavor("8.4.3");
  const row = {
    Replica_IO_Running: "Yes",
    Replica_SQL_Running: "Yes",
    Source_Host: "192.0.2.12",
    Source_Port: 3306,
    Seconds_Behind_Source: 0,
    Last_IO_Errno: 0,
    Last_SQL_Errno: 0,
  };

  it("a minimal row: the optional columns take their defaults", () => {
    expect(parseReplicaRows([row], my)).toEqual([
      {
        channel: "",
        sourceHost: "192.0.2.12",
        sourcePort: 3306,
        sourceServerId: null,
        sourceUuid: null,
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
        gtidAutoPosition: false,
        retrievedGtids: "",
        sqlDelaySeconds: 0,
      },
    ]);
  });

  it("each missing column and bad value is named with its row and statement", () => {
    const unknown: { field: string; problem: string; value?: string }[] = [];
    const [c] = parseReplicaRows(
      [
        {
          Replica_IO_Running: "Maybe",
          Replica_SQL_Running: "Connecting",
          Source_Port: "",
          Seconds_Behind_Source: -3,
          Last_IO_Errno: "x",
          SQL_Delay: "",
        },
      ],
      my,
      unknown,
    );
    expect(c).toMatchObject({
      ioRunning: null,
      sqlRunning: null,
      sourceHost: "",
      sourcePort: null,
      lagSeconds: null,
      lastIoErrno: null,
      lastSqlErrno: null,
      sqlDelaySeconds: 0,
    });
    expect(unknown).toEqual([
      {
        field: "SHOW REPLICA STATUS row 0.Replica_IO_Running|Slave_IO_Running",
        problem: "expected Yes, No, Connecting or Preparing",
        value: "Maybe",
      },
      {
        field: "SHOW REPLICA STATUS row 0.Replica_SQL_Running|Slave_SQL_Running",
        problem: "expected Yes or No",
        value: "Connecting",
      },
      { field: "SHOW REPLICA STATUS row 0.Source_Host|Master_Host", problem: "column missing" },
      { field: "SHOW REPLICA STATUS row 0.Source_Port|Master_Port", problem: "expected a number", value: "" },
      {
        field: "SHOW REPLICA STATUS row 0.Seconds_Behind_Source|Seconds_Behind_Master",
        problem: "expected a non-negative number",
        value: "-3",
      },
      {
        field: "SHOW REPLICA STATUS row 0.Last_IO_Errno",
        problem: "expected a non-negative number",
        value: "x",
      },
      { field: "SHOW REPLICA STATUS row 0.Last_SQL_Errno", problem: "column missing" },
    ]);
  });

  it("a NULL lag is unknown without a problem; a NULL port is a problem", () => {
    const unknown: FieldProblem[] = [];
    const [c] = parseReplicaRows([{ ...row, Seconds_Behind_Source: null, Source_Port: null }], my, unknown);
    expect(c?.lagSeconds).toBeNull();
    expect(unknown.map((u) => u.field)).toEqual(["SHOW REPLICA STATUS row 0.Source_Port|Master_Port"]);
  });

  it("GTID auto-positioning: MariaDB Using_Gtid (No is off), MySQL Auto_Position 1", () => {
    const auto = (extra: Record<string, unknown>) =>
      parseReplicaRows([{ ...row, ...extra }], my)[0]?.gtidAutoPosition;
    expect(auto({ Using_Gtid: "Slave_Pos" })).toBe(true);
    expect(auto({ Using_Gtid: "Current_Pos" })).toBe(true);
    expect(auto({ Using_Gtid: "No" })).toBe(false);
    expect(auto({ Using_Gtid: "no" })).toBe(false);
    expect(auto({ Auto_Position: 1 })).toBe(true);
    expect(auto({ Auto_Position: "1" })).toBe(true);
    expect(auto({ Auto_Position: 0 })).toBe(false);
    expect(auto({ Using_Gtid: "Slave_Pos", Auto_Position: 0 })).toBe(true);
  });

  it("names, uuid, retrieved set and delay as the servers spell them", () => {
    const [c] = parseReplicaRows(
      [
        {
          ...row,
          Connection_name: "from_b",
          Master_UUID: "8A94F357-AAB4-11DF-86AB-C80AA9429562",
          Master_Server_Id: "2",
          Gtid_IO_Pos: "1-2-5,\n 2-2-9",
          SQL_Delay: "30",
          Last_IO_Error_Timestamp: " 241124 03:00:00 ",
          Last_SQL_Error: "Duplicate entry",
        },
      ],
      my,
    );
    expect(c).toMatchObject({
      channel: "from_b",
      sourceUuid: "8a94f357-aab4-11df-86ab-c80aa9429562",
      sourceServerId: 2,
      retrievedGtids: "1-2-5,2-2-9",
      sqlDelaySeconds: 30,
      lastIoErrorTimestamp: "241124 03:00:00",
      lastSqlError: "Duplicate entry",
    });
  });

  it("rows that are not rows", () => {
    expect(() => parseReplicaRows({}, my)).toThrow("SHOW REPLICA STATUS: expected rows");
    expect(parseReplicaRows([null], my)[0]?.ioState).toBe("");
  });
});

describe("more value forms the drivers and servers give", () => {
  const base = vars("mysql-8.4");
  it("a BIGINT as a JavaScript bigint is read as its digits (JSON cannot)", () => {
    expect(variablesFromRows([{ Variable_name: "server_id", Value: 10n }])).toEqual({ server_id: "10" });
    const s = parseServerInfo(base, [], {}, { rows: [{ written_at: 1764000000000n }] });
    expect(s.heartbeatSeen).toBe(1764000000000);
  });

  it("flags: 1 and padded words are ON", () => {
    expect(parseServerInfo({ ...base, log_bin: "1" }, []).binlog).toBe(true);
    expect(parseServerInfo({ ...base, log_bin: " ON " }, []).binlog).toBe(true);
    expect(parseServerInfo({ ...base, log_bin: " off " }, []).binlog).toBe(false);
  });

  it("a server_uuid with anything around its 36 characters is not a UUID", () => {
    for (const u of [`${UUID_A}x`, `x${UUID_A}`])
      expect(parseServerInfo({ ...base, server_uuid: u }, []).serverUuid, u).toBeNull();
  });

  it("MySQL's Channel_Name names the channel", () => {
    const [c] = parseReplicaRows(
      [
        {
          Channel_Name: "from_b",
          Replica_IO_Running: "Yes",
          Replica_SQL_Running: "Yes",
          Source_Host: "h",
          Source_Port: 1,
          Seconds_Behind_Source: 0,
          Last_IO_Errno: 0,
          Last_SQL_Errno: 0,
        },
      ],
      detectFlavor("8.4.3"),
    );
    expect(c?.channel).toBe("from_b");
  });

  it("a heartbeat row that is NULL is unreadable, named", () => {
    const s = parseServerInfo(base, [], {}, { rows: [null] });
    expect(s.heartbeatSeen).toBeNull();
    expect(s.unknown).toEqual([
      { field: "heartbeat row", problem: "written_at is not an epoch in ms", value: "undefined" },
    ]);
  });
});
