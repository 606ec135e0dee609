/**
 * A fake MySQL server on loopback (mysql2's createServer), for protocol faults a real server will
 * not produce on demand: never greeting, or answering queries with unexpected rows.
 */
import type { AddressInfo, Server as NetServer } from "node:net";
import { createServer as createTcpServer } from "node:net";
import mysql from "mysql2";

export type QueryHandler = (
  sql: string,
) =>
  | { columns: string[]; rows: (string | null)[][] }
  | { error: string; code: number }
  | { ok: { affectedRows: number } }
  | { hang: true };

export interface FakeServer {
  port: number;
  queries: string[];
  close(): Promise<void>;
}

/** Accepts TCP connections and never sends the greeting (like a SIGSTOPped mysqld). */
export async function silentServer(): Promise<FakeServer> {
  const sockets = new Set<import("node:net").Socket>();
  const server: NetServer = createTcpServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    queries: [],
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/**
 * A server that completes the handshake (any credentials) and answers queries with `handler`, on a free
 * port of loopback (or on `port`).
 */
export async function scriptedServer(
  handler: QueryHandler,
  serverVersion = "8.4.3",
  port = 0,
): Promise<FakeServer> {
  const queries: string[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: mysql2's server-side API is untyped
  const server: any = (mysql as any).createServer();
  // each connection as mysql2's server makes it, but with one prepared-statement slot: the default
  // (16,000) fills four arrays of that size per connection, most of a connection's CPU at fleet scale
  server._server.removeAllListeners("connection");
  server._server.on("connection", (stream: unknown) => {
    // biome-ignore lint/suspicious/noExplicitAny: mysql2's server-side API is untyped
    const m = mysql as any;
    const config = new m.ConnectionConfig({ stream, isServer: true, maxPreparedStatements: 1 });
    const conn = new m.Connection({ config });
    // a client's command starts at sequence 0; mysql2's server side expects the sequence to go on from
    // its own last reply and prints a warning for every command otherwise
    const handle = conn.handlePacket.bind(conn);
    conn.handlePacket = (packet?: { sequenceId: number }) => {
      if (packet?.sequenceId === 0) conn.sequenceId = 0;
      handle(packet);
    };
    server.emit("connection", conn);
  });
  // biome-ignore lint/suspicious/noExplicitAny: untyped server connection
  const conns = new Set<any>();
  // biome-ignore lint/suspicious/noExplicitAny: untyped server connection
  server.on("connection", (conn: any) => {
    conns.add(conn);
    conn.on("error", () => {});
    conn.serverHandshake({
      protocolVersion: 10,
      serverVersion,
      connectionId: 1,
      statusFlags: 2,
      characterSet: 8,
      capabilityFlags: 0xffffff,
      authCallback: (_: unknown, cb: (err: null, res: null) => void) => cb(null, null),
    });
    const onQuery = (sql: string) => {
      queries.push(sql);
      conn.sequenceId = 1; // a response to a command starts at sequence 1 (mysql2's server side does not reset it)
      const answer = handler(sql);
      if ("error" in answer) {
        conn.writeError({ message: answer.error, code: answer.code });
        return;
      }
      if ("ok" in answer) {
        conn.writeOk(answer.ok);
        return;
      }
      if ("hang" in answer) return; // never answers (a statement waiting behind a lock)
      conn.stream.cork(); // the result set in one write, not one per row
      conn.writeColumns(
        answer.columns.map((name) => ({
          catalog: "def",
          schema: "",
          table: "",
          orgTable: "",
          name,
          orgName: name,
          characterSet: 33,
          columnLength: 1024,
          columnType: 253,
          flags: 0,
          decimals: 0,
        })),
      );
      for (const row of answer.rows) conn.writeTextRow(row);
      conn.writeEof();
      conn.stream.uncork();
    };
    conn.on("query", onQuery);
    // mysql2's server side routes SET (and PREPARE) statements to stmt_prepare, not query
    conn.on("stmt_prepare", (sql: string) => {
      if (/^\s*SET\b/i.test(sql)) onQuery(sql);
      else conn.writeError({ message: `unexpected PREPARE: ${sql}`, code: 1064 });
    });
    conn.on("quit", () => conn.close?.());
  });
  // a deep backlog: a simulated fleet opens thousands of connections at once (Node listens with 511)
  await new Promise<void>((r) => server._server.listen({ port, host: "127.0.0.1", backlog: 4096 }, r));
  return {
    port: server._server.address().port,
    queries,
    close: () =>
      new Promise((r) => {
        for (const c of conns) c.stream?.destroy?.();
        server.close(() => r());
      }),
  };
}

/** SHOW GLOBAL VARIABLES of a well-formed MariaDB 10.11 server, for scripted servers. */
export const MARIADB_VARS: [string, string][] = [
  ["auto_increment_increment", "2"],
  ["auto_increment_offset", "1"],
  ["gtid_binlog_pos", "1-1-3"],
  ["gtid_binlog_state", "1-1-3"],
  ["gtid_current_pos", "1-1-3"],
  ["gtid_domain_id", "1"],
  ["gtid_slave_pos", ""],
  ["gtid_strict_mode", "ON"],
  ["hostname", "fake"],
  ["log_bin", "ON"],
  ["log_slave_updates", "ON"],
  ["read_only", "OFF"],
  ["server_id", "1"],
  ["version", "10.11.19-MariaDB"],
];

type Answer = ReturnType<QueryHandler>;

/**
 * A query handler for a MariaDB 10.11 server: SHOW GLOBAL VARIABLES, SELECT @@GLOBAL.<name> AS <name>
 * (only the names asked for), SHOW GLOBAL STATUS (Uptime, Com_stop_slave), and `replica` for
 * SHOW ALL SLAVES STATUS. Anything else is an error, so a query the probe should not make fails loudly.
 */
export function mariadbHandler(replica: Answer, vars: [string, string][] = MARIADB_VARS): QueryHandler {
  const byName = new Map(vars);
  return (sql) => {
    if (sql.startsWith("SHOW GLOBAL VARIABLES")) return { columns: ["Variable_name", "Value"], rows: vars };
    if (sql.startsWith("SHOW GLOBAL STATUS"))
      return {
        columns: ["Variable_name", "Value"],
        rows: [
          ["Com_stop_slave", "1"],
          ["Uptime", "1000"],
        ],
      };
    const select = /^SELECT (.*)$/.exec(sql);
    if (select?.[1]) {
      const names = [...select[1].matchAll(/@@GLOBAL\.(\w+) AS (\w+)/g)].map((m) => m[2] as string);
      if (names.length === 0 || names.some((n) => !byName.has(n)))
        return { error: `unknown: ${sql}`, code: 1193 };
      return { columns: names, rows: [names.map((n) => byName.get(n) ?? null)] };
    }
    if (sql === "SHOW ALL SLAVES STATUS") return replica;
    return { error: `the fake does not answer: ${sql}`, code: 1064 };
  };
}
