/**
 * The heartbeat writer against a scripted MySQL server on loopback: the statements it sends in order
 * (identity, capped lock waits, the write, who took it), what it reports, and every way it fails within
 * its deadline.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeServer,
  type QueryHandler,
  scriptedServer,
  silentServer,
} from "../../../emulators/mysql-server.ts";
import { MysqlHeartbeat } from "../../../shared/adapters/mysql-heartbeat.ts";
import { deadlineIn } from "../../../shared/domain/types.ts";

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const UUID = "8A94F357-AAB4-11DF-86AB-C80AA9429562";

function serverAnswering(
  vendor: "mariadb" | "mysql",
  overrides: Partial<Record<string, ReturnType<QueryHandler>>> = {},
) {
  const handler: QueryHandler = (sql) => {
    for (const [prefix, answer] of Object.entries(overrides))
      if (sql.startsWith(prefix) && answer) return answer;
    if (sql.startsWith("SELECT @@version"))
      return {
        columns: ["version", "server_id"],
        rows: [[vendor === "mariadb" ? "10.11.19-MariaDB-log" : "8.4.3", "2"]],
      };
    if (sql.startsWith("SET SESSION")) return { ok: { affectedRows: 0 } };
    if (sql.startsWith("UPDATE ")) return { ok: { affectedRows: 1 } };
    if (sql === "SELECT @@last_gtid AS gtid") return { columns: ["gtid"], rows: [["1-2-17"]] };
    if (sql === "SELECT @@server_uuid AS server_uuid") return { columns: ["server_uuid"], rows: [[UUID]] };
    return { error: `unexpected statement: ${sql}`, code: 1064 };
  };
  return scriptedServer(handler, vendor === "mariadb" ? "10.11.19-MariaDB-log" : "8.4.3");
}

const writer = (o: Partial<ConstructorParameters<typeof MysqlHeartbeat>[0]> = {}) =>
  new MysqlHeartbeat({ user: "hb", password: "pw", timeoutMs: 5000, ...o });

describe("MysqlHeartbeat", () => {
  it("MariaDB: identity, lock waits capped below the deadline, the write, then @@last_gtid", async () => {
    const s = await serverAnswering("mariadb");
    servers.push(s);
    const r = await writer().beat(
      { name: "vip", host: "127.0.0.1", port: s.port },
      1764000000123,
      deadlineIn(10_000),
    );
    expect(r).toMatchObject({
      ok: true,
      writtenAt: 1764000000123,
      serverId: 2,
      serverUuid: null,
      gtid: "1-2-17",
    });
    expect(r.error).toBeUndefined();
    expect(s.queries).toEqual([
      "SELECT @@version AS version, @@server_id AS server_id",
      "SET SESSION lock_wait_timeout = 4, innodb_lock_wait_timeout = 4",
      "UPDATE mysql_ha_prober.heartbeat SET written_at = 1764000000123, server_id = 2 WHERE id = 1",
      "SELECT @@last_gtid AS gtid",
    ]);
  });

  it("MySQL: asks for its own GTID to be tracked, then reads the server's uuid (lower case)", async () => {
    const s = await serverAnswering("mysql");
    servers.push(s);
    const r = await writer({ table: "ops.beat" }).beat(
      { name: "vip", host: "127.0.0.1", port: s.port },
      7,
      deadlineIn(10_000),
    );
    expect(r).toMatchObject({ ok: true, serverId: 2, serverUuid: UUID.toLowerCase(), gtid: null });
    expect(s.queries).toEqual([
      "SELECT @@version AS version, @@server_id AS server_id",
      "SET SESSION lock_wait_timeout = 4, innodb_lock_wait_timeout = 4",
      "SET SESSION session_track_gtids = OWN_GTID",
      "UPDATE ops.beat SET written_at = 7, server_id = 2 WHERE id = 1",
      "SELECT @@server_uuid AS server_uuid",
    ]);
  });

  it("never inserts: a node without the row reports rowMissing, writes nothing and reads no GTID", async () => {
    const s = await serverAnswering("mariadb", { "UPDATE ": { ok: { affectedRows: 0 } } });
    servers.push(s);
    const r = await writer().beat({ name: "vip", host: "127.0.0.1", port: s.port }, 9, deadlineIn(10_000));
    expect(r).toMatchObject({ ok: true, rowMissing: true, serverId: 2, gtid: null });
    expect(s.queries.some((q) => /^(INSERT|REPLACE|DELETE)/i.test(q))).toBe(false);
    expect(s.queries.at(-1)).toBe(
      "UPDATE mysql_ha_prober.heartbeat SET written_at = 9, server_id = 2 WHERE id = 1",
    );
  });

  it("MySQL without session tracking (refused): the write still goes ahead", async () => {
    const s = await serverAnswering("mysql", {
      "SET SESSION session_track": { error: "no such variable", code: 1193 },
    });
    servers.push(s);
    const r = await writer().beat({ name: "vip", host: "127.0.0.1", port: s.port }, 7, deadlineIn(10_000));
    expect(r.ok).toBe(true);
  });

  it("the lock waits follow the shorter of the deadline and the timeout", async () => {
    const s = await serverAnswering("mariadb");
    servers.push(s);
    await writer({ timeoutMs: 60_000 }).beat(
      { name: "vip", host: "127.0.0.1", port: s.port },
      1,
      deadlineIn(3_500),
    );
    expect(s.queries[1]).toBe("SET SESSION lock_wait_timeout = 3, innodb_lock_wait_timeout = 3");
    s.queries.length = 0;
    await writer({ timeoutMs: 900 }).beat(
      { name: "vip", host: "127.0.0.1", port: s.port },
      1,
      deadlineIn(60_000),
    );
    expect(s.queries[1]).toBe("SET SESSION lock_wait_timeout = 1, innodb_lock_wait_timeout = 1");
  });

  it("a refused write (read-only) is a failed heartbeat naming the statement and the server's error", async () => {
    const s = await serverAnswering("mariadb", {
      "UPDATE ": { error: "The MariaDB server is running with the --read-only option", code: 1290 },
    });
    servers.push(s);
    const r = await writer().beat({ name: "vip", host: "127.0.0.1", port: s.port }, 1, deadlineIn(10_000));
    expect(r).toMatchObject({
      ok: false,
      serverId: null,
      serverUuid: null,
      gtid: null,
      error: {
        during: "heartbeat write",
        message: "The MariaDB server is running with the --read-only option",
      },
    });
  });

  it("a write that hangs (a global read lock) fails at the timeout, not later", async () => {
    const s = await serverAnswering("mariadb", { "UPDATE ": { hang: true } });
    servers.push(s);
    const t0 = Date.now();
    const r = await writer({ timeoutMs: 700 }).beat(
      { name: "vip", host: "127.0.0.1", port: s.port },
      1,
      deadlineIn(10_000),
    );
    expect(r).toMatchObject({ ok: false, error: { class: "timeout", during: "heartbeat write" } });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(r.durationMs).toBeGreaterThanOrEqual(600);
  });

  it("a server that never greets fails at the deadline when it is the shorter, during connect", async () => {
    const s = await silentServer();
    servers.push(s);
    const r = await writer({ timeoutMs: 60_000 }).beat(
      { name: "vip", host: "127.0.0.1", port: s.port },
      1,
      deadlineIn(600),
    );
    expect(r).toMatchObject({ ok: false, error: { class: "timeout", during: "connect" } });
    expect(r.durationMs).toBeLessThan(5_000);
  });

  it("the password may come from a function (a secret fetched once it is needed)", async () => {
    const s = await serverAnswering("mariadb");
    servers.push(s);
    let asked = 0;
    const r = await writer({
      password: async () => {
        asked++;
        return "pw";
      },
    }).beat({ name: "vip", host: "127.0.0.1", port: s.port }, 1, deadlineIn(10_000));
    expect(r.ok).toBe(true);
    expect(asked).toBe(1);
  });

  it("a table name that is not database.table is refused when the writer is made, naming it", () => {
    for (const table of ["heartbeat", "a.b; DROP TABLE x", "a.b.c", "`a`.b", `${"x".repeat(65)}.t`])
      expect(() => writer({ table }), table).toThrow(`heartbeat.table: "${table}" is not database.table`);
    expect(() => writer({ table: `${"x".repeat(64)}.t_1` })).not.toThrow();
  });
});
