/** The mysql2 adapter against fake servers: protocol faults give clear errors, never hangs or crashes. */
import mysql from "mysql2";
import { afterEach, describe, expect, it } from "vitest";
import {
  type FakeServer,
  mariadbHandler,
  scriptedServer,
  silentServer,
} from "../../../emulators/mysql-server.ts";
import { MysqlProbe } from "../../../shared/adapters/mysql-probe.ts";
import { deadlineIn } from "../../../shared/domain/types.ts";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const probe = (o: Partial<ConstructorParameters<typeof MysqlProbe>[0]> = {}) =>
  new MysqlProbe({
    user: "prober",
    password: "secret",
    connectTimeoutMs: 500,
    queryTimeoutMs: 500,
    totalTimeoutMs: 2000,
    ...o,
  });

describe("MysqlProbe against fake servers", () => {
  it("a server that accepts TCP but never greets times out within the connect deadline + 500 ms", async () => {
    server = await silentServer();
    const t0 = Date.now();
    const o = await probe().observe({ name: "a", host: "127.0.0.1", port: server.port }, deadlineIn(10_000));
    const took = Date.now() - t0;
    expect(o).toMatchObject({
      alive: false,
      connected: false,
      error: { class: "timeout", during: "connect" },
    });
    expect(o.server).toBeUndefined();
    expect(took).toBeLessThan(500 + 500);
  });

  it("the caller's deadline wins when it is shorter than the probe's own timeouts", async () => {
    server = await silentServer();
    const t0 = Date.now();
    const o = await probe({ connectTimeoutMs: 5000 }).observe(
      { name: "a", host: "127.0.0.1", port: server.port },
      deadlineIn(300),
    );
    expect(o.error?.class).toBe("timeout");
    expect(Date.now() - t0).toBeLessThan(300 + 500);
  });

  it("a password that cannot be read (the secret unavailable) is an observation, not a throw, and not a dead server", async () => {
    // Prepare: a server that would answer; the password source fails as Secrets Manager would
    server = await scriptedServer(
      mariadbHandler({ columns: ["Connection_name", "Slave_IO_Running"], rows: [] }),
    );
    // Act
    const o = await probe({
      password: () => Promise.reject(new Error("AccessDeniedException: not authorized")),
    }).observe({ name: "vip", host: "127.0.0.1", port: server.port }, deadlineIn(5000));
    // Assess: named for what it is; the class is not one of those the decision table reads as "down"
    expect(o).toMatchObject({
      alive: false,
      connected: false,
      error: { class: "other", during: "reading the password" },
    });
    expect(o.error?.message).toMatch(/AccessDeniedException/);
  });

  it("a password read per observation: the source is asked each time (the function's secret, cached by Powertools)", async () => {
    server = await scriptedServer(
      mariadbHandler({ columns: ["Connection_name", "Slave_IO_Running"], rows: [] }),
    );
    let asked = 0;
    const p = probe({
      password: async () => {
        asked++;
        return "secret";
      },
    });
    await p.observe({ name: "a", host: "127.0.0.1", port: server.port }, deadlineIn(5000));
    const o = await p.observe({ name: "a", host: "127.0.0.1", port: server.port }, deadlineIn(5000));
    expect(asked).toBe(2);
    expect(o.error).toBeUndefined();
    expect(o.server).toMatchObject({ serverId: 1 });
  });

  it("a refused connection is classified as refused, quickly", async () => {
    server = await silentServer();
    const port = server.port;
    await server.close();
    server = undefined;
    const o = await probe().observe({ name: "b", host: "127.0.0.1", port }, deadlineIn(5000));
    expect(o.error).toMatchObject({ class: "refused", code: "ECONNREFUSED" });
    expect(o.alive).toBe(false);
  });

  it("reads a well-formed server and closes the connection", async () => {
    server = await scriptedServer(
      mariadbHandler({ columns: ["Connection_name", "Slave_IO_Running"], rows: [] }),
    );
    const o = await probe().observe({ name: "a", host: "127.0.0.1", port: server.port }, deadlineIn(5000));
    expect(o.error).toBeUndefined();
    expect(o.server).toMatchObject({ serverId: 1, flavor: { label: "mariadb-10" }, replication: [] });
    expect(server.queries).toEqual([
      expect.stringMatching(/^SHOW GLOBAL VARIABLES WHERE/),
      "SELECT @@GLOBAL.gtid_current_pos AS gtid_current_pos, @@GLOBAL.gtid_binlog_pos AS gtid_binlog_pos, @@GLOBAL.gtid_binlog_state AS gtid_binlog_state, @@GLOBAL.gtid_slave_pos AS gtid_slave_pos",
      expect.stringMatching(/^SHOW GLOBAL STATUS WHERE/),
      "SHOW ALL SLAVES STATUS",
    ]);
    expect(o.server).toMatchObject({ uptimeSeconds: 1000, replicaStops: 1 });
  });

  it("a connection keeps one prepared-statement slot, not mysql2's 16,000 (half a megabyte per connection)", async () => {
    // Prepare: a well-formed server; the connections the probe opens are recorded
    server = await scriptedServer(
      mariadbHandler({ columns: ["Connection_name", "Slave_IO_Running"], rows: [] }),
    );
    const made: mysql.ConnectionOptions[] = [];
    // Act
    const o = await probe({
      createConnection: (options) => {
        made.push(options);
        return mysql.createConnection(options);
      },
    }).observe({ name: "a", host: "127.0.0.1", port: server.port }, deadlineIn(5000));
    // Assess: read as before, with the statement cache at one slot (the probe never prepares)
    expect(o.error).toBeUndefined();
    expect(made.map((m) => m.maxPreparedStatements)).toEqual([1]);
  });

  it("rows without the expected columns give MYSQL_BAD_RESULT-class errors naming the field", async () => {
    server = await scriptedServer(() => ({ columns: ["name", "val"], rows: [["server_id", "1"]] }));
    const o = await probe().observe({ name: "a", host: "127.0.0.1", port: server.port }, deadlineIn(5000));
    expect(o.connected).toBe(true);
    expect(o.server).toBeUndefined();
    expect(o.error?.class).toBe("bad_result");
    expect(o.error?.message).toMatch(/Variable_name/);
  });

  it("a replication row with values the probe does not know: those fields unknown, the node kept", async () => {
    server = await scriptedServer(
      mariadbHandler({ columns: ["Slave_IO_Running", "Slave_SQL_Running"], rows: [["Perhaps", "Yes"]] }),
    );
    const o = await probe().observe({ name: "a", host: "127.0.0.1", port: server.port }, deadlineIn(5000));
    expect(o.error).toBeUndefined();
    expect(o.server?.replication[0]).toMatchObject({ ioState: "Perhaps", ioRunning: null, sqlRunning: true });
    expect(o.server?.unknown.map((u) => u.field)).toContain(
      "SHOW ALL SLAVES STATUS row 0.Replica_IO_Running|Slave_IO_Running",
    );
  });

  it("a missing privilege is classified as privilege", async () => {
    server = await scriptedServer(
      mariadbHandler({
        error: "Access denied; you need (at least one of) the SLAVE MONITOR privilege(s)",
        code: 1227,
      }),
    );
    const o = await probe().observe({ name: "a", host: "127.0.0.1", port: server.port }, deadlineIn(5000));
    expect(o.error).toMatchObject({ class: "privilege", during: "SHOW ALL SLAVES STATUS" });
    expect(o.connected).toBe(true);
  });

  it("a query that never answers times out within the query deadline", async () => {
    const hanging = await scriptedServerThatHangs();
    const t0 = Date.now();
    const o = await probe().observe({ name: "a", host: "127.0.0.1", port: hanging.port }, deadlineIn(5000));
    await hanging.close();
    expect(o.error).toMatchObject({ class: "timeout" });
    expect(o.connected).toBe(true);
    expect(Date.now() - t0).toBeLessThan(500 + 500 + 500);
  });
});

async function scriptedServerThatHangs(): Promise<FakeServer> {
  const { default: mysql } = await import("mysql2");
  // biome-ignore lint/suspicious/noExplicitAny: untyped server API
  const s: any = (mysql as any).createServer();
  // biome-ignore lint/suspicious/noExplicitAny: untyped
  const conns: any[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: untyped
  s.on("connection", (conn: any) => {
    conns.push(conn);
    conn.on("error", () => {});
    conn.serverHandshake({
      protocolVersion: 10,
      serverVersion: "8.4.3",
      connectionId: 1,
      statusFlags: 2,
      characterSet: 8,
      capabilityFlags: 0xffffff,
      authCallback: (_: unknown, cb: (e: null, r: null) => void) => cb(null, null),
    });
    conn.on("query", () => {}); // never answers
  });
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return {
    port: s._server.address().port,
    queries: [],
    close: () =>
      new Promise((r) => {
        for (const c of conns) c.stream?.destroy?.();
        s.close(() => r());
      }),
  };
}

describe("TLS options", () => {
  it("maps each mode to mysql2's ssl option; verify-identity is checked by the probe on the IP", async () => {
    const { sslOptions, classifySqlError } = await import("../../../shared/adapters/mysql-probe.ts");
    expect(sslOptions({ mode: "disabled" })).toBeUndefined();
    expect(sslOptions({ mode: "required" })).toEqual({ rejectUnauthorized: false });
    expect(sslOptions({ mode: "verify-ca", ca: "PEM" })).toEqual({
      ca: "PEM",
      rejectUnauthorized: true,
      verifyIdentity: false,
    });
    // the server's own refusals (MySQL and MariaDB error references): it answered, so never "unreachable"
    expect(
      classifySqlError(
        {
          errno: 3159,
          code: "ER_SECURE_TRANSPORT_REQUIRED",
          message: "Connections using insecure transport are prohibited while --require_secure_transport=ON.",
        },
        "connect",
      ).class,
    ).toBe("tls");
    for (const errno of [1045, 1130, 3118, 3955])
      expect(classifySqlError({ errno, message: "x" }, "connect").class, String(errno)).toBe("auth");
    for (const code of [
      "HANDSHAKE_SSL_ERROR",
      "HANDSHAKE_NO_SSL_SUPPORT",
      "ERR_TLS_CERT_ALTNAME_INVALID",
      "CERT_HAS_EXPIRED",
    ])
      expect(classifySqlError({ code, message: "x" }, "connect").class).toBe("tls");
  });
});

describe("connection and query errors by the servers' error references", () => {
  // the servers' own texts (MySQL 8.0/8.4 and MariaDB 10.11 error references), as mysql2 hands them over
  const cases: [number, string, string, string][] = [
    [1045, "28000", "Access denied for user 'prober'@'198.18.0.9' (using password: YES)", "auth"],
    [3118, "HY000", "Access denied for user 'prober'@'198.18.0.9'. Account is locked.", "auth"],
    [4151, "HY000", "Access denied, this account is locked", "auth"],
    [
      3955,
      "HY000",
      "Access denied for user 'prober'@'198.18.0.9'. Account is blocked for 1 day(s) (1 day(s) remaining) due to 3 consecutive failed logins.",
      "auth",
    ],
    [
      4150,
      "HY000",
      "User is blocked because of too many credential errors; unblock with 'FLUSH PRIVILEGES'",
      "auth",
    ],
    [
      1862,
      "HY000",
      "Your password has expired. To log in you must change it using a client that supports expired passwords.",
      "auth",
    ],
    [
      3159,
      "HY000",
      "Connections using insecure transport are prohibited while --require_secure_transport=ON.",
      "tls",
    ],
    [1040, "08004", "Too many connections", "too_many_connections"],
    [
      1129,
      "HY000",
      "Host '198.18.0.9' is blocked because of many connection errors; unblock with 'mariadb-admin flush-hosts'",
      "server_limit",
    ],
    [
      1226,
      "42000",
      "User 'prober' has exceeded the 'max_connections_per_hour' resource (current value: 10)",
      "server_limit",
    ],
    [
      1227,
      "42000",
      "Access denied; you need (at least one of) the REPLICATION CLIENT privilege(s) for this operation",
      "privilege",
    ],
    [1053, "08S01", "Server shutdown in progress", "lost"],
    [1927, "70100", "Connection was killed", "lost"],
    [1030, "HY000", 'Got error 28 "No space left on device" from storage engine InnoDB', "server_error"],
    [1146, "42S02", "Table 'mysql_ha_prober.heartbeat' doesn't exist", "server_error"],
  ];
  it.each(cases)("errno %i (SQLSTATE %s) %s: %s", async (errno, sqlState, message, cls) => {
    const { classifySqlError } = await import("../../../shared/adapters/mysql-probe.ts");
    expect(classifySqlError({ errno, sqlState, message }, "SHOW GLOBAL VARIABLES").class).toBe(cls);
  });

  it("each class has its own finding: a server limit and a failed query are not 'did not answer'", async () => {
    const { classifySqlError } = await import("../../../shared/adapters/mysql-probe.ts");
    const { endpointFindings } = await import("../../../shared/domain/rules/mysql-endpoints.ts");
    const seen = (errno: number, sqlState: string, message: string, connected: boolean) =>
      endpointFindings({
        endpoint: "a",
        host: "198.18.0.2",
        port: 3306,
        observedAt: "2026-12-06T00:00:00.000Z",
        alive: true,
        connected,
        connectMs: connected ? 3 : null,
        durationMs: 5,
        error: classifySqlError({ errno, sqlState, message }, connected ? "SHOW SLAVE STATUS" : "connect"),
      }).map((f) => f.code);
    expect(
      seen(1129, "HY000", "Host '198.18.0.9' is blocked because of many connection errors", false),
    ).toEqual(["MYSQL_SERVER_LIMIT"]);
    expect(seen(1030, "HY000", "Got error 28 from storage engine", true)).toEqual(["MYSQL_QUERY_FAILED"]);
    expect(seen(3118, "HY000", "Account is locked.", false)).toEqual(["MYSQL_AUTH_FAILED"]);
    // no SQLSTATE: not an error packet of the server's, so nothing says it answered
    expect(
      endpointFindings({
        endpoint: "a",
        host: "198.18.0.2",
        port: 3306,
        observedAt: "2026-12-06T00:00:00.000Z",
        alive: false,
        connected: false,
        connectMs: null,
        durationMs: 5,
        error: classifySqlError({ code: "ECONNREFUSED", message: "connect ECONNREFUSED" }, "connect"),
      }).map((f) => f.code),
    ).toEqual(["MYSQL_UNREACHABLE"]);
  });
});
