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
        const c = conn as Connection;
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
        alive: connectMs !== null || error.class === "too_many_connections",
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
  ER_HOST_IS_BLOCKED: "auth",
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

/** Maps a mysql2/network error to the class the findings use. */
export function classifySqlError(error: unknown, during: string): SqlError {
  const e = error as { code?: string; errno?: number; message?: string };
  if (error instanceof InputError) return { class: "bad_result", message: error.message, during };
  const code = e?.code;
  let cls: SqlErrorClass = (code && CLASS_BY_CODE[code]) || "other";
  if (cls === "other" && (e?.errno === 1040 || e?.errno === 1203)) cls = "too_many_connections";
  // the server answered and refused the login: access denied (1045), host not allowed (1130), account
  // locked (3118, MySQL), host blocked after failed logins (1129; 3955 in MySQL 8): not "no answer"
  if (cls === "other" && [1045, 1130, 3118, 1129, 3955].includes(e?.errno ?? 0)) cls = "auth";
  // require_secure_transport=ON refused a plaintext connection (3159, MySQL; MariaDB 10.5+ says 1045 or 3159)
  if (cls === "other" && e?.errno === 3159) cls = "tls";
  if (cls === "other" && e?.errno === 1227) cls = "privilege";
  if (cls === "other" && /malformed|unexpected packet|Unknown packet/i.test(e?.message ?? ""))
    cls = "bad_result";
  return { class: cls, ...(code ? { code } : {}), message: e?.message ?? String(error), during };
}
