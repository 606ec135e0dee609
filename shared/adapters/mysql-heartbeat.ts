/**
 * HeartbeatWriter over mysql2: one row updated through the VIP with the heartbeat user, under a hard
 * deadline. The session's lock waits are capped below the deadline, so a global read lock or a row
 * lock makes the server give the write up too (no session is left waiting behind the lock).
 */
import type { Socket } from "node:net";
import type { Connection, ConnectionOptions, ResultSetHeader } from "mysql2";
import type { HeartbeatWrite } from "../domain/heartbeat.ts";
import { DEFAULT_HEARTBEAT_TABLE } from "../domain/heartbeat.ts";
import type { Deadline } from "../domain/types.ts";
import type { HeartbeatWriter, SqlEndpoint } from "../ports.ts";
import type { StreamOpener } from "./forwarder-stream.ts";
import { connectionFactory, securityOptions, type TlsOptions } from "./mysql-connect.ts";
import { classifySqlError, endQuietly } from "./mysql-probe.ts";

export interface MysqlHeartbeatOptions {
  user: string;
  password: string | (() => Promise<string>);
  /** database.table. @default mysql_ha_prober.heartbeat */
  table?: string;
  /** TLS, as the probe's. @default disabled */
  tls?: TlsOptions;
  /** The whole write: connect, write, read back who took it. @default 2000 */
  timeoutMs?: number;
  openStream?: StreamOpener;
  /** For tests: the mysql2 factory. @default mysql2.createConnection */
  createConnection?: (options: ConnectionOptions) => Connection;
}

const TABLE = /^[A-Za-z0-9_]{1,64}\.[A-Za-z0-9_]{1,64}$/;

export class MysqlHeartbeat implements HeartbeatWriter {
  private readonly table: string;
  private readonly timeoutMs: number;

  constructor(private readonly o: MysqlHeartbeatOptions) {
    this.table = o.table ?? DEFAULT_HEARTBEAT_TABLE;
    if (!TABLE.test(this.table)) throw new Error(`heartbeat.table: "${this.table}" is not database.table`);
    this.timeoutMs = o.timeoutMs ?? 2000;
  }

  async beat(endpoint: SqlEndpoint, writtenAt: number, deadline: Deadline): Promise<HeartbeatWrite> {
    const started = Date.now();
    const stop = Math.min(deadline.at, started + this.timeoutMs);
    const left = () => Math.max(1, stop - Date.now());
    let conn: Connection | undefined;
    let during = "connect";
    let timer: NodeJS.Timeout | undefined;
    const base = { writtenAt, serverId: null, serverUuid: null, gtid: null };
    try {
      const work = (async () => {
        const password = typeof this.o.password === "string" ? this.o.password : await this.o.password();
        let stream: Socket | undefined;
        if (this.o.openStream) stream = await this.o.openStream(endpoint.host, endpoint.port, left());
        // verify-identity is checked inside the TLS handshake, before the credentials (mysql-connect.ts)
        conn = (this.o.createConnection ?? connectionFactory(this.o.tls))({
          host: endpoint.host,
          port: endpoint.port,
          user: this.o.user,
          password,
          connectTimeout: left(),
          ...(stream ? { stream } : {}),
          supportBigNumbers: true,
          bigNumberStrings: true,
          multipleStatements: false,
          maxPreparedStatements: 1, // none prepared; mysql2's 16,000 would cost half a megabyte
          ...securityOptions(this.o.tls),
        });
        conn.on("error", () => {});
        stream?.resume();
        const c = conn;
        await new Promise<void>((resolve, reject) => c.connect((err) => (err ? reject(err) : resolve())));
        const q = (sql: string, values?: unknown[]) =>
          new Promise<unknown>((resolve, reject) =>
            c.query({ sql, timeout: left(), ...(values ? { values } : {}) }, (err, rows) =>
              err ? reject(err) : resolve(rows),
            ),
          );
        during = "identity";
        const [who] = (await q("SELECT @@version AS version, @@server_id AS server_id")) as Record<
          string,
          unknown
        >[];
        const mariadb = /mariadb/i.test(String(who?.version));
        const waitS = Math.max(1, Math.floor(left() / 1000));
        during = "session settings";
        await q(`SET SESSION lock_wait_timeout = ${waitS}, innodb_lock_wait_timeout = ${waitS}`);
        if (!mariadb) await q("SET SESSION session_track_gtids = OWN_GTID").catch(() => {});
        during = "heartbeat write";
        // An UPDATE of the one row the kit seeded on every node, never an INSERT: a row event that
        // updates an existing row by its primary key applies on any replica that has the row, whatever
        // its values (MySQL's and MariaDB's row lookup stops at a unique, non-null key), so writes on
        // both nodes during a split brain meet no duplicate key at the heal; a statement-based UPDATE of
        // a missing row is no error. The server id is a literal: @@server_id in a statement-based
        // binlog is evaluated again on each replica. docs/heartbeat.md has the whole argument.
        const serverId = Number(who?.server_id);
        if (!Number.isSafeInteger(serverId) || serverId < 0) throw new Error("@@server_id is not a number");
        const ok = (await q(`UPDATE ${this.table} SET written_at = ?, server_id = ? WHERE id = 1`, [
          writtenAt,
          serverId,
        ])) as ResultSetHeader & { stateChanges?: { gtids?: string[] } };
        if (ok.affectedRows === 0) {
          // the row is missing here: nothing was written or binlogged (an INSERT could collide with
          // the peer's row at the next heal); the rule names the node and the kit's statement
          return { serverId: serverId || null, serverUuid: null, gtid: null, rowMissing: true };
        }
        during = "reading the write's GTID";
        const [after] = (await q(
          mariadb ? "SELECT @@last_gtid AS gtid" : "SELECT @@server_uuid AS server_uuid",
        )) as Record<string, unknown>[];
        return {
          serverId: serverId || null,
          serverUuid: mariadb ? null : String(after?.server_uuid ?? "").toLowerCase() || null,
          gtid: mariadb
            ? String(after?.gtid ?? "") || null
            : ok.stateChanges?.gtids?.filter(Boolean).join(",") || null,
        };
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(Object.assign(new Error(`no answer within ${stop - started} ms`), { code: "ETIMEDOUT" })),
          stop - started,
        );
      });
      const identity = await Promise.race([work, timeout]);
      await endQuietly(conn);
      return { ...base, ...identity, ok: true, durationMs: Date.now() - started };
    } catch (e) {
      (conn as Connection | undefined)?.destroy();
      return { ...base, ok: false, durationMs: Date.now() - started, error: classifySqlError(e, during) };
    } finally {
      clearTimeout(timer);
    }
  }
}
