/** The node setup kit: every file renders with exactly its placeholders; the scripts are valid shell. */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KIT_FILES, type KitFile, kitPath, placeholders, renderKit } from "../../../node-kit/kit.ts";

const SQL_VALUES = {
  MONITOR_USER: "prober",
  MONITOR_PASSWORD: "pw",
  HEARTBEAT_USER: "prober_hb",
  HEARTBEAT_PASSWORD: "hbpw",
  CLIENT_HOST: "10.0.%",
};

describe("node kit", () => {
  it.each(["sql-mariadb", "sql-mysql-5.7", "sql-mysql-8.0", "sql-mysql-8.4"] as const)(
    "%s: the monitoring user, the heartbeat table and user, each GRANT least privilege",
    (file) => {
      const sql = renderKit(file, SQL_VALUES);
      expect(placeholders(sql)).toEqual([]);
      expect(sql).toMatch(/SET SESSION sql_log_bin = 0;/);
      expect(sql).toMatch(/GRANT SELECT, UPDATE ON mysql_ha_prober\.heartbeat TO 'prober_hb'@'10\.0\.%';/);
      // the heartbeat only updates: its row is seeded here, on every node, and the user cannot insert
      expect(sql).toMatch(
        /INSERT IGNORE INTO mysql_ha_prober\.heartbeat \(id, written_at, server_id\) VALUES \(1, 0, 0\);/,
      );
      expect(sql).not.toMatch(/GRANT [^;]*(INSERT|DELETE)[^;]* ON mysql_ha_prober/);
      expect(sql).toMatch(
        file === "sql-mariadb"
          ? /GRANT SLAVE MONITOR, BINLOG MONITOR ON \*\.\* TO 'prober'/
          : /GRANT REPLICATION CLIENT ON \*\.\* TO 'prober'/,
      );
    },
  );

  it("a password with quotes stays one SQL string (quotes doubled); a backslash or line break is refused", () => {
    const sql = renderKit("sql-mysql-8.4", { ...SQL_VALUES, MONITOR_PASSWORD: "it's'; DROP USER root; --" });
    expect(sql).toContain(`IDENTIFIED BY 'it''s''; DROP USER root; --' REQUIRE SSL;`);
    for (const bad of ["a\\", "a\nb", "a\u0000"])
      expect(() => renderKit("sql-mariadb", { ...SQL_VALUES, HEARTBEAT_PASSWORD: bad })).toThrow(
        /@HEARTBEAT_PASSWORD@: a backslash, NUL or line break/,
      );
  });

  it("the compare grant: SELECT on the one schema named, a backtick doubled, a line break refused; never *.*", () => {
    const values = { MONITOR_USER: "prober", CLIENT_HOST: "10.0.%" };
    const sql = renderKit("sql-compare", { ...values, COMPARE_SCHEMA: "sh`op" });
    expect(sql).toContain("GRANT SELECT ON `sh``op`.* TO 'prober'@'10.0.%';");
    expect(sql).not.toMatch(/^GRANT[^\n]*\*\.\*/m);
    for (const bad of ["", "a\nb", "x".repeat(65)])
      expect(() => renderKit("sql-compare", { ...values, COMPARE_SCHEMA: bad })).toThrow(
        /@COMPARE_SCHEMA@: .* is not a schema name/,
      );
  });

  it("keepalived's fragment takes no value that its parser would read as syntax", () => {
    const values = {
      AUTH_PASS: "s3cret",
      CHECK_SCRIPT: "/etc/keepalived/check-mysql.sh",
      INSTANCE: "VI_MYSQL",
      INTERFACE: "eth0",
      MYSQL_SOCKET: "/run/mysqld/mysqld.sock",
      NOTIFY_SCRIPT: "/etc/keepalived/notify.sh",
      PREFIX: 24,
      PRIORITY: 100,
      VIP: "192.0.2.100",
      VRID: 51,
    };
    expect(renderKit("keepalived", values)).toContain("auth_pass s3cret");
    for (const bad of ["a b", 'a"b', "a}", "a\nvirtual_ipaddress {", "a#b", "a!b"])
      expect(() => renderKit("keepalived", { ...values, AUTH_PASS: bad })).toThrow(
        /@AUTH_PASS@: .* would read as syntax/,
      );
  });

  it("a missing or unknown value is an error naming it, never a half-filled file", () => {
    expect(() => renderKit("sql-mariadb", { ...SQL_VALUES, CLIENT_HOST: undefined } as never)).toThrow(
      /missing CLIENT_HOST/,
    );
    expect(() => renderKit("sql-mariadb", { ...SQL_VALUES, EXTRA: "x" })).toThrow(/not used: EXTRA/);
  });

  it("the keepalived fragment follows the seed design: both BACKUP, nopreempt", () => {
    const text = readFileSync(kitPath("keepalived"), "utf8");
    expect(text).toMatch(/^\s+state BACKUP$/m);
    expect(text).toMatch(/^\s+nopreempt$/m);
    expect(placeholders(text)).toEqual([
      "AUTH_PASS",
      "CHECK_SCRIPT",
      "INSTANCE",
      "INTERFACE",
      "MYSQL_SOCKET",
      "NOTIFY_SCRIPT",
      "PREFIX",
      "PRIORITY",
      "VIP",
      "VRID",
    ]);
  });

  it.each(["notify", "checkMysql", "sshNodeCheck"] as const)("%s is valid POSIX sh", (file: KitFile) => {
    const r = spawnSync("sh", ["-n", kitPath(file)], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(Object.keys(KIT_FILES)).toContain(file);
  });
});
