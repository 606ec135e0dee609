/**
 * What one SQL connection observes, and the pure parsing of raw result rows into it. Works for
 * MySQL 5.7 / 8.0 / 8.4+ (Slave_ or Replica_/Source_ column names) and MariaDB 10.x / 11.x.
 */

import { InputError } from "./errors.ts";
import { formatMariadbGtids, GtidSet, MariadbPosition, parseMariadbGtidList } from "./gtid.ts";
import type { EndpointName } from "./types.ts";

export type SqlErrorClass =
  | "refused"
  | "timeout"
  | "auth"
  | "too_many_connections"
  | "unreachable"
  | "lost"
  | "privilege"
  | "bad_result"
  | "other";

export interface SqlError {
  class: SqlErrorClass;
  code?: string;
  message: string;
  /** Where it happened: while connecting, or in which query. */
  during: string;
}

export interface Flavor {
  vendor: "mysql" | "mariadb";
  major: number;
  minor: number;
  patch: number;
  label: "mysql-5.7" | "mysql-8.0" | "mysql-8.4+" | `mariadb-${number}`;
}

export interface ReplicationChannel {
  /** Channel_Name (MySQL) or Connection_name (MariaDB multi-source); "" for the default channel. */
  channel: string;
  sourceHost: string;
  sourcePort: number;
  sourceServerId: number | null;
  sourceUuid: string | null;
  /** "Yes" | "No" | "Connecting" as the server reports it. */
  ioState: string;
  ioRunning: boolean;
  sqlRunning: boolean;
  /** Seconds_Behind_Source / _Master; null when the server does not know (a thread is stopped). */
  lagSeconds: number | null;
  lastIoErrno: number;
  lastIoError: string;
  lastSqlErrno: number;
  lastSqlError: string;
  /** MySQL Auto_Position=1, MariaDB Using_Gtid Slave_Pos/Current_Pos. */
  gtidAutoPosition: boolean;
  /** MySQL Retrieved_Gtid_Set / MariaDB Gtid_IO_Pos, as text. */
  retrievedGtids: string;
  sqlDelaySeconds: number;
}

export interface MysqlGtidState {
  kind: "mysql";
  gtidMode: string;
  enforceGtidConsistency: string;
  executed: string;
}

export interface MariadbGtidState {
  kind: "mariadb";
  domainId: number;
  currentPos: string;
  binlogPos: string;
  /** The last GTID of every (domain, server) pair in the binlog: shows who originated what. */
  binlogState: string;
  slavePos: string;
  strictMode: boolean;
}

export interface ServerInfo {
  serverId: number;
  serverUuid: string | null;
  hostname: string;
  version: string;
  flavor: Flavor;
  readOnly: boolean;
  superReadOnly: boolean | null;
  binlog: boolean;
  logReplicaUpdates: boolean;
  autoIncrementIncrement: number;
  autoIncrementOffset: number;
  gtid: MysqlGtidState | MariadbGtidState;
  replication: ReplicationChannel[];
}

export interface SqlObservation {
  endpoint: EndpointName;
  host: string;
  port: number;
  observedAt: string;
  /** The server answered: connected, or refused us for too many connections (alive, as MHA counts it). */
  alive: boolean;
  /** Connected and authenticated. */
  connected: boolean;
  connectMs: number | null;
  durationMs: number;
  error?: SqlError;
  /** Present only when every query succeeded and parsed: a partial view is never presented as whole. */
  server?: ServerInfo;
}

/** The variables the probe reads with one SHOW GLOBAL VARIABLES (absent ones are simply not returned). */
export const PROBE_VARIABLES = [
  "server_id",
  "server_uuid",
  "hostname",
  "version",
  "version_comment",
  "read_only",
  "super_read_only",
  "log_bin",
  "log_slave_updates",
  "log_replica_updates",
  "auto_increment_increment",
  "auto_increment_offset",
  "gtid_mode",
  "enforce_gtid_consistency",
  "gtid_executed",
  "gtid_current_pos",
  "gtid_binlog_pos",
  "gtid_binlog_state",
  "gtid_slave_pos",
  "gtid_strict_mode",
  "gtid_domain_id",
] as const;

export const VARIABLES_QUERY = `SHOW GLOBAL VARIABLES WHERE Variable_name IN (${PROBE_VARIABLES.map((v) => `'${v}'`).join(", ")})`;

export function detectFlavor(version: string): Flavor {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) throw new InputError("version", "not a MySQL/MariaDB version string", version);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (/mariadb/i.test(version)) return { vendor: "mariadb", major, minor, patch, label: `mariadb-${major}` };
  const label = major < 8 ? "mysql-5.7" : major === 8 && minor === 0 ? "mysql-8.0" : "mysql-8.4+";
  return { vendor: "mysql", major, minor, patch, label };
}

/**
 * The statement that lists replication channels: MariaDB `SHOW ALL SLAVES STATUS` (every
 * multi-source connection); MySQL `SHOW REPLICA STATUS` from 8.0.22 (8.4 has only this one),
 * `SHOW SLAVE STATUS` before (5.7 has only that one).
 */
export function replicaStatusStatement(f: Flavor): string {
  if (f.vendor === "mariadb") return "SHOW ALL SLAVES STATUS";
  const atLeast8022 = f.major > 8 || (f.major === 8 && (f.minor > 0 || f.patch >= 22));
  return atLeast8022 ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS";
}

type Row = Record<string, unknown>;

/** Turns SHOW GLOBAL VARIABLES rows into a name -> value map, checking their shape. */
export function variablesFromRows(rows: unknown): Record<string, string> {
  if (!Array.isArray(rows)) throw new InputError("SHOW GLOBAL VARIABLES", "expected rows", rows);
  const out: Record<string, string> = {};
  rows.forEach((r, i) => {
    const row = r as Row;
    const name = row?.Variable_name;
    if (typeof name !== "string") {
      throw new InputError(`SHOW GLOBAL VARIABLES row ${i}`, "no Variable_name column", r);
    }
    out[name.toLowerCase()] = text(row.Value);
  });
  return out;
}

export function parseServerInfo(vars: Record<string, string>, replicaRows: unknown): ServerInfo {
  const field = (name: string) => `@@${name}`;
  const need = (name: string): string => {
    const v = vars[name];
    if (v === undefined) throw new InputError(field(name), "missing from SHOW GLOBAL VARIABLES");
    return v;
  };
  const int = (name: string): number => {
    const v = need(name);
    if (!/^\d+$/.test(v.trim())) throw new InputError(field(name), "expected a non-negative integer", v);
    return Number(v);
  };
  const flag = (name: string, optional = false): boolean | null => {
    const v = vars[name];
    if (v === undefined) {
      if (optional) return null;
      throw new InputError(field(name), "missing from SHOW GLOBAL VARIABLES");
    }
    const u = v.trim().toUpperCase();
    if (u === "ON" || u === "1") return true;
    if (u === "OFF" || u === "0") return false;
    throw new InputError(field(name), "expected ON or OFF", v);
  };
  const version = need("version");
  const flavor = detectFlavor(version);
  const gtid: MysqlGtidState | MariadbGtidState =
    flavor.vendor === "mariadb"
      ? {
          kind: "mariadb",
          domainId: int("gtid_domain_id"),
          currentPos: MariadbPosition.parse(need("gtid_current_pos"), field("gtid_current_pos")).toString(),
          binlogPos: MariadbPosition.parse(need("gtid_binlog_pos"), field("gtid_binlog_pos")).toString(),
          binlogState: formatMariadbGtids(
            parseMariadbGtidList(need("gtid_binlog_state"), field("gtid_binlog_state")),
          ),
          slavePos: MariadbPosition.parse(need("gtid_slave_pos"), field("gtid_slave_pos")).toString(),
          strictMode: flag("gtid_strict_mode") as boolean,
        }
      : {
          kind: "mysql",
          gtidMode: need("gtid_mode").toUpperCase(),
          enforceGtidConsistency: need("enforce_gtid_consistency").toUpperCase(),
          executed: GtidSet.parse(need("gtid_executed"), field("gtid_executed")).toString(),
        };
  const uuid = vars.server_uuid?.trim().toLowerCase() || null;
  if (uuid !== null && !/^[0-9a-f-]{36}$/.test(uuid))
    throw new InputError(field("server_uuid"), "not a UUID", uuid);
  return {
    serverId: int("server_id"),
    serverUuid: uuid,
    hostname: vars.hostname ?? "",
    version,
    flavor,
    readOnly: flag("read_only") as boolean,
    superReadOnly: flag("super_read_only", true),
    binlog: flag("log_bin") as boolean,
    logReplicaUpdates: (vars.log_replica_updates !== undefined
      ? flag("log_replica_updates")
      : flag("log_slave_updates")) as boolean,
    autoIncrementIncrement: int("auto_increment_increment"),
    autoIncrementOffset: int("auto_increment_offset"),
    gtid,
    replication: parseReplicaRows(replicaRows, flavor),
  };
}

/** Normalizes SHOW [ALL] SLAVE|REPLICA STATUS rows, whichever column names the server uses. */
export function parseReplicaRows(rows: unknown, flavor: Flavor): ReplicationChannel[] {
  const statement = replicaStatusStatement(flavor);
  if (!Array.isArray(rows)) throw new InputError(statement, "expected rows", rows);
  return rows.map((r, i) => {
    const row = r as Row;
    const where = `${statement} row ${i}`;
    const col = (...names: string[]): unknown => {
      for (const n of names) if (row && n in row) return row[n];
      throw new InputError(`${where}.${names.join("|")}`, "column missing");
    };
    const opt = (...names: string[]): unknown => {
      for (const n of names) if (row && n in row) return row[n];
      return undefined;
    };
    const num = (value: unknown, name: string, nullable = false): number | null => {
      if (value === null || value === undefined || value === "") {
        if (nullable) return null;
        throw new InputError(`${where}.${name}`, "expected a number", value);
      }
      const n = Number(value);
      if (!Number.isFinite(n) || n < 0)
        throw new InputError(`${where}.${name}`, "expected a non-negative number", value);
      return n;
    };
    const ioState = text(col("Replica_IO_Running", "Slave_IO_Running"));
    const sqlState = text(col("Replica_SQL_Running", "Slave_SQL_Running"));
    if (!["Yes", "No", "Connecting"].includes(ioState)) {
      throw new InputError(
        `${where}.Replica_IO_Running|Slave_IO_Running`,
        "expected Yes, No or Connecting",
        ioState,
      );
    }
    if (!["Yes", "No"].includes(sqlState)) {
      throw new InputError(`${where}.Replica_SQL_Running|Slave_SQL_Running`, "expected Yes or No", sqlState);
    }
    const usingGtid = opt("Using_Gtid");
    const autoPos = opt("Auto_Position");
    return {
      channel: text(opt("Channel_Name", "Connection_name") ?? ""),
      sourceHost: text(col("Source_Host", "Master_Host")),
      sourcePort: num(col("Source_Port", "Master_Port"), "Source_Port") as number,
      sourceServerId: num(opt("Source_Server_Id", "Master_Server_Id"), "Source_Server_Id", true),
      sourceUuid: text(opt("Source_UUID", "Master_UUID") ?? "").toLowerCase() || null,
      ioState,
      ioRunning: ioState === "Yes",
      sqlRunning: sqlState === "Yes",
      lagSeconds: num(col("Seconds_Behind_Source", "Seconds_Behind_Master"), "Seconds_Behind_Source", true),
      lastIoErrno: num(col("Last_IO_Errno"), "Last_IO_Errno") as number,
      lastIoError: text(col("Last_IO_Error")),
      lastSqlErrno: num(col("Last_SQL_Errno"), "Last_SQL_Errno") as number,
      lastSqlError: text(col("Last_SQL_Error")),
      gtidAutoPosition:
        usingGtid !== undefined
          ? !/^no$/i.test(text(usingGtid))
          : autoPos !== undefined
            ? String(autoPos) === "1"
            : false,
      retrievedGtids: text(opt("Retrieved_Gtid_Set", "Gtid_IO_Pos") ?? "").replace(/\s+/g, ""),
      sqlDelaySeconds: (num(opt("SQL_Delay") ?? 0, "SQL_Delay", true) as number | null) ?? 0,
    };
  });
}

function text(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
  throw new InputError("value", "unexpected type in result set", v);
}
