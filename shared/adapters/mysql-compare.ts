/**
 * One node for the consistency check over mysql2: a read-only session (`SET SESSION TRANSACTION READ
 * ONLY`: the server refuses any write on it), every statement with a client deadline and a server-side
 * one (max_statement_time / max_execution_time), no lock taken (plain consistent reads, no FOR SHARE, no
 * LOCK TABLES), nothing written, no variable of the server changed. Connected like the probe: TLS as
 * configured, through the lab's forwarder when the configuration has one.
 */
import type { Socket } from "node:net";
import type { Connection } from "mysql2";
import type { CompareNode } from "../consistency-check.ts";
import type { RowImage, TableDef } from "../domain/consistency/model.ts";
import {
  COLUMNS_QUERY,
  chunkHashQuery,
  integerKey,
  KEYS_QUERY,
  type Key,
  keyRangeQuery,
  rowCountsQuery,
  rowHashesQuery,
  rowImageQuery,
  rowImagesQuery,
  rowsByHashQuery,
  type Statement,
  TABLES_QUERY,
  upperBoundQuery,
} from "../domain/consistency/row-sql.ts";
import { tableDefs } from "../domain/consistency/table-defs.ts";
import { GtidSet, MariadbPosition } from "../domain/gtid.ts";
import { sleep } from "../util/wait.ts";
import { connectionFactory, securityOptions, type TlsOptions } from "./mysql-connect.ts";
import { endQuietly } from "./mysql-probe.ts";

export interface MysqlCompareNodeOptions {
  /** The node (a, b), or the VIP when only asked which node answers there. */
  readonly id: "a" | "b";
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly tls?: TlsOptions;
  readonly openStream?: (host: string, port: number, timeoutMs: number) => Promise<Socket>;
  /** A statement's deadline, client and server side. @default 10 s */
  readonly statementTimeoutMs?: number;
}

/** A node's read failed (or its connection): which node, where, and the driver's error as the cause. */
export class CompareNodeError extends Error {
  override readonly name = "CompareNodeError";
  constructor(
    readonly node: "a" | "b",
    readonly where: string,
    what: string,
    options: { cause: unknown },
  ) {
    super(
      `node ${node.toUpperCase()} (${where}): ${what}: ${String((options.cause as Error)?.message ?? options.cause)}`,
      options,
    );
  }
}

/**
 * Why the server's MD5() cannot checksum rows (null: it can). A server in FIPS mode answers NULL: every
 * chunk's checksum would be the same on both nodes (BIT_XOR skips NULLs), and no row would ever differ.
 */
export function md5Unusable(m: unknown): string | null {
  return typeof m === "string" && /^[0-9a-f]{32}$/i.test(m)
    ? null
    : `MD5() answers ${m === null || m === undefined ? "NULL" : JSON.stringify(m)} on this server (FIPS mode?): rows cannot be checksummed, and every chunk would look the same on both nodes`;
}

export class MysqlCompareNode implements CompareNode {
  readonly id: "a" | "b";
  private mariadb = false;

  private constructor(
    private readonly o: MysqlCompareNodeOptions,
    private readonly conn: Connection,
  ) {
    this.id = o.id;
  }

  /** Connects (5 s at most) and makes the session read-only with a server-side statement deadline. */
  static async open(o: MysqlCompareNodeOptions): Promise<MysqlCompareNode> {
    const stream = o.openStream ? await o.openStream(o.host, o.port, 5000) : undefined;
    const conn = connectionFactory(o.tls)({
      host: o.host,
      port: o.port,
      user: o.user,
      password: o.password,
      connectTimeout: 5000,
      charset: "UTF8MB4_UNICODE_CI",
      ...(stream ? { stream } : {}),
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      multipleStatements: false,
      ...securityOptions(o.tls),
    });
    conn.on("error", () => {});
    stream?.resume();
    await new Promise<void>((resolve, reject) =>
      conn.connect((e) =>
        e ? reject(new CompareNodeError(o.id, `${o.host}:${o.port}`, "connect", { cause: e })) : resolve(),
      ),
    );
    const node = new MysqlCompareNode(o, conn);
    await node.session();
    return node;
  }

  private async session(): Promise<void> {
    const [row] = await this.query({ sql: "SELECT @@version AS v, MD5('mysql-ha-prober') AS m", values: [] });
    const unusable = md5Unusable(row?.m);
    if (unusable)
      throw new CompareNodeError(this.id, `${this.o.host}:${this.o.port}`, "session", {
        cause: new Error(unusable),
      });
    this.mariadb = /mariadb/i.test(String(row?.v ?? ""));
    const seconds = (this.o.statementTimeoutMs ?? 10_000) / 1000;
    await this.query({ sql: "SET SESSION TRANSACTION READ ONLY", values: [] });
    // TIMESTAMP values read as the instants stored, not in each server's own time zone: two nodes set to
    // different zones would otherwise print every TIMESTAMP differently
    await this.query({ sql: "SET SESSION time_zone = '+00:00'", values: [] });
    await this.query({
      sql: this.mariadb
        ? `SET SESSION max_statement_time = ${seconds}`
        : `SET SESSION max_execution_time = ${Math.round(seconds * 1000)}`,
      values: [],
    });
  }

  close(): Promise<void> {
    return endQuietly(this.conn);
  }

  private query(s: Statement): Promise<Record<string, unknown>[]> {
    return new Promise((resolve, reject) =>
      this.conn.query(
        { sql: s.sql, values: [...s.values], timeout: this.o.statementTimeoutMs ?? 10_000 },
        (e, rows) =>
          e
            ? reject(new CompareNodeError(this.id, `${this.o.host}:${this.o.port}`, "read", { cause: e }))
            : resolve(rows as Record<string, unknown>[]),
      ),
    );
  }

  async tables(schemas: readonly string[]): Promise<TableDef[]> {
    const values = [[...schemas]] as unknown as string[];
    const [tables, columns, keys] = await Promise.all([
      this.query({ sql: TABLES_QUERY, values }),
      this.query({ sql: COLUMNS_QUERY, values }),
      this.query({ sql: KEYS_QUERY, values }),
    ]);
    return tableDefs(tables, columns, keys);
  }

  /** `SHOW GRANTS` for this session's user, one line each. */
  async grants(): Promise<string[]> {
    const rows = await this.query({ sql: "SHOW GRANTS", values: [] });
    return rows.map((r) => String(Object.values(r)[0] ?? ""));
  }

  /** The server's @@server_id: which node answers at an address. */
  async serverId(): Promise<number> {
    const [row] = await this.query({ sql: "SELECT @@GLOBAL.server_id AS id", values: [] });
    return Number(row?.id);
  }

  /** True when the server takes writes from users like the application's (read_only off). */
  async writable(): Promise<boolean> {
    const [row] = await this.query({ sql: "SELECT @@GLOBAL.read_only AS r", values: [] });
    return Number(row?.r ?? 1) === 0;
  }

  async load(): Promise<number> {
    const [row] = await this.query({ sql: "SHOW GLOBAL STATUS LIKE 'Threads_running'", values: [] });
    return Number(row?.Value ?? 0);
  }

  async position(): Promise<string> {
    const [row] = await this.query({
      sql: this.mariadb ? "SELECT @@GLOBAL.gtid_binlog_pos AS p" : "SELECT @@GLOBAL.gtid_executed AS p",
      values: [],
    });
    return String(row?.p ?? "");
  }

  /** Polls this node's own position (every 50 ms) until it contains `position`: a read, no wait function. */
  async waitFor(position: string, timeoutMs: number): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const mine = await this.position();
      const done = this.mariadb
        ? MariadbPosition.parse(mine).contains(MariadbPosition.parse(position))
        : GtidSet.parse(mine).contains(GtidSet.parse(position));
      if (done) return true;
      if (Date.now() >= end) return false;
      await sleep(50);
    }
  }

  async upperBound(t: TableDef, lower: Key | null, rows: number, within?: Key | null): Promise<Key | null> {
    const [row] = await this.query(upperBoundQuery(t, lower, rows, within ?? null));
    return row ? t.key.map((_, i) => (row[`k${i}`] as string | null) ?? null) : null;
  }

  async keyRange(t: TableDef) {
    const [row] = await this.query(keyRangeQuery(t));
    const lo = (row?.lo as string | null) ?? null;
    const hi = (row?.hi as string | null) ?? null;
    return { lo: lo === null ? null : [lo], hi: hi === null ? null : [hi] };
  }

  async chunkHash(t: TableDef, lower: Key | null, upper: Key | null) {
    const started = Date.now();
    const [row] = await this.query(chunkHashQuery(t, lower, upper));
    return { rows: Number(row?.n ?? 0), hash: String(row?.x ?? 0), ms: Date.now() - started };
  }

  async rowHashes(t: TableDef, lower: Key | null, upper: Key | null) {
    const rows = await this.query(rowHashesQuery(t, lower, upper));
    return new Map(
      rows.map((r) => {
        const key = t.key.map((_, i) => (r[`k${i}`] as string | null) ?? null);
        return [JSON.stringify(key), { key, hash: String(r.h) }] as const;
      }),
    );
  }

  async rowCounts(t: TableDef, maxRows: number): Promise<Map<string, number> | null> {
    const rows = await this.query(rowCountsQuery(t, maxRows));
    const counts = new Map(rows.map((r) => [String(r.h), Number(r.n)] as const));
    return [...counts.values()].reduce((a, b) => a + b, 0) > maxRows ? null : counts;
  }

  async rowsByHash(t: TableDef, hashes: readonly string[]): Promise<Map<string, RowImage>> {
    const out = new Map<string, RowImage>();
    for (let i = 0; i < hashes.length; i += 500)
      for (const r of await this.query(rowsByHashQuery(t, hashes.slice(i, i + 500))))
        if (!out.has(String(r["#h"])))
          out.set(
            String(r["#h"]),
            Object.fromEntries(t.columns.map((c) => [c.name, (r[c.name] as string | null) ?? null])),
          );
    return out;
  }

  /** An integer key: 500 rows per statement; any other key (its collation decides what matches): one by one. */
  async rowImages(t: TableDef, keys: readonly Key[]): Promise<(RowImage | null)[]> {
    if (!integerKey(t)) {
      const images: (RowImage | null)[] = [];
      for (const key of keys) images.push(await this.rowImage(t, key));
      return images;
    }
    const found = new Map<string, RowImage>();
    for (let i = 0; i < keys.length; i += 500)
      for (const r of await this.query(rowImagesQuery(t, keys.slice(i, i + 500))))
        found.set(
          String(r["#k"]),
          Object.fromEntries(t.columns.map((c) => [c.name, (r[c.name] as string | null) ?? null])),
        );
    return keys.map((k) => found.get(String(k[0])) ?? null);
  }

  async rowImage(t: TableDef, key: Key): Promise<RowImage | null> {
    const [row] = await this.query(rowImageQuery(t, key));
    if (!row) return null;
    return Object.fromEntries(t.columns.map((c) => [c.name, (row[c.name] as string | null) ?? null]));
  }
}
