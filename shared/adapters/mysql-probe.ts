/**
 * SqlProbe adapter over mysql2: one fresh connection per observation, under a hard deadline
 * (connect, each query, and the whole), always closed (end on success, destroy on error/timeout).
 */
import type { Socket } from "node:net";
import type { Connection, ConnectionOptions } from "mysql2";
import { InputError } from "../domain/errors.ts";
import {
  detectFlavor,
  heartbeatReadQuery,
  longVariablesQuery,
  parseServerInfo,
  replicaStatusStatement,
  type ServerInfo,
  type SqlError,
  type SqlErrorClass,
  type SqlObservation,
  STATUS_QUERY,
  selectRowToVariables,
  VARIABLES_QUERY,
  variablesFromRows,
} from "../domain/sql.ts";
import type { Deadline } from "../domain/types.ts";
import type { SqlEndpoint, SqlProbe } from "../ports.ts";
import type { StreamOpener } from "./forwarder-stream.ts";
import { connectionFactory, securityOptions, type TlsOptions } from "./mysql-connect.ts";

export interface MysqlProbeOptions {
  user: string;
  /**
   * The password, or how to get it at each observation (the function reads a secret, cached by the
   * provider). When it cannot be had, the observation says so (class "other", during "reading the
   * password"): the node checks still run, so a split brain is still seen.
   */
  password: string | (() => Promise<string>);
  /** TCP connect + greeting + authentication. @default 2000 */
  connectTimeoutMs?: number;
  /** Each query. @default 2000 */
  queryTimeoutMs?: number;
  /** The whole observation, whatever the caller's deadline. @default 5000 */
  totalTimeoutMs?: number;
  /** TLS to the server. @default disabled */
  tls?: TlsOptions;
  /** The heartbeat table (database.table) to read on each server; absent: the heartbeat is off. */
  heartbeatTable?: string;
  /** Opens the TCP stream (e.g. from inside a network namespace); mysql2 connects itself when absent. */
  openStream?: StreamOpener;
  /** For tests: the mysql2 factory. @default mysql2.createConnection */
  createConnection?: (options: ConnectionOptions) => Connection;
}

class ProbeStepError extends Error {
  constructor(
    readonly during: string,
    readonly original: unknown,
  ) {
    super((original as Error)?.message ?? String(original));
  }
}

export class MysqlProbe implements SqlProbe {
  private readonly o: Required<Omit<MysqlProbeOptions, "openStream" | "heartbeatTable" | "tls">> &
    Pick<MysqlProbeOptions, "openStream" | "heartbeatTable" | "tls">;

  constructor(options: MysqlProbeOptions) {
    this.o = {
      connectTimeoutMs: 2000,
      queryTimeoutMs: 2000,
      totalTimeoutMs: 5000,
      // verify-identity: the name checked inside the TLS handshake, before the credentials (mysql-connect.ts)
      createConnection: connectionFactory(options.tls),
      ...options,
    };
  }

  /** Once connected: the variables, the status counters, replication and the heartbeat row, parsed. */
  private async readServer(c: Connection, left: () => number): Promise<ServerInfo> {
    const vars = variablesFromRows(await this.query(c, VARIABLES_QUERY, left()));
    const flavor = detectFlavor(vars.version ?? "");
    const longQuery = longVariablesQuery(flavor);
    const statement = replicaStatusStatement(flavor);
    // One round trip each, in flight together on the one connection (mysql2 queues them).
    const table = this.o.heartbeatTable;
    const [long, status, replicaRows, heartbeat] = await Promise.all([
      this.query(c, longQuery, left()),
      this.query(c, STATUS_QUERY, left()),
      this.query(c, statement, left()),
      // A heartbeat row that cannot be read makes that one field unknown, not the node.
      table
        ? this.query(c, heartbeatReadQuery(table), left()).then(
            (rows) => ({ rows }),
            (e: unknown) => ({
              error: (e as Error).message,
              // ER_NO_SUCH_TABLE, ER_BAD_DB_ERROR: the table is gone, as a missing row
              ...([1146, 1049].includes(
                Number(((e as ProbeStepError).original as { errno?: number } | undefined)?.errno),
              )
                ? { missing: true }
                : {}),
            }),
          )
        : undefined,
    ]);
    try {
      // SHOW GLOBAL VARIABLES cuts values at 1024 characters: the long ones come from SELECT @@GLOBAL.
      Object.assign(vars, selectRowToVariables(long, longQuery));
      return parseServerInfo(vars, replicaRows, variablesFromRows(status), heartbeat);
    } catch (e) {
      throw new ProbeStepError(`parsing ${statement} / SHOW GLOBAL VARIABLES`, e);
    }
  }

  async observe(endpoint: SqlEndpoint, deadline: Deadline): Promise<SqlObservation> {
    const started = Date.now();
    const stop = Math.min(deadline.at, started + this.o.totalTimeoutMs);
    const left = () => Math.max(1, stop - Date.now());
    const base = {
      endpoint: endpoint.name,
      host: endpoint.host,
      port: endpoint.port,
      observedAt: new Date(started).toISOString(),
    };
    let conn: Connection | undefined;
    let connectMs: number | null = null;
    let overall: NodeJS.Timeout | undefined;
    const finish = (extra: Partial<SqlObservation>): SqlObservation => ({
      ...base,
      alive: false,
      connected: false,
      connectMs,
      durationMs: Date.now() - started,
      ...extra,
    });
    try {
      const work = (async () => {
        const password =
          typeof this.o.password === "string"
            ? this.o.password
            : await this.o.password().catch((e) => {
                throw new ProbeStepError("reading the password", e);
              });
        let stream: Socket | undefined;
        if (this.o.openStream) {
          stream = await this.o
            .openStream(endpoint.host, endpoint.port, Math.min(this.o.connectTimeoutMs, left()))
            .catch((e) => {
              throw new ProbeStepError("connect", e);
            });
        }
        conn = this.o.createConnection({
          host: endpoint.host,
          port: endpoint.port,
          user: this.o.user,
          password,
          connectTimeout: Math.min(this.o.connectTimeoutMs, left()),
          // results arrive as UTF-8 whatever the columns' own charsets (character_set_results)
          charset: "UTF8MB4_UNICODE_CI",
          ...(stream ? { stream } : {}),
          supportBigNumbers: true,
          bigNumberStrings: true,
          dateStrings: true,
          multipleStatements: false,
          // no prepared statements here; mysql2's default (16,000) fills four arrays of that size for
          // every connection: about 0.5 MB of garbage and most of a connection's CPU
          maxPreparedStatements: 1,
          // TLS as configured; on plaintext, no password to a server-supplied RSA key (mysql-connect.ts)
          ...securityOptions(this.o.tls),
        });
        conn.on("error", () => {}); // errors are handled per step; never crash on a late one
        stream?.resume(); // the opener hands the stream over paused, so no byte is lost before mysql2 listens
        await new Promise<void>((resolve, reject) =>
          (conn as Connection).connect((err) =>
            err ? reject(new ProbeStepError("connect", err)) : resolve(),
          ),
        );
        connectMs = Date.now() - started;
        return this.readServer(conn as Connection, left);
      })();
      const timeout = new Promise<never>((_, reject) => {
        overall = setTimeout(
          () =>
            reject(
              new ProbeStepError(
                "deadline",
                Object.assign(new Error(`no answer within ${stop - started} ms`), { code: "ETIMEDOUT" }),
              ),
            ),
          stop - started,
        );
      });
      const server = await Promise.race([work, timeout]);
      await endQuietly(conn);
      return finish({ alive: true, connected: true, server });
    } catch (e) {
      (conn as Connection | undefined)?.destroy();
      const step = e instanceof ProbeStepError ? e : new ProbeStepError("probe", e);
      const error = classifySqlError(step.original, step.during);
      return finish({
        // the server answered (with a refusal of its own): it is up, whatever it refused
        alive: connectMs !== null || error.class === "too_many_connections" || error.class === "server_limit",
        connected: connectMs !== null,
        error,
      });
    } finally {
      clearTimeout(overall);
    }
  }

  private query(conn: Connection, sql: string, timeoutMs: number): Promise<unknown> {
    return new Promise((resolve, reject) => {
      conn.query({ sql, timeout: Math.min(this.o.queryTimeoutMs, timeoutMs) }, (err, rows) =>
        err ? reject(new ProbeStepError(sql.split(" WHERE ")[0] ?? sql, err)) : resolve(rows),
      );
    });
  }
}

/** Ends a connection politely, but never waits more than 500 ms for it. */
export function endQuietly(conn: Connection | undefined): Promise<void> {
  if (!conn) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      conn.destroy();
      resolve();
    }, 500);
    conn.end(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

const CLASS_BY_CODE: Record<string, SqlErrorClass> = {
  ECONNREFUSED: "refused",
  ETIMEDOUT: "timeout",
  PROTOCOL_SEQUENCE_TIMEOUT: "timeout",
  EHOSTUNREACH: "unreachable",
  ENETUNREACH: "unreachable",
  EHOSTDOWN: "unreachable",
  ENOTFOUND: "unreachable",
  EAI_AGAIN: "unreachable",
  ECONNRESET: "lost",
  EPIPE: "lost",
  PROTOCOL_CONNECTION_LOST: "lost",
  ER_ACCESS_DENIED_ERROR: "auth",
  ER_HOST_NOT_PRIVILEGED: "auth",
  ER_DBACCESS_DENIED_ERROR: "auth",
  ER_HOST_IS_BLOCKED: "server_limit",
  ER_CON_COUNT_ERROR: "too_many_connections",
  ER_TOO_MANY_USER_CONNECTIONS: "too_many_connections",
  ER_SPECIFIC_ACCESS_DENIED_ERROR: "privilege",
  ER_TABLEACCESS_DENIED_ERROR: "privilege",
  ER_SPECIFIC_ACCESS_DENIED: "privilege",
  HANDSHAKE_NO_SSL_SUPPORT: "tls",
  HANDSHAKE_SSL_ERROR: "tls",
  SELF_SIGNED_CERT_IN_CHAIN: "tls",
  DEPTH_ZERO_SELF_SIGNED_CERT: "tls",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "tls",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "tls",
  CERT_HAS_EXPIRED: "tls",
  CERT_NOT_YET_VALID: "tls",
  CERT_SIGNATURE_FAILURE: "tls",
  ERR_TLS_CERT_ALTNAME_INVALID: "tls",
  ERR_SSL_WRONG_VERSION_NUMBER: "tls",
  // plaintext, and the server wanted the password under its own RSA key: a TLS matter (mysql-connect.ts)
  MYSQL_SERVER_KEY_REFUSED: "tls",
};

export type { TlsMode, TlsOptions } from "./mysql-connect.ts";
export { sslOptions } from "./mysql-connect.ts";

/**
 * Server error numbers by class, from the servers' own error references: MySQL's "Server Error Message
 * Reference" (5.7, 8.0, 8.4; include/mysqld_error.h) and MariaDB's error codes (sql/share/errmsg-utf8.txt).
 * A number the server sent that is in none of these is "server_error": the server answered, and failed.
 */
const CLASS_BY_ERRNO: ReadonlyMap<number, SqlErrorClass> = new Map<number, SqlErrorClass>([
  // the login refused: the server answered, the credentials or the account are the problem
  [1044, "auth"], // ER_DBACCESS_DENIED_ERROR
  [1045, "auth"], // ER_ACCESS_DENIED_ERROR
  [1130, "auth"], // ER_HOST_NOT_PRIVILEGED (no account for this client host)
  [1251, "auth"], // ER_NOT_SUPPORTED_AUTH_MODE
  [1698, "auth"], // ER_ACCESS_DENIED_NO_PASSWORD_ERROR
  [1820, "auth"], // ER_MUST_CHANGE_PASSWORD (password expired)
  [1862, "auth"], // ER_MUST_CHANGE_PASSWORD_LOGIN
  [3118, "auth"], // ER_ACCOUNT_HAS_BEEN_LOCKED (MySQL)
  [3955, "auth"], // ER_USER_ACCESS_DENIED_FOR_USER_ACCOUNT_BLOCKED_BY_PASSWORD_LOCK (MySQL 8.0.19+)
  [4150, "auth"], // ER_USER_IS_BLOCKED (MariaDB max_password_errors)
  [4151, "auth"], // ER_ACCOUNT_HAS_BEEN_LOCKED (MariaDB 10.4+)
  // TLS: require_secure_transport refused a plaintext connection
  [3159, "tls"], // ER_SECURE_TRANSPORT_REQUIRED
  [2026, "tls"], // CR_SSL_CONNECTION_ERROR (client library)
  // the server's own limits
  [1040, "too_many_connections"], // ER_CON_COUNT_ERROR
  [1203, "too_many_connections"], // ER_TOO_MANY_USER_CONNECTIONS
  [1129, "server_limit"], // ER_HOST_IS_BLOCKED (max_connect_errors; FLUSH HOSTS)
  [1226, "server_limit"], // ER_USER_LIMIT_REACHED (MAX_QUERIES/CONNECTIONS_PER_HOUR)
  // the monitoring user lacks a grant
  [1142, "privilege"], // ER_TABLEACCESS_DENIED_ERROR
  [1143, "privilege"], // ER_COLUMNACCESS_DENIED_ERROR
  [1227, "privilege"], // ER_SPECIFIC_ACCESS_DENIED_ERROR
  [1370, "privilege"], // ER_PROCACCESS_DENIED_ERROR
  // the server going away under the connection
  [1053, "lost"], // ER_SERVER_SHUTDOWN
  [1152, "lost"], // ER_ABORTING_CONNECTION
  [1158, "lost"], // ER_NET_READ_ERROR
  [1159, "lost"], // ER_NET_READ_INTERRUPTED
  [1160, "lost"], // ER_NET_ERROR_ON_WRITE
  [1161, "lost"], // ER_NET_WRITE_INTERRUPTED
  [1927, "lost"], // ER_CONNECTION_KILLED (MariaDB)
  [2006, "lost"], // CR_SERVER_GONE_ERROR
  [2013, "lost"], // CR_SERVER_LOST
]);

/** Maps a mysql2/network error to the class the findings use. */
export function classifySqlError(error: unknown, during: string): SqlError {
  const e = error as { code?: string; errno?: number; message?: string; sqlState?: string };
  if (error instanceof InputError) return { class: "bad_result", message: error.message, during };
  const code = e?.code;
  let cls: SqlErrorClass = (code && CLASS_BY_CODE[code]) || "other";
  if (cls === "other" && typeof e?.errno === "number") cls = CLASS_BY_ERRNO.get(e.errno) ?? "other";
  if (cls === "other" && /malformed|unexpected packet|Unknown packet/i.test(e?.message ?? ""))
    cls = "bad_result";
  // an error packet of the server's (mysql2 gives it a SQLSTATE): it answered, and failed
  if (cls === "other" && typeof e?.errno === "number" && typeof e.sqlState === "string") cls = "server_error";
  return { class: cls, ...(code ? { code } : {}), message: e?.message ?? String(error), during };
}
