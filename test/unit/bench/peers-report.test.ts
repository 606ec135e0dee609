/**
 * The peers bench's rules of evidence (bench/peers-report.ts) and the seed design's scripts it runs
 * (bench/peers/seed/), run as they are with stand-ins for arping and mail(1).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  type DrillResult,
  fill,
  firstAfter,
  heartbeatConflict,
  mailboxSignals,
  markdown,
  PEER_DRILLS,
  preexisting,
  ptMonitorLag,
  type Signal,
  SYSTEMS,
  summarize,
  webhookSignals,
} from "../../../bench/peers-report.ts";
import { FAULT_KINDS } from "../../../lab/fault-kinds.ts";

const PEERS = fileURLToPath(new URL("../../../bench/peers/", import.meta.url));

describe("what counts as an alert", () => {
  it("counts each firing alert of an Alertmanager notification, not the resolved ones", () => {
    // Prepare
    const log = [
      JSON.stringify({
        at: 1000,
        body: {
          status: "firing",
          alerts: [
            { status: "firing", labels: { alertname: "MysqlDown", node: "b" } },
            { status: "resolved", labels: { alertname: "MysqlRestarted", node: "a" } },
          ],
        },
      }),
      JSON.stringify({
        at: 2000,
        body: { alerts: [{ status: "resolved", labels: { alertname: "MysqlDown" } }] },
      }),
      "",
    ].join("\n");
    // Act
    const signals = webhookSignals(log);
    // Assess
    expect(signals).toEqual([{ system: "prometheus", at: 1000, what: "MysqlDown b" }]);
  });

  it("reads the mail capture's mailbox, one mail per line, and skips a torn line", () => {
    expect(mailboxSignals("1700\t[keepalived] a is MASTER\n1800\t[vip] conflict\nbroken\n")).toEqual([
      { system: "seed", at: 1700, what: "[keepalived] a is MASTER" },
      { system: "seed", at: 1800, what: "[vip] conflict" },
    ]);
  });

  it("reads pt-heartbeat's monitor line as the current lag; anything else is no lag", () => {
    expect(ptMonitorLag("14.00s [  0.65s,  0.13s,  0.04s ]\n")).toBe(14);
    expect(ptMonitorLag("0.00s [  0.00s,  0.00s,  0.00s ]")).toBe(0);
    expect(ptMonitorLag("")).toBeNull();
    expect(ptMonitorLag("DBI connect failed: Can't connect")).toBeNull();
  });
});

describe("the first alert after an injection", () => {
  const signals: Signal[] = [
    { system: "prometheus", at: 900, what: "before" },
    { system: "prometheus", at: 1500, what: "MysqlDown a" },
    { system: "seed", at: 1200, what: "mail" },
    { system: "pt-heartbeat", at: 1100, what: "lag 31 s", node: "a" },
    { system: "pt-heartbeat", at: 1300, what: "lag 40 s", node: "b" },
  ];

  it("is the earliest of that system within the window, timed from the injection", () => {
    expect(firstAfter(signals, "prometheus", 1000, 2000)).toEqual({ ms: 500, what: "MysqlDown a" });
    expect(firstAfter(signals, "seed", 1000, 2000)).toEqual({ ms: 200, what: "mail" });
  });

  it("is none when it came before the injection or after the window", () => {
    expect(firstAfter(signals, "prometheus", 1000, 1400)).toBeNull();
    expect(firstAfter(signals, "ours-2s", 0, 5000)).toBeNull();
  });

  it("for pt-heartbeat, counts only the named node's monitor (the standby's)", () => {
    expect(firstAfter(signals, "pt-heartbeat", 1000, 2000, "b")).toEqual({ ms: 300, what: "lag 40 s" });
    expect(firstAfter(signals, "pt-heartbeat", 1000, 2000, "a")).toEqual({ ms: 100, what: "lag 31 s" });
  });
});

describe("the table", () => {
  const drill = (rep: number, prometheus: number | null): DrillResult => ({
    fault: "mysql-kill",
    node: "a",
    rep,
    injectedAt: 0,
    first: {
      "ours-2s": { ms: 3000 + rep * 1000, what: "x" },
      "ours-15s": null,
      prometheus: prometheus === null ? null : { ms: prometheus, what: "MysqlDown a" },
      "pt-heartbeat": null,
      seed: { ms: 1500, what: "mail" },
    },
  });

  it("says per system how many runs it saw and its p50/p95 in seconds, and 0/N when it never alerted", () => {
    const { rows, summary } = summarize([drill(0, 40_000), drill(1, null), drill(2, 52_400)]);
    expect(rows[0]).toEqual(["fault", "on", ...SYSTEMS]);
    expect(rows[1]).toEqual(["mysql-kill", "holder", "3/3 4/5", "0/3", "2/3 40/52.4", "0/3", "3/3 1.5/1.5"]);
    expect(summary[0]?.prometheus).toEqual({
      seen: 2,
      runs: 3,
      preexisting: 0,
      p50Ms: 40_000,
      p95Ms: 52_400,
    });
    expect(rows).toHaveLength(2); // faults without a run have no row
  });

  it("leaves out a pt-heartbeat run whose lag was over the threshold before the injection, and says so", () => {
    const withPt = (rep: number, pt: { ms: number; what: string } | null): DrillResult => ({
      ...drill(rep, null),
      first: { ...drill(rep, null).first, "pt-heartbeat": pt },
    });
    const { rows, summary } = summarize([
      withPt(0, { ms: 400, what: "lag 163 s" }), // stale before: 163 s lag 0.4 s after the injection
      withPt(1, { ms: 31_300, what: "lag 31 s" }), // grew past 30 s after the injection
      withPt(2, { ms: 9600, what: "monitor stopped reporting" }),
    ]);
    expect(summary[0]?.["pt-heartbeat"]).toEqual({
      seen: 2,
      runs: 2,
      preexisting: 1,
      p50Ms: 9600,
      p95Ms: 31_300,
    });
    expect(rows[1]?.[5]).toBe("2/2 9.6/31.3 (+1 n/a)");
    expect(preexisting({ ms: 1000, what: "lag 32 s" })).toBe(false);
    expect(preexisting({ ms: 1000, what: "lag 32.5 s" })).toBe(true);
    expect(preexisting(null)).toBe(false);
  });

  it("renders for BENCHMARKS.md: a miss in bold, what each said without the drill's cluster name, the runs that failed", () => {
    // Prepare
    const d = drill(0, null);
    d.first["ours-2s"] = { ms: 3400, what: "[mysql-ha] peers-ours-2s-mysql-kill-0: HEALTHY -> DEGRADED" };
    d.heartbeatRepaired = ["b"];

    // Act
    const md = markdown({
      drills: [d],
      falseAlerts: { prometheus: ["MysqlDown a"] },
      lag: [{ trueS: 10, sbm: null, ptHeartbeat: 9, ours: 8 }],
      failed: [{ fault: "partition", rep: 1, error: "heal" }],
    });

    // Assess
    expect(md).toContain(
      "| mysql-kill (holder) | 1/1: 3.4 / 3.4 | **0/1** | **0/1** | **0/1** | 1/1: 1.5 / 1.5 |",
    );
    expect(md).toContain("| mysql-kill | HEALTHY -> DEGRADED | - | - | mail |");
    expect(md).toContain("1 run to the end, 1 not (partition rep 2)");
    expect(md).toContain("its table repaired after 1 (mysql-kill: b)");
    expect(md).toContain("Prometheus + Alertmanager 1;");
    expect(md).toContain("| 10 | NULL | 9 | 8 |");
  });

  it("drills every fault the comparison names, each a real lab fault", () => {
    expect(PEER_DRILLS.map((d) => d.kind)).toEqual([
      "mysql-kill",
      "mysql-hang",
      "keepalived-kill",
      "vrrp-block",
      "partition",
      "blackhole",
      "replication-stop",
      "replication-break",
      "errant-write",
      "read-only",
      "global-read-lock",
      "mysql-restart",
      "keepalived-flap",
    ]);
    for (const d of PEER_DRILLS) expect(FAULT_KINDS).toContain(d.kind);
  });
});

describe("the repair of pt-heartbeat's table after a split brain", () => {
  const stopped = (errno: number, error: string) => ({
    Slave_IO_Running: "Yes",
    Slave_SQL_Running: "No",
    Last_SQL_Errno: errno,
    Last_SQL_Error: error,
  });

  it("applies to a stop on a duplicate key or a missing row in percona.heartbeat", () => {
    // Prepare: MariaDB 10.11's message for each, as seen in the lab
    const duplicate = stopped(
      1062,
      "Could not execute Write_rows_v1 event on table percona.heartbeat; Duplicate entry '2' for key 'PRIMARY', Error_code: 1062; handler error HA_ERR_FOUND_DUPP_KEY; the event's master log mysql-bin.000001, end_log_pos 123",
    );
    const missing = stopped(
      1032,
      "Could not execute Update_rows_v1 event on table percona.heartbeat; Can't find record in 'heartbeat', Error_code: 1032; handler error HA_ERR_KEY_NOT_FOUND",
    );

    // Act + Assess
    expect(heartbeatConflict(duplicate)).toBe(true);
    expect(heartbeatConflict(missing)).toBe(true);
  });

  it("does not apply to an errant write's conflict, another error, a running thread or no status", () => {
    expect(
      heartbeatConflict(
        stopped(1062, "Could not execute Write_rows_v1 event on table lab.writes; Duplicate entry '7'"),
      ),
    ).toBe(false);
    expect(
      heartbeatConflict(
        stopped(1146, "Error executing row event: 'Table 'percona.heartbeat' doesn't exist'"),
      ),
    ).toBe(false);
    expect(
      heartbeatConflict({
        ...stopped(1062, "on table percona.heartbeat; Duplicate"),
        Slave_SQL_Running: "Yes",
      }),
    ).toBe(false);
    expect(heartbeatConflict(undefined)).toBe(false);
  });
});

describe("the community rules Prometheus is given", () => {
  it("are the published awesome-prometheus-alerts rules for the signals compared, with their for and severity", () => {
    const rules = (
      parse(readFileSync(join(PEERS, "mysql-alerts.rules.yml"), "utf8")) as {
        groups: { rules: { alert: string; expr: string; for: string; labels: { severity: string } }[] }[];
      }
    ).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => [r.alert, r.for, r.labels.severity])).toEqual([
      ["MysqlDown", "0m", "critical"],
      ["MysqlTooManyConnections(>80%)", "2m", "warning"],
      ["MysqlSlaveIoThreadNotRunning", "0m", "critical"],
      ["MysqlSlaveSqlThreadNotRunning", "0m", "critical"],
      ["MysqlSlaveReplicationLag", "1m", "critical"],
      ["MysqlRestarted", "0m", "info"],
    ]);
    expect(rules.find((r) => r.alert === "MysqlDown")?.expr).toBe("mysql_up == 0");
  });
});

describe("the seed design's scripts", () => {
  let dir: string;
  let mailbox: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "mhp-seed-"));
    mailbox = join(dir, "mailbox");
    writeFileSync(mailbox, "");
    const capture = join(dir, "mail");
    writeFileSync(
      capture,
      fill(readFileSync(join(PEERS, "seed", "mail-capture.sh"), "utf8"), { MAILBOX: mailbox }),
    );
    chmodSync(capture, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const script = (name: string) => {
    const file = join(dir, name);
    const values = { NODE: "a", MAIL: join(dir, "mail"), VIP: "198.18.0.100", IFACE: "eth0" };
    writeFileSync(file, fill(readFileSync(join(PEERS, "seed", name), "utf8"), values));
    chmodSync(file, 0o755);
    return file;
  };
  /** monitor_vip_conflict.sh with a stand-in arping that exits with `code` (and records its arguments). */
  const conflictCheck = (code: number) => {
    writeFileSync(join(dir, "arping"), `#!/bin/sh\necho "$@" > ${dir}/arping.args\nexit ${code}\n`, {
      mode: 0o755,
    });
    execFileSync("/bin/sh", [script("monitor_vip_conflict.sh")], {
      env: { PATH: `${dir}:/usr/bin:/bin` },
    });
    return mailboxSignals(readFileSync(mailbox, "utf8"));
  };

  it("monitor_vip_conflict.sh mails when arping -d sees two MACs (exit 1)", () => {
    const mails = conflictCheck(1);
    expect(mails.map((m) => m.what)).toEqual(["[vip] conflict on 198.18.0.100 seen from a"]);
    expect(readFileSync(join(dir, "arping.args"), "utf8").trim()).toBe("-c 2 -w 2 -d -i eth0 198.18.0.100");
  });

  it("monitor_vip_conflict.sh is silent when arping sees one MAC (0) or fails (2)", () => {
    expect(conflictCheck(0)).toEqual([]);
    expect(conflictCheck(2)).toEqual([]);
  });

  it("the notify mail says which node entered which state", () => {
    execFileSync("/bin/sh", [script("notify-mail.sh"), "MASTER"], { env: { PATH: "/usr/bin:/bin" } });
    expect(mailboxSignals(readFileSync(mailbox, "utf8")).map((m) => m.what)).toEqual([
      "[keepalived] a is MASTER",
    ]);
  });

  it("a template value left out is an error, not an empty string", () => {
    expect(() => fill("echo @VIP@ @NODE@", { VIP: "x" })).toThrow("template value @NODE@ is not set");
  });
});
