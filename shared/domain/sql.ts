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
  /** A limit of the server's own: the host blocked after connection errors, a user resource limit. */
  | "server_limit"
  /** The server answered with an error the other classes do not name. */
  | "server_error"
  | "unreachable"
  | "lost"
  | "privilege"
  | "bad_result"
  | "tls"
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

/** A value the parser did not know: that field is unknown (null), the rest of the node is kept. */
export interface FieldProblem {
  /** The variable (`@@read_only`) or column (`SHOW ALL SLAVES STATUS row 0.Slave_IO_Running`). */
  field: string;
  problem: string;
  value?: string;
}

export interface ReplicationChannel {
  /** Channel_Name (MySQL) or Connection_name (MariaDB multi-source); "" for the default channel. */
  channel: string;
  sourceHost: string;
  sourcePort: number | null;
  sourceServerId: number | null;
  sourceUuid: string | null;
  /** As the server reports it: Yes, No, Connecting, Preparing (MariaDB), or what it said. */
  ioState: string;
  /** null when the server's word is not one the parser knows (a finding names it). */
  ioRunning: boolean | null;
  sqlRunning: boolean | null;
  /** Seconds_Behind_Source / _Master; null when the server does not know (a thread is stopped). */
  lagSeconds: number | null;
  lastIoErrno: number | null;
  lastIoError: string;
  lastSqlErrno: number | null;
  lastSqlError: string;
  /** MySQL only: when the last IO / SQL error happened ("" when none, or on MariaDB). */
  lastIoErrorTimestamp: string;
  lastSqlErrorTimestamp: string;
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
  /** null when unreadable: identity then rests on server_uuid. */
  serverId: number | null;
  serverUuid: string | null;
  hostname: string;
  version: string;
  flavor: Flavor;
  /** Writes refused to ordinary users: ON, or MariaDB 11/12's NO_LOCK / NO_LOCK_NO_ADMIN. */
  readOnly: boolean | null;
  /** read_only as the server said it (OFF, ON, NO_LOCK, NO_LOCK_NO_ADMIN, 0, 1). */
  readOnlyValue: string | null;
  superReadOnly: boolean | null;
  binlog: boolean | null;
  logReplicaUpdates: boolean | null;
  autoIncrementIncrement: number | null;
  autoIncrementOffset: number | null;
  /** null when a GTID variable could not be read: the write checks are then unknown. */
  gtid: MysqlGtidState | MariadbGtidState | null;
  /** Seconds since mysqld started (SHOW GLOBAL STATUS Uptime); null when not read. */
  uptimeSeconds: number | null;
  replication: ReplicationChannel[];
  /** STOP SLAVE / STOP REPLICA commands since mysqld started (null when the server has no such counter). */
  replicaStops: number | null;
  /**
   * The heartbeat row as this server has it: the prober-clock time (epoch ms) of the last heartbeat
   * write it holds. undefined: the heartbeat is off; null: no row, or unreadable (named in `unknown`).
   */
  heartbeatSeen?: number | null;
  /** The heartbeat table has no row (or does not exist) on this server: the prober does not write. */
  heartbeatRowMissing?: boolean;
  /** Fields whose value the parser did not know: each is null above and named here. */
  unknown: FieldProblem[];
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

/** More rows than any server sends for our statements: a server sending more is broken or hostile. */
export const VARIABLE_ROWS_LIMIT = 2_000;
/** Replication channels read per node (multi-source beyond this is not a dual-master pair). */
export const CHANNEL_LIMIT = 64;
/** A server's free text (errors, host names, versions) kept per field. */
export const SERVER_TEXT_LIMIT = 1_024;

/** Turns SHOW GLOBAL VARIABLES rows into a name -> value map, checking their shape. */
export function variablesFromRows(rows: unknown): Record<string, string> {
  if (!Array.isArray(rows)) throw new InputError("SHOW GLOBAL VARIABLES", "expected rows", rows);
  if (rows.length > VARIABLE_ROWS_LIMIT)
    throw new InputError(
      "SHOW GLOBAL VARIABLES",
      `${rows.length} rows, more than ${VARIABLE_ROWS_LIMIT}: not read`,
    );
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

/**
 * Variables whose value can pass SHOW GLOBAL VARIABLES' 1024-character cut (MySQL 5.7+ reads it from
 * performance_schema): read whole with SELECT @@GLOBAL.<name>, which has no such limit.
 */
export function longVariablesQuery(f: Flavor): string {
  const names =
    f.vendor === "mariadb"
      ? ["gtid_current_pos", "gtid_binlog_pos", "gtid_binlog_state", "gtid_slave_pos"]
      : ["gtid_executed"];
  return `SELECT ${names.map((n) => `@@GLOBAL.${n} AS ${n}`).join(", ")}`;
}

/** mysqld's uptime: a restart between two probes shows as an uptime shorter than the time between them. */
/**
 * The STOP SLAVE / STOP REPLICA counters by flavor and version: one counter under up to three names
 * (MariaDB Com_stop_slave; MySQL Com_slave_stop, and from 8.0.22 Com_replica_stop as well: "both versions
 * of the statement update the same status variables", MySQL 8.0 manual, STOP SLAVE), and MariaDB's
 * STOP ALL SLAVES on its own counter.
 */
const STOP_ALIASES = ["Com_stop_slave", "Com_slave_stop", "Com_replica_stop"];
const STOP_COUNTERS = [...STOP_ALIASES, "Com_stop_all_slaves"];

export const STATUS_QUERY = `SHOW GLOBAL STATUS WHERE Variable_name IN ('Uptime', ${STOP_COUNTERS.map((n) => `'${n}'`).join(", ")})`;

/**
 * STOP SLAVE / STOP REPLICA commands since mysqld started. A stop, not a start: a START SLAVE on a
 * running replica (a no-op a script may run) counts as a start too, and is no restart.
 */
function replicaStopsOf(status: Record<string, string>): number | null {
  const value = (n: string) => status[n.toLowerCase()];
  if (STOP_COUNTERS.every((n) => value(n) === undefined)) return null;
  // one stop shows under every alias of the counter: counted once (the largest, should they differ)
  const stops = Math.max(0, ...STOP_ALIASES.map((n) => Number(value(n)) || 0));
  return stops + (Number(value("Com_stop_all_slaves")) || 0);
}

/** One row of SELECT @@GLOBAL... as a name -> value map (lower-case names). */
export function selectRowToVariables(rows: unknown, statement: string): Record<string, string> {
  if (!Array.isArray(rows) || rows.length !== 1 || typeof rows[0] !== "object" || rows[0] === null)
    throw new InputError(statement, "expected exactly one row", rows);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(rows[0] as Row)) out[k.toLowerCase()] = text(v);
  return out;
}

/** Parses what the probe read. Never throws for one bad value: that field becomes unknown. */
export function parseServerInfo(
  vars: Record<string, string>,
  replicaRows: unknown,
  status: Record<string, string> = {},
  heartbeat?: HeartbeatRead,
): ServerInfo {
  const unknown: FieldProblem[] = [];
  const field = (name: string) => `@@${name}`;
  const problem = (name: string, why: string, value?: string): null => {
    unknown.push({ field: field(name), problem: why, ...(value !== undefined ? { value } : {}) });
    return null;
  };
  const int = (name: string, source: Record<string, string> = vars): number | null => {
    const v = source[name];
    if (v === undefined) return problem(name, "missing");
    return /^\d+$/.test(v.trim()) ? Number(v) : problem(name, "expected a non-negative integer", v);
  };
  const flag = (name: string, optional = false): boolean | null => {
    const v = vars[name];
    if (v === undefined) return optional ? null : problem(name, "missing");
    const u = v.trim().toUpperCase();
    if (u === "ON" || u === "1") return true;
    if (u === "OFF" || u === "0") return false;
    return problem(name, "expected ON or OFF", v);
  };
  const version = vars.version;
  if (version === undefined) throw new InputError(field("version"), "missing from SHOW GLOBAL VARIABLES");
  const flavor = detectFlavor(version);
  const uuid = vars.server_uuid?.trim().toLowerCase() || null;
  const serverUuid =
    uuid === null || /^[0-9a-f-]{36}$/.test(uuid) ? uuid : problem("server_uuid", "not a UUID", uuid);
  const readOnlyValue = vars.read_only?.trim().toUpperCase() ?? null;
  return {
    serverId: int("server_id"),
    serverUuid,
    hostname: serverText(vars.hostname ?? "", 255),
    version: serverText(version, 255),
    flavor,
    readOnly: readOnlyOf(readOnlyValue, problem),
    readOnlyValue,
    superReadOnly: flag("super_read_only", true),
    binlog: flag("log_bin"),
    logReplicaUpdates:
      vars.log_replica_updates !== undefined ? flag("log_replica_updates") : flag("log_slave_updates"),
    autoIncrementIncrement: int("auto_increment_increment"),
    autoIncrementOffset: int("auto_increment_offset"),
    gtid: gtidState(vars, flavor, problem, int, flag),
    uptimeSeconds: status.uptime !== undefined ? int("uptime", status) : null,
    replicaStops: replicaStopsOf(status),
    replication: parseReplicaRows(replicaRows, flavor, unknown),
    ...(heartbeat ? { heartbeatSeen: heartbeatSeenOf(heartbeat, unknown) } : {}),
    ...(heartbeat && heartbeatRowAbsent(heartbeat) ? { heartbeatRowMissing: true } : {}),
    unknown,
  };
}

/** The heartbeat read: its rows, or its error (`missing`: no such table or database). */
export type HeartbeatRead = { rows: unknown } | { error: string; missing?: boolean };

function heartbeatRowAbsent(h: HeartbeatRead): boolean {
  return "error" in h ? h.missing === true : Array.isArray(h.rows) && h.rows.length === 0;
}

/** The heartbeat row's written_at (prober clock, epoch ms); null with the reason named when unreadable. */
function heartbeatSeenOf(h: HeartbeatRead, unknown: FieldProblem[]): number | null {
  const field = "heartbeat row";
  if ("error" in h) {
    unknown.push({ field, problem: `could not be read: ${h.error}` });
    return null;
  }
  if (!Array.isArray(h.rows)) {
    unknown.push({ field, problem: "expected rows" });
    return null;
  }
  if (h.rows.length === 0) {
    // the kit seeds the row on every node and the prober never inserts it (HEARTBEAT_ROW_MISSING)
    unknown.push({ field, problem: "missing (the node kit seeds it)" });
    return null;
  }
  const v = (h.rows[0] as Row)?.written_at;
  // A number, a BIGINT as text or bigint; NULL, "" or a boolean would pass Number() as 0 or 1.
  const readable =
    typeof v === "number" || typeof v === "bigint" || (typeof v === "string" && v.trim() !== "");
  const n = readable ? Number(v) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 0) {
    unknown.push({ field, problem: "written_at is not an epoch in ms", value: String(v) });
    return null;
  }
  return n;
}

/** The heartbeat row as each node has it. */
export function heartbeatReadQuery(table: string): string {
  return `SELECT written_at FROM ${table} WHERE id = 1`;
}

/** read_only: ON/OFF (MySQL, MariaDB 10), and MariaDB 11.x/12's enum (NO_LOCK, NO_LOCK_NO_ADMIN: still read-only). */
function readOnlyOf(v: string | null, problem: (n: string, why: string, v?: string) => null): boolean | null {
  if (v === null) return problem("read_only", "missing");
  if (v === "OFF" || v === "0") return false;
  if (v === "ON" || v === "1" || v === "NO_LOCK" || v === "NO_LOCK_NO_ADMIN") return true;
  return problem("read_only", "expected OFF, ON, NO_LOCK or NO_LOCK_NO_ADMIN", v);
}

function gtidState(
  vars: Record<string, string>,
  flavor: Flavor,
  problem: (n: string, why: string, v?: string) => null,
  int: (n: string) => number | null,
  flag: (n: string) => boolean | null,
): MysqlGtidState | MariadbGtidState | null {
  const read = <T>(name: string, parse: (v: string, where: string) => T): T | null => {
    const v = vars[name];
    if (v === undefined) return problem(name, "missing");
    try {
      return parse(v, `@@${name}`);
    } catch (e) {
      return problem(name, e instanceof InputError ? e.problem : String(e), v.slice(0, 200));
    }
  };
  if (flavor.vendor === "mariadb") {
    const pos = (v: string, where: string) => MariadbPosition.parse(v, where).toString();
    const domainId = int("gtid_domain_id");
    const currentPos = read("gtid_current_pos", pos);
    const binlogPos = read("gtid_binlog_pos", pos);
    const binlogState = read("gtid_binlog_state", (v, w) => formatMariadbGtids(parseMariadbGtidList(v, w)));
    const slavePos = read("gtid_slave_pos", pos);
    const strictMode = flag("gtid_strict_mode");
    if (
      domainId === null ||
      currentPos === null ||
      binlogPos === null ||
      binlogState === null ||
      slavePos === null
    )
      return null;
    return {
      kind: "mariadb",
      domainId,
      currentPos,
      binlogPos,
      binlogState,
      slavePos,
      strictMode: strictMode ?? false,
    };
  }
  const executed = read("gtid_executed", (v, w) => GtidSet.parse(v, w).toString());
  if (executed === null) return null;
  return {
    kind: "mysql",
    gtidMode: (vars.gtid_mode ?? "").toUpperCase(),
    enforceGtidConsistency: (vars.enforce_gtid_consistency ?? "").toUpperCase(),
    executed,
  };
}

const IO_STATES: Record<string, boolean> = { Yes: true, No: false, Connecting: false, Preparing: false };
const SQL_STATES: Record<string, boolean> = { Yes: true, No: false };

/**
 * Normalizes SHOW [ALL] SLAVE|REPLICA STATUS rows, whichever column names the server uses. A column
 * missing or a value not known makes that field unknown (recorded in `unknown`), never the row.
 */
export function parseReplicaRows(
  rows: unknown,
  flavor: Flavor,
  unknown: FieldProblem[] = [],
): ReplicationChannel[] {
  const statement = replicaStatusStatement(flavor);
  if (!Array.isArray(rows)) throw new InputError(statement, "expected rows", rows);
  if (rows.length > CHANNEL_LIMIT)
    unknown.push({
      field: statement,
      problem: `${rows.length} replication channels: only the first ${CHANNEL_LIMIT} read`,
    });
  return rows.slice(0, CHANNEL_LIMIT).map((r, i) => {
    const row = (r ?? {}) as Row;
    const where = `${statement} row ${i}`;
    const problem = (names: string, why: string, value?: unknown): null => {
      unknown.push({
        field: `${where}.${names}`,
        problem: why,
        ...(value !== undefined ? { value: String(value).slice(0, 200) } : {}),
      });
      return null;
    };
    const opt = (...names: string[]): unknown => {
      for (const n of names) if (n in row) return row[n];
      return undefined;
    };
    const col = (...names: string[]): unknown => {
      const v = opt(...names);
      if (v === undefined) problem(names.join("|"), "column missing");
      return v;
    };
    const num = (value: unknown, name: string, nullable = false): number | null => {
      if (value === undefined) return null; // a missing column: already named, or optional
      if (value === null || value === "") return nullable ? null : problem(name, "expected a number", value);
      const n = Number(value);
      return Number.isFinite(n) && n >= 0 ? n : problem(name, "expected a non-negative number", value);
    };
    const ioState = text(col("Replica_IO_Running", "Slave_IO_Running"));
    const sqlState = text(col("Replica_SQL_Running", "Slave_SQL_Running"));
    const ioRunning =
      IO_STATES[ioState] ??
      problem("Replica_IO_Running|Slave_IO_Running", "expected Yes, No, Connecting or Preparing", ioState);
    const sqlRunning =
      SQL_STATES[sqlState] ??
      problem("Replica_SQL_Running|Slave_SQL_Running", "expected Yes or No", sqlState);
    const usingGtid = opt("Using_Gtid");
    const autoPos = opt("Auto_Position");
    return {
      channel: serverText(opt("Channel_Name", "Connection_name") ?? "", 64),
      sourceHost: serverText(col("Source_Host", "Master_Host"), 255),
      sourcePort: num(col("Source_Port", "Master_Port"), "Source_Port|Master_Port"),
      sourceServerId: num(
        opt("Source_Server_Id", "Master_Server_Id"),
        "Source_Server_Id|Master_Server_Id",
        true,
      ),
      sourceUuid: text(opt("Source_UUID", "Master_UUID") ?? "").toLowerCase() || null,
      ioState,
      ioRunning,
      sqlRunning,
      lagSeconds: num(
        col("Seconds_Behind_Source", "Seconds_Behind_Master"),
        "Seconds_Behind_Source|Seconds_Behind_Master",
        true,
      ),
      lastIoErrno: num(col("Last_IO_Errno"), "Last_IO_Errno"),
      lastIoError: serverText(opt("Last_IO_Error") ?? ""),
      lastSqlErrno: num(col("Last_SQL_Errno"), "Last_SQL_Errno"),
      lastSqlError: serverText(opt("Last_SQL_Error") ?? ""),
      lastIoErrorTimestamp: text(opt("Last_IO_Error_Timestamp") ?? "").trim(),
      lastSqlErrorTimestamp: text(opt("Last_SQL_Error_Timestamp") ?? "").trim(),
      gtidAutoPosition:
        usingGtid !== undefined
          ? !/^no$/i.test(text(usingGtid))
          : autoPos !== undefined
            ? String(autoPos) === "1"
            : false,
      retrievedGtids: text(opt("Retrieved_Gtid_Set", "Gtid_IO_Pos") ?? "").replace(/\s+/g, ""),
      sqlDelaySeconds: num(opt("SQL_Delay") ?? 0, "SQL_Delay", true) ?? 0,
    };
  });
}

/** C0 controls but tab and line feed, DEL, C1 controls, line/paragraph separators, bidi overrides. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it finds
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A server's free text as it may be stored, mailed and printed: control characters (a terminal's escape
 * sequences included) become U+FFFD, and the text is cut at `max` characters, saying so. Last_SQL_Error can
 * hold row values: whatever a server sends must not drive the operator's terminal.
 */
export function serverText(v: unknown, max = SERVER_TEXT_LIMIT): string {
  const clean = text(v).replace(UNPRINTABLE, "\ufffd");
  return clean.length > max ? `${clean.slice(0, max)}… (${clean.length - max} more characters)` : clean;
}

function text(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
  return JSON.stringify(v) ?? "";
}
